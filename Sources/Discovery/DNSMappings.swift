/// The Consul-style names that Herald answers for (DESIGN.md "Consul-style DNS names"): the
/// names mesos-consul registered and Mantl's `zookeeper` service, so existing consumers keep
/// resolving the same names.
public struct DNSNames: Hashable, Sendable {
    /// `herald_dns_domain`, without a trailing dot.
    public var domain: String
    /// `herald_dns_service`.
    public var service: String

    /// Names are compared case-insensitively by DNS, so they are kept in lower case; a trailing
    /// dot (fully qualified spelling) is dropped.
    public init(domain: String = "consul", service: String = "mesos") {
        self.domain = Self.normalized(domain)
        self.service = Self.normalized(service)
    }

    /// `leader.<service>.service.<domain>`: the leader.
    public var leader: String { "leader.\(service).service.\(domain)" }
    /// `master.<service>.service.<domain>`: every candidate.
    public var master: String { "master.\(service).service.\(domain)" }
    /// `follower.<service>.service.<domain>`: the registered followers.
    public var follower: String { "follower.\(service).service.\(domain)" }
    /// `zookeeper.service.<domain>`: the ensemble.
    public var zookeeper: String { "zookeeper.service.\(domain)" }
    /// `_<service>._leader.service.<domain>`: the SRV name of the leader.
    public var leaderSRV: String { "_\(service)._leader.service.\(domain)" }

    /// Every name, in the order `herald dns` prints them.
    public var all: [String] { [leader, master, follower, zookeeper, leaderSRV] }

    /// Lower case, without trailing dots: how names are stored and looked up.
    public static func normalized(_ label: String) -> String {
        var text = label.lowercased()
        while text.hasSuffix(".") { text.removeLast() }
        return text
    }
}

/// The DNS answers published in every snapshot's `dns` map: a pure function of the election and
/// the registered hosts.
///
/// Every name of `DNSNames.all` is present, with an empty list when nothing answers, so a
/// consumer can tell "no leader" (empty) from "not a Herald name" (absent). The one exception is
/// `follower.…` on a host that does not read the follower list (`followers` nil): absent, since
/// this host does not know the answer.
///
/// A stale leader (ZooKeeper connection lost, session timeout not yet passed) still maps: it is
/// the last known leader, and Mesos' own detector keeps reporting it for the same time. Hiding it
/// would make every consumer's lookups fail during a brief ZooKeeper hiccup while the master is
/// most likely still serving. Once the view drops the leader, the names answer nothing.
public enum DNSMappings {
    public static func records(
        leader: Snapshot.Member?, candidates: [Snapshot.Member], followers: [SnapshotInput.Follower]?,
        zooKeeperHosts: [Snapshot.Endpoint], names: DNSNames
    ) -> [String: [Snapshot.Endpoint]] {
        let leaderAnswer = leader.map { [Snapshot.Endpoint(ip: $0.ip, port: $0.port)] } ?? []
        var records = [
            names.leader: leaderAnswer,
            names.master: unique(candidates.map { Snapshot.Endpoint(ip: $0.ip, port: $0.port) }),
            names.zookeeper: unique(zooKeeperHosts),
            names.leaderSRV: leaderAnswer,
        ]
        if let followers {
            records[names.follower] = unique(followers.map { Snapshot.Endpoint(ip: $0.ip, port: $0.port) })
        }
        return records
    }

    /// Keeps the first occurrence of each answer, in order: two candidates of one master (an old
    /// node not yet expired) give one answer.
    static func unique(_ endpoints: [Snapshot.Endpoint]) -> [Snapshot.Endpoint] {
        var seen = Set<Snapshot.Endpoint>()
        return endpoints.filter { seen.insert($0).inserted }
    }
}
