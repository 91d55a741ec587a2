/// Runs an operation with a time limit, as structured concurrency: the operation is cancelled
/// when the limit passes, and the limit's timer when the operation finishes.
enum Deadline {
    static func run<Result: Sendable>(
        _ limit: Duration, onTimeout: @autoclosure @escaping @Sendable () -> any Error,
        _ operation: @escaping @Sendable () async throws -> Result
    ) async throws -> Result {
        try await withThrowingTaskGroup(of: Result.self) { group in
            group.addTask { try await operation() }
            group.addTask {
                try await Task.sleep(for: limit)
                throw onTimeout()
            }
            defer { group.cancelAll() }
            guard let result = try await group.next() else { throw CancellationError() }
            return result
        }
    }
}
