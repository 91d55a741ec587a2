import NIOConcurrencyHelpers
import ZooKeeper

/// The clients of an `ElectionGroup`'s run, by generation. The driver names sessions by
/// generation only and never holds a client: opening, requests and closing are effects that the
/// run loop performs with the client found here.
final class SessionTable: Sendable {
    private let clients = NIOLockedValueBox<[Int: ZooKeeperClient]>([:])
    private let watchers = NIOLockedValueBox<Watchers>(Watchers())

    private struct Watchers {
        var latest: ZooKeeperClient?
        var continuations: [Int: AsyncStream<ZooKeeperClient>.Continuation] = [:]
        var next = 0
        var finished = false
    }

    /// The newest client now (if any) and each new one, until `finish()`.
    func updates() -> AsyncStream<ZooKeeperClient> {
        let (stream, continuation) = AsyncStream<ZooKeeperClient>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let (key, latest, finished) = watchers.withLockedValue { state in
            state.next += 1
            if !state.finished { state.continuations[state.next] = continuation }
            return (state.next, state.latest, state.finished)
        }
        if let latest { continuation.yield(latest) }
        if finished { continuation.finish() }
        continuation.onTermination = { [weak self] _ in
            _ = self?.watchers.withLockedValue { $0.continuations.removeValue(forKey: key) }
        }
        return stream
    }

    /// Ends every `updates()` stream: the election has stopped.
    func finish() {
        let continuations = watchers.withLockedValue { state in
            defer {
                state.continuations = [:]
                state.finished = true
                state.latest = nil
            }
            return Array(state.continuations.values)
        }
        for continuation in continuations { continuation.finish() }
    }

    subscript(generation: Int) -> ZooKeeperClient? {
        clients.withLockedValue { $0[generation] }
    }

    func insert(_ client: ZooKeeperClient, generation: Int) {
        clients.withLockedValue { $0[generation] = client }
        let continuations = watchers.withLockedValue { state in
            state.latest = client
            return Array(state.continuations.values)
        }
        for continuation in continuations { continuation.yield(client) }
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
