import NIOConcurrencyHelpers

/// Hands every element to each of its receivers: streams (`stream()`, `add(_:)`), removed when
/// their consumer ends, and handlers (`add(handler:)`), called on the yielding thread. The one
/// listener list of the project.
///
/// Receivers are read under its lock and told outside it. An owner whose receivers must be
/// chosen atomically with its own state (who was subscribed when the state changed) takes
/// `receivers()` or `removeAll()` inside its own lock and tells them after releasing it; the
/// lock order is then always the owner's first.
public final class Broadcaster<Element: Sendable>: Sendable {
    /// Identifies a receiver for `remove(_:)`.
    public struct Key: Hashable, Sendable {
        let value: Int
    }

    /// A receiver: what `yield` and `finish` do for it.
    struct Receiver: Sendable {
        var yield: @Sendable (Element) -> Void
        var finish: @Sendable () -> Void
    }

    /// Receivers taken at one moment, to be told outside any lock.
    public struct Receivers: Sendable {
        let receivers: [Receiver]

        public var isEmpty: Bool { receivers.isEmpty }

        public func yield(_ element: Element) {
            for receiver in receivers { receiver.yield(element) }
        }

        /// Every element to each receiver, in order.
        public func yield(contentsOf elements: [Element]) {
            for receiver in receivers {
                for element in elements { receiver.yield(element) }
            }
        }

        /// Ends each stream (handlers have nothing to end).
        public func finish() {
            for receiver in receivers { receiver.finish() }
        }
    }

    private struct State {
        var receivers: [Int: Receiver] = [:]
        var next = 0
    }

    private let state = NIOLockedValueBox(State())

    public init() {}

    /// A new stream of every element from now on, until `finish()`, `removeAll()` or its
    /// consumer ends.
    public func stream(
        bufferingPolicy: AsyncStream<Element>.Continuation.BufferingPolicy = .unbounded
    ) -> AsyncStream<Element> {
        let (stream, continuation) = AsyncStream<Element>.makeStream(bufferingPolicy: bufferingPolicy)
        add(continuation)
        return stream
    }

    /// Adds a stream's continuation (for an owner that tells it something first); it is removed
    /// when its consumer ends.
    @discardableResult
    public func add(_ continuation: AsyncStream<Element>.Continuation) -> Key {
        let key = insert(Receiver(yield: { continuation.yield($0) }, finish: { continuation.finish() }))
        // Weak: the continuation, and so this closure, is stored here.
        continuation.onTermination = { [weak self] _ in self?.take(key) }
        return key
    }

    /// Adds a handler, called with every element on the thread that yields it.
    @discardableResult
    public func add(handler: @escaping @Sendable (Element) -> Void) -> Key {
        insert(Receiver(yield: handler, finish: {}))
    }

    /// Removes a receiver and ends it if it is a stream; false when it was gone already.
    @discardableResult
    public func remove(_ key: Key) -> Bool {
        guard let receiver = take(key) else { return false }
        receiver.finish()
        return true
    }

    @discardableResult
    private func take(_ key: Key) -> Receiver? {
        state.withLockedValue { $0.receivers.removeValue(forKey: key.value) }
    }

    /// The receivers now.
    public func receivers() -> Receivers {
        Receivers(receivers: state.withLockedValue { Array($0.receivers.values) })
    }

    /// Removes every receiver and returns them, to be finished by the caller.
    public func removeAll() -> Receivers {
        Receivers(
            receivers: state.withLockedValue { state in
                defer { state.receivers = [:] }
                return Array(state.receivers.values)
            })
    }

    public func yield(_ element: Element) { receivers().yield(element) }

    public func yield(contentsOf elements: [Element]) { receivers().yield(contentsOf: elements) }

    /// Ends and removes every receiver now; receivers added later are told later elements.
    public func finish() { removeAll().finish() }

    private func insert(_ receiver: Receiver) -> Key {
        state.withLockedValue { state in
            defer { state.next += 1 }
            state.receivers[state.next] = receiver
            return Key(value: state.next)
        }
    }
}
