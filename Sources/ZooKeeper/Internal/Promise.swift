import NIOConcurrencyHelpers

/// A value that is set once and can be awaited any number of times, with cancellation.
///
/// Watches use it: the C completion thread fulfils it (a locked store and a resume, nothing
/// more) and any number of tasks may be waiting on it.
final class Promise<Value: Sendable>: Sendable {
    private enum State {
        case pending(waiters: [UInt64: CheckedContinuation<Value, any Error>], nextID: UInt64)
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
        let waiters: [CheckedContinuation<Value, any Error>]? = state.withLockedValue { state in
            guard case .pending(let waiters, _) = state else { return nil }
            state = .done(result)
            return Array(waiters.values)
        }
        guard let waiters else { return false }
        for waiter in waiters { waiter.resume(with: result) }
        return true
    }

    func value() async throws -> Value {
        let id: UInt64? = state.withLockedValue { state in
            guard case .pending(let waiters, let next) = state else { return nil }
            state = .pending(waiters: waiters, nextID: next + 1)
            return next
        }
        guard let id else { return try result!.get() }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let early: Result<Value, any Error>? = state.withLockedValue { state in
                    switch state {
                    case .done(let result):
                        return result
                    case .pending(var waiters, let next):
                        if Task.isCancelled { return .failure(CancellationError()) }
                        waiters[id] = continuation
                        state = .pending(waiters: waiters, nextID: next)
                        return nil
                    }
                }
                if let early { continuation.resume(with: early) }
            }
        } onCancel: {
            let waiter: CheckedContinuation<Value, any Error>? = state.withLockedValue { state in
                guard case .pending(var waiters, let next) = state else { return nil }
                let waiter = waiters.removeValue(forKey: id)
                state = .pending(waiters: waiters, nextID: next)
                return waiter
            }
            waiter?.resume(throwing: CancellationError())
        }
    }

    private var result: Result<Value, any Error>? {
        state.withLockedValue { if case .done(let result) = $0 { return result } else { return nil } }
    }
}
