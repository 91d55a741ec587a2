import NIOConcurrencyHelpers

/// A value that is set once and can be awaited any number of times, with cancellation.
///
/// Watches use it: the C completion thread fulfils it (a locked store and a resume, nothing
/// more) and any number of tasks may be waiting on it.
final class Promise<Value: Sendable>: Sendable {
    typealias Waiter = @Sendable (Result<Value, any Error>) -> Void

    private enum State {
        case pending(waiters: [UInt64: Waiter], nextID: UInt64)
        case done(Result<Value, any Error>)
    }

    private let state = NIOLockedValueBox<State>(.pending(waiters: [:], nextID: 0))

    init() {}

    var isFulfilled: Bool {
        state.withLockedValue { if case .done = $0 { return true } else { return false } }
    }

    /// Sets the result; returns false if it had been set already (the first one wins).
    @discardableResult
    func fulfil(_ result: Result<Value, any Error>) -> Bool {
        let waiters: [Waiter]? = state.withLockedValue { state in
            guard case .pending(let waiters, _) = state else { return nil }
            state = .done(result)
            return Array(waiters.values)
        }
        guard let waiters else { return false }
        for waiter in waiters { waiter(result) }
        return true
    }

    /// Adds a waiter, or returns the result if it is already there.
    private func enqueue(_ waiter: @escaping Waiter) -> (id: UInt64?, early: Result<Value, any Error>?) {
        state.withLockedValue { state in
            switch state {
            case .done(let result):
                return (nil, result)
            case .pending(var waiters, let next):
                waiters[next] = waiter
                state = .pending(waiters: waiters, nextID: next + 1)
                return (next, nil)
            }
        }
    }

    private func remove(_ id: UInt64) -> Waiter? {
        state.withLockedValue { state in
            guard case .pending(var waiters, let next) = state else { return nil }
            let waiter = waiters.removeValue(forKey: id)
            state = .pending(waiters: waiters, nextID: next)
            return waiter
        }
    }

    /// Calls `callback` with the result on the thread that sets it (at once if it is set already).
    func whenFulfilled(_ callback: @escaping Waiter) {
        let (_, early) = enqueue(callback)
        if let early { callback(early) }
    }

    /// Waits for the value; a cancelled task stops waiting with `CancellationError`.
    func value() async throws -> Value {
        let registered = NIOLockedValueBox<UInt64?>(nil)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let (id, early) = enqueue { continuation.resume(with: $0) }
                if let early {
                    continuation.resume(with: early)
                    return
                }
                registered.withLockedValue { $0 = id }
                if Task.isCancelled, let id, let waiter = remove(id) {
                    waiter(.failure(CancellationError()))
                }
            }
        } onCancel: {
            if let id = registered.withLockedValue({ $0 }), let waiter = remove(id) {
                waiter(.failure(CancellationError()))
            }
        }
    }

    /// Waits for the result even if the calling task is cancelled (for `close()`, which must
    /// not return before the handle is really closed).
    func result() async -> Result<Value, any Error> {
        await withCheckedContinuation { continuation in
            let (_, early) = enqueue { continuation.resume(returning: $0) }
            if let early { continuation.resume(returning: early) }
        }
    }
}
