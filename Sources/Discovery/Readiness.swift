import NIOConcurrencyHelpers

/// A one-shot "the server is listening (or failed to)" signal that any number of tasks can await,
/// before or after it is resolved. Each waiter's continuation is resumed exactly once.
final class Readiness: Sendable {
    private enum State {
        case waiting([CheckedContinuation<Void, any Error>])
        case resolved(Result<Void, any Error>)
    }

    private let state = NIOLockedValueBox(State.waiting([]))

    func wait() async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let result: Result<Void, any Error>? = state.withLockedValue { state in
                switch state {
                case .waiting(var waiters):
                    waiters.append(continuation)
                    state = .waiting(waiters)
                    return nil
                case .resolved(let result):
                    return result
                }
            }
            if let result { continuation.resume(with: result) }
        }
    }

    /// The first resolution wins; later ones are ignored.
    func resolve(_ result: Result<Void, any Error>) {
        let waiters: [CheckedContinuation<Void, any Error>] = state.withLockedValue { state in
            guard case .waiting(let waiters) = state else { return [] }
            state = .resolved(result)
            return waiters
        }
        for waiter in waiters { waiter.resume(with: result) }
    }
}
