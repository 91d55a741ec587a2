import HeraldSupport
import Testing

@Suite("withTimeout")
struct TimeoutTests {
    @Test func returnsTheOperationsResult() async throws {
        let value = try await withTimeout(.seconds(10)) { 42 }
        #expect(value == 42)
    }

    @Test(.timeLimit(.minutes(1))) func throwsTimeoutExpiredAndCancelsTheOperation() async throws {
        let error = await #expect(throws: TimeoutExpired.self) {
            try await withTimeout(.milliseconds(50)) {
                // Ends only by cancellation: proof that the operation was cancelled.
                try await Task.sleep(for: .seconds(3600))
            }
        }
        #expect(error?.limit == .milliseconds(50))
    }

    @Test func throwsTheChosenErrorOnTimeout() async throws {
        struct Late: Error {}
        await #expect(throws: Late.self) {
            try await withTimeout(.milliseconds(20), onTimeout: Late()) { try await Task.sleep(for: .seconds(3600)) }
        }
    }

    @Test func passesTheOperationsErrorOn() async throws {
        struct Failed: Error {}
        await #expect(throws: Failed.self) {
            try await withTimeout(.seconds(10)) { throw Failed() }
        }
    }

    @Test(.timeLimit(.minutes(1))) func cancellationIsNotATimeout() async throws {
        let task = Task {
            try await withTimeout(.seconds(3600)) { try await Task.sleep(for: .seconds(3600)) }
        }
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
    }
}
