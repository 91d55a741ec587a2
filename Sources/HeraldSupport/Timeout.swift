/// Thrown by `withTimeout` when the limit passed before the operation finished.
public struct TimeoutExpired: Error, Hashable, Sendable, CustomStringConvertible {
    public var limit: Duration

    public init(limit: Duration) { self.limit = limit }

    public var description: String { "timed out after \(limit)" }
}

/// Runs `operation` for at most `limit`, as structured concurrency: when the limit passes first,
/// the operation is cancelled and `TimeoutExpired` is thrown; when the operation finishes first,
/// the timer is cancelled. The one "race against a sleep" of the project: callers that need
/// another outcome (nil, their own error) map `TimeoutExpired`.
///
/// Being structured, it returns only once the operation has ended: an operation that ignores
/// cancellation holds it past the limit. Cancelling the calling task cancels both and throws the
/// operation's error or `CancellationError`, never `TimeoutExpired`.
public func withTimeout<Result: Sendable>(
    _ limit: Duration, _ operation: @escaping @Sendable () async throws -> Result
) async throws -> Result {
    try await withThrowingTaskGroup(of: Result.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: limit)
            throw TimeoutExpired(limit: limit)
        }
        defer { group.cancelAll() }
        guard let result = try await group.next() else { throw CancellationError() }
        return result
    }
}

/// `withTimeout(_:_:)` that throws `onTimeout()` instead of `TimeoutExpired`.
public func withTimeout<Result: Sendable>(
    _ limit: Duration, onTimeout: @autoclosure @escaping @Sendable () -> any Error,
    _ operation: @escaping @Sendable () async throws -> Result
) async throws -> Result {
    do {
        return try await withTimeout(limit, operation)
    } catch is TimeoutExpired {
        throw onTimeout()
    }
}
