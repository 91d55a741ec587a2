public import ElectionModel
import HeraldSupport
import MesosLayout

/// Everything a snapshot is made of besides its revision: the election view plus what only the
/// service knows (followers, the ensemble, the cluster name, who is publishing, the DNS names).
///
/// The service hands one of these to `DiscoveryServer.publish(_:)` whenever any part changes; the
/// server decides whether the resulting snapshot differs from the last one.
public struct SnapshotInput: Hashable, Sendable {
    /// A registered follower (Mesos agent host): what `follower.<service>.service.<domain>` lists.
    public struct Follower: Hashable, Sendable {
        public var hostname: String
        public var ip: String
        public var port: Int

        public init(hostname: String, ip: String, port: Int) {
            self.hostname = hostname
            self.ip = ip
            self.port = port
        }
    }

    public var view: ElectionView
    /// Nil on a host that does not read the follower list: `follower.…` is then left out.
    public var followers: [Follower]?
    /// The ensemble: what `zookeeper.service.<domain>` lists.
    public var zooKeeperHosts: [Snapshot.Endpoint]
    /// `mesos_cluster`.
    public var cluster: String
    /// The `self` object.
    public var publisher: Snapshot.Publisher
    public var names: DNSNames
    /// The MasterInfo id of this host's candidate when it contends: a leader with this id is
    /// this host, shown as the leader only while `publisher.role` is `leader` and its lease holds.
    public var ownID: String?
    /// The failing parts of the service, by component.
    public var problems: [Snapshot.Problem]

    public init(
        view: ElectionView, followers: [Follower]? = [], zooKeeperHosts: [Snapshot.Endpoint] = [], cluster: String,
        publisher: Snapshot.Publisher, names: DNSNames = DNSNames(), ownID: String? = nil,
        problems: [Snapshot.Problem] = []
    ) {
        self.ownID = ownID
        self.problems = problems
        self.view = view
        self.followers = followers
        self.zooKeeperHosts = zooKeeperHosts
        self.cluster = cluster
        self.publisher = publisher
        self.names = names
    }
}

extension Snapshot {
    /// The snapshot of `input` at `revision`, as it may be shown at `now`: a pure function, so two
    /// inputs that publish the same facts at the same moment give equal snapshots (the server uses
    /// that to skip non-changes).
    ///
    /// The lease rule (`ElectionView.shown(at:ownID:leading:)`) applies: past 80 % of the session
    /// timeout since the last contact with ZooKeeper this host is neither shown as the leader nor
    /// has the role `leader`, past ⅔ of it the leader is `stale`, past all of it there is none.
    ///
    /// Election details that the protocol does not carry (`invalid`, `hazards`, the session id)
    /// do not appear here and so never cause a new revision on their own.
    public init(input: SnapshotInput, revision: UInt64, now: ContinuousClock.Instant = .now) {
        var publisher = input.publisher
        let (view, leading) = input.view.shown(at: now, ownID: input.ownID, leading: publisher.role == .leader)
        if publisher.role == .leader, !leading { publisher.role = .candidate }
        let leader = view.leader.map(Member.init(candidate:))
        let candidates = view.candidates.sorted { $0.sequence < $1.sequence }.map(Member.init(candidate:))
        self.init(
            revision: revision, cluster: input.cluster, state: State(view.state), leader: leader,
            stale: leader == nil ? false : view.stale, candidates: candidates,
            quorum: Quorum(required: view.required, present: view.present),
            zookeeper: ZooKeeperStatus(connection: view.connection),
            dns: DNSMappings.records(
                leader: leader, candidates: candidates, followers: input.followers,
                zooKeeperHosts: input.zooKeeperHosts, names: input.names),
            publisher: publisher, problems: input.problems)
    }

    /// This snapshot with another revision: what the server compares to detect a change.
    func with(revision: UInt64) -> Snapshot {
        var copy = self
        copy.revision = revision
        return copy
    }
}

extension Snapshot.State {
    public init(_ state: ElectionView.State) {
        switch state {
        case .elected: self = .elected
        case .noQuorum: self = .noQuorum
        case .noLeader: self = .noLeader
        case .disconnected: self = .disconnected
        }
    }
}

extension Snapshot.Member {
    /// The protocol's view of a candidate. The address is the one of the `pid` when it parses
    /// (agents and `mesos-resolve` use the pid), else the packed `ip` and `port` fields.
    public init(candidate: Candidate) {
        let info = candidate.info
        var ip = info.ipv4
        var port = info.port
        if let address = info.pidAddress, let parts = try? HostPort.split(address), let pidPort = parts.port() {
            ip = parts.host
            port = pidPort
        }
        self.init(
            id: info.id, hostname: info.hostname ?? info.address?.hostname, ip: ip, port: port, pid: info.pid,
            node: candidate.path, sequence: candidate.sequence, epoch: candidate.epoch)
    }
}

extension Snapshot.ZooKeeperStatus {
    public init(connection: ConnectionInfo) {
        let (seconds, attoseconds) = connection.sessionTimeout.components
        self.init(
            state: connection.state.rawValue, server: connection.server,
            sessionTimeoutMs: seconds * 1000 + attoseconds / 1_000_000_000_000_000,
            sessionID: connection.sessionID.map { "0x" + String(UInt64(bitPattern: $0), radix: 16) })
    }
}
