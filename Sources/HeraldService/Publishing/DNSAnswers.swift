public import DNS
public import Discovery
import NIOConcurrencyHelpers

/// What the DNS responder answers: the zone of the snapshot the socket publishes, built once per
/// revision and shared by every query until the next one.
///
/// The names are those of `DNSNames` (the snapshot's `dns` map), in the forms Consul answers:
///
/// - `leader`, `master` and `follower.<service>.service.<domain>`: A (AAAA for an IPv6 address)
///   and SRV; `<service>.service.<domain>`: every master and follower; `zookeeper.service.<domain>`:
///   the ensemble;
/// - the RFC 2782 forms `_<service>._leader`, `._master`, `._follower`, `_<service>._tcp` and
///   `_zookeeper._tcp.service.<domain>`: SRV;
/// - every SRV target is `<hex address>.addr.<service>.service.<domain>`, inside the subdomain a
///   host forwards to Herald, with its A record in the additional section (as Consul's
///   `<hex>.addr.<dc>.consul` targets).
///
/// The leader names answer SERVFAIL while there is no leader or the snapshot's leader is
/// `stale` (the lease rule): a resolver then asks again instead of caching a wrong address.
public final class DNSAnswers: Sendable {
    public let names: DNSNames
    public let ttl: UInt32
    private let state = NIOLockedValueBox<State>(State())

    private struct State {
        var source: Source?
        var cached: (revision: UInt64, zone: DNSZone)?
    }

    /// Where snapshots come from: the current revision (asked on every query) and the snapshot
    /// (asked when the revision is not the one the cached zone was built from).
    public struct Source: Sendable {
        public var revision: @Sendable () -> UInt64
        public var snapshot: @Sendable () -> Snapshot

        public init(revision: @escaping @Sendable () -> UInt64, snapshot: @escaping @Sendable () -> Snapshot) {
            self.revision = revision
            self.snapshot = snapshot
        }

        /// The socket's snapshots, aged by the lease rule as the socket ages them.
        public static func discovery(_ server: DiscoveryServer) -> Source {
            Source(revision: { server.revisionForLookups }, snapshot: { server.currentForLookups })
        }
    }

    public init(names: DNSNames, ttl: UInt32 = 0) {
        self.names = names
        self.ttl = ttl
    }

    /// Answers from `source` from now on; until then the leader names answer SERVFAIL and the
    /// others nothing.
    public func attach(_ source: Source) {
        state.withLockedValue { $0.source = source }
    }

    /// The zone of the current snapshot.
    public func zone() -> DNSZone {
        let (source, cached) = state.withLockedValue { ($0.source, $0.cached) }
        guard let source else { return Self.zone(of: nil, names: names, ttl: ttl) }
        if let cached, cached.revision == source.revision() { return cached.zone }
        let snapshot = source.snapshot()
        let zone = Self.zone(of: snapshot, names: names, ttl: ttl)
        state.withLockedValue { state in
            if (state.cached?.revision ?? 0) <= snapshot.revision { state.cached = (snapshot.revision, zone) }
        }
        return zone
    }

    /// The zone of `snapshot` (nil: nothing published yet).
    public static func zone(of snapshot: Snapshot?, names: DNSNames, ttl: UInt32) -> DNSZone {
        let service = names.service
        let domain = names.domain
        let leaderKnown = snapshot.map { $0.leader != nil && !$0.stale } ?? false
        let dns = snapshot?.dns ?? [:]
        let leader = leaderKnown ? dns[names.leader] ?? [] : []
        let masters = dns[names.master] ?? []
        let followers = dns[names.follower] ?? []
        let zooKeeper = dns[names.zookeeper] ?? []

        var records: [String: DNSZone.Records] = [:]
        func target(_ endpoint: Snapshot.Endpoint) -> String? {
            guard let address = DNSZone.Address(endpoint.ip) else { return nil }
            let hex = address.bytes.map { byte in
                let text = String(byte, radix: 16)
                return byte < 16 ? "0" + text : text
            }.joined()
            let name = "\(hex).addr.\(service).service.\(domain)"
            records[name] = DNSZone.Records(addresses: [address])
            return name
        }
        func add(_ name: String, _ endpoints: [Snapshot.Endpoint], addresses: Bool, failing: Bool = false) {
            var entry = DNSZone.Records(failing: failing)
            var seen = Set<DNSZone.Address>()
            for endpoint in endpoints {
                guard let address = DNSZone.Address(endpoint.ip), let target = target(endpoint) else { continue }
                if addresses, seen.insert(address).inserted { entry.addresses.append(address) }
                if let port = UInt16(exactly: endpoint.port) {
                    entry.services.append(DNSZone.Service(port: port, target: target))
                }
            }
            records[name] = entry
        }
        add(names.leader, leader, addresses: true, failing: !leaderKnown)
        add(names.leaderSRV, leader, addresses: false, failing: !leaderKnown)
        add(names.master, masters, addresses: true)
        add("_\(service)._master.service.\(domain)", masters, addresses: false)
        add(names.follower, followers, addresses: true)
        add("_\(service)._follower.service.\(domain)", followers, addresses: false)
        add("\(service).service.\(domain)", masters + followers, addresses: true)
        add("_\(service)._tcp.service.\(domain)", masters + followers, addresses: false)
        add(names.zookeeper, zooKeeper, addresses: true)
        add("_zookeeper._tcp.service.\(domain)", zooKeeper, addresses: false)
        return DNSZone(
            domain: domain, ttl: ttl, serial: UInt32(truncatingIfNeeded: snapshot?.revision ?? 0), records: records)
    }
}
