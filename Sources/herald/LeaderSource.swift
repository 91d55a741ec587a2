import ArgumentParser
import Discovery
import ElectionModel
import HeraldSupport
import MesosLayout

/// Where `herald leader` learns who leads: the local Herald's socket, or ZooKeeper itself.
///
/// Both give a `LeaderAnswer`, so formatting and exit codes do not care about the source.
///
/// The socket's first answer comes over a plain blocking socket (`BlockingDiscoveryClient`):
/// scripts and health checks call `herald leader` in loops, and NIO's event loops would cost more
/// than the exchange. Only `--wait` without a leader goes on to watch through `DiscoveryClient`.
enum LeaderSource {
    /// The local Herald's socket, each exchange bounded by `timeout`.
    case socket(path: String, timeout: Duration)
    /// `--zk`: the group under the URL's path, with `required` candidates for a leader.
    case zooKeeper(ZooKeeperURL, required: Int)

    /// What `herald leader` reports: the leader (possibly the stale last one) or why there is none.
    struct LeaderAnswer {
        var state: Snapshot.State
        var leader: Snapshot.Member?
        var stale: Bool
        var quorum: Snapshot.Quorum

        init(_ snapshot: Snapshot) {
            state = snapshot.state
            leader = snapshot.leader
            stale = snapshot.stale
            quorum = snapshot.quorum
        }

        init(_ view: ElectionView) {
            state = Snapshot.State(view.state)
            leader = view.leader.map(Snapshot.Member.init(candidate:))
            stale = view.stale
            quorum = Snapshot.Quorum(required: view.required, present: view.present)
        }

        /// The exit-1 message: why no leader is announced.
        var reason: String {
            switch state {
            case .noQuorum: "no quorum: \(quorum.present) of \(quorum.required) required candidates present"
            case .noLeader: "no leader: no candidate in the group"
            case .disconnected: "no leader: Herald is not connected to ZooKeeper"
            case .elected: "no leader announced"
            }
        }
    }

    /// The answer now; with `wait`, the first one with a leader, both within `timeout`.
    func answer(wait: Bool, timeout: Duration) async throws -> LeaderAnswer {
        switch self {
        case .zooKeeper(let url, let required):
            return LeaderAnswer(
                try await ZooKeeperLeader.view(url: url, required: required, wait: wait, timeout: timeout))
        case .socket(let path, let socketTimeout):
            let now = try Self.current(socketPath: path, timeout: socketTimeout)
            guard wait, now.leader == nil else { return now }
            let client = DiscoveryClient(socketPath: path, timeout: socketTimeout)
            return try await Self.firstLeader(client: client, timeout: timeout) ?? now
        }
    }

    /// The socket's answer now, over a plain blocking socket; its errors as exit code 3.
    static func current(socketPath path: String, timeout: Duration) throws(HeraldExit) -> LeaderAnswer {
        do {
            return LeaderAnswer(try BlockingDiscoveryClient(socketPath: path, timeout: timeout).current())
        } catch {
            throw HeraldExit.socket("leader", error)
        }
    }

    /// Watches until a snapshot names a leader; nil when `timeout` passes first.
    private static func firstLeader(client: DiscoveryClient, timeout: Duration) async throws -> LeaderAnswer? {
        do {
            return try await withTimeout(timeout) {
                for await snapshot in client.updates() where snapshot.leader != nil {
                    return LeaderAnswer(snapshot)
                }
                return nil
            }
        } catch is TimeoutExpired {
            return nil
        }
    }
}
