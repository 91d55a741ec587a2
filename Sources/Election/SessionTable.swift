import NIOConcurrencyHelpers
import ZooKeeper

/// The clients of an `ElectionGroup`'s run, by generation. The driver names sessions by
/// generation only and never holds a client: opening, requests and closing are effects that the
/// run loop performs with the client found here.
final class SessionTable: Sendable {
    private let clients = NIOLockedValueBox<[Int: ZooKeeperClient]>([:])

    subscript(generation: Int) -> ZooKeeperClient? {
        clients.withLockedValue { $0[generation] }
    }

    func insert(_ client: ZooKeeperClient, generation: Int) {
        clients.withLockedValue { $0[generation] = client }
    }

    func remove(_ generation: Int) -> ZooKeeperClient? {
        clients.withLockedValue { $0.removeValue(forKey: generation) }
    }

    func removeAll() -> [ZooKeeperClient] {
        clients.withLockedValue { clients in
            defer { clients = [:] }
            return Array(clients.values)
        }
    }
}
