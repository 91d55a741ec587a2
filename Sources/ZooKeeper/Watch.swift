/// A one-time notification registered by a read (`get`, `exists`, `children` with a watch).
///
/// It fires once: with the node event, or with an error when the session expires or the client
/// is closed first. `event()` may be awaited from several tasks; all get the same answer.
/// It is also an `AsyncSequence` of that one event, for `for try await` loops.
public struct Watch: Sendable, AsyncSequence {
    public typealias Element = WatchEvent

    let promise: Promise<WatchEvent>

    /// Waits for the event. Throws `ZooKeeperError` (`sessionExpired`, `closing`) if the watch can
    /// never fire, or `CancellationError` if the waiting task is cancelled.
    public func event() async throws -> WatchEvent {
        try await promise.value()
    }

    /// Whether the watch has fired (or failed) already.
    public var hasFired: Bool { promise.isFulfilled }

    /// Calls `callback` once with the outcome, on the C client's completion thread (or at once if
    /// the watch has fired already). Watches of one client fire in the order the server sent their
    /// events, so callbacks that only hand the event on (yield into a stream) keep that order,
    /// which tasks awaiting `event()` do not. The callback must not block or call the client.
    public func onFire(_ callback: @escaping @Sendable (Result<WatchEvent, any Error>) -> Void) {
        promise.whenFulfilled(callback)
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let promise: Promise<WatchEvent>
        var delivered = false

        public mutating func next() async throws -> WatchEvent? {
            if delivered { return nil }
            delivered = true
            return try await promise.value()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(promise: promise) }
}

/// What happened to a watched node.
public struct WatchEvent: Hashable, Sendable {
    public enum Kind: Hashable, Sendable {
        case created
        case deleted
        case dataChanged
        case childrenChanged
        /// The server removed the watch (e.g. `removeWatches`).
        case notWatching
    }

    public var kind: Kind
    public var path: String

    public init(kind: Kind, path: String) {
        self.kind = kind
        self.path = path
    }
}
