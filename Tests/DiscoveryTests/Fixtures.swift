import Discovery
import ElectionModel
import Foundation
import MesosLayout

/// Election views and snapshot inputs for the tests: masters `m<N>` at `10.0.0.<N>:5050`, node
/// `json.info_<N>` with epoch 2^32 + N.
enum Fixtures {
    static func candidate(_ sequence: Int32) -> Candidate {
        let info = MasterInfo(
            id: "id-\(sequence)", ipv4: "10.0.0.\(sequence)", port: 5050, hostname: "m\(sequence)", version: "1.11.0")
        let node = "json.info_" + String(format: "%010d", sequence)
        return Candidate(
            node: node, path: "/mesos/\(node)", sequence: sequence, epoch: 4_294_967_296 + Int64(sequence),
            ephemeralOwner: 0x1000 + Int64(sequence), info: info)
    }

    /// `leader` nil gives `no_leader` (or the given state); candidates default to 1, 2, 3.
    static func view(
        leader: Int32? = 1, candidates: [Int32] = [1, 2, 3], state: ElectionView.State? = nil, stale: Bool = false,
        required: Int = 2, server: String? = "127.0.0.1:2181"
    ) -> ElectionView {
        ElectionView(
            state: state ?? (leader == nil ? .noLeader : .elected), leader: leader.map(candidate), stale: stale,
            candidates: candidates.map(candidate), required: required,
            connection: ConnectionInfo(
                state: stale ? .connecting : .connected, server: server, sessionTimeout: .seconds(10),
                sessionID: server == nil ? nil : 0x1_0000_abcd))
    }

    static func input(
        _ view: ElectionView = view(), cluster: String = "mantl", followers: Int = 2,
        names: DNSNames = DNSNames()
    ) -> SnapshotInput {
        SnapshotInput(
            view: view,
            followers: (1...max(1, followers)).prefix(followers).map {
                SnapshotInput.Follower(hostname: "f\($0)", ip: "10.0.1.\($0 % 250)", port: 5051 + $0 / 250)
            },
            zooKeeperHosts: [
                Snapshot.Endpoint(ip: "10.0.0.1", port: 2181), Snapshot.Endpoint(ip: "10.0.0.2", port: 2181),
                Snapshot.Endpoint(ip: "10.0.0.3", port: 2181),
            ],
            cluster: cluster, publisher: Snapshot.Publisher(mode: .leader, role: .candidate, hostname: "m2"),
            names: names)
    }

    /// A different input for every `index`: what load tests publish.
    static func changing(_ index: Int, followers: Int = 2) -> SnapshotInput {
        input(view(server: "127.0.0.1:\(index)"), followers: followers)
    }
}
