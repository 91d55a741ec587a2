import HeraldSupport
public import Logging
public import ServiceLifecycle

/// A helper service that must never end `herald serve` by failing (the metrics listener, say):
/// each failure is logged as one line and the service is started again after a backoff (200 ms
/// doubling to 30 s), until a graceful shutdown or cancellation. Only a configuration error or a
/// signal ends the process.
public struct RetryingService: Service, CustomStringConvertible {
    public let description: String
    let logger: Logger
    let make: @Sendable () -> any Service
    let problems: ProblemBoard?

    /// - Parameters:
    ///   - problems: where each failure is reported under `name`, cleared once an attempt has run
    ///     for `healthyAfter`.
    ///   - make: a new instance of the service for each attempt.
    public init(
        _ name: String, logger: Logger, problems: ProblemBoard? = nil, make: @escaping @Sendable () -> any Service
    ) {
        description = name
        self.logger = logger
        self.problems = problems
        self.make = make
    }

    /// How long an attempt must run before its component counts as working again.
    static let healthyAfter = Duration.seconds(2)

    public func run() async throws {
        var failures = 0
        while !Task.isCancelled {
            let clearing = Task { [problems, description] in
                guard (try? await Task.sleep(for: Self.healthyAfter)) != nil else { return }
                problems?.clear(description)
            }
            defer { clearing.cancel() }
            do {
                try await make().run()
                return
            } catch {
                problems?.report(description, "\(error)")
                if Task.isCancelled || Task.isShuttingDownGracefully { return }
                let delay = Backoff(initial: .milliseconds(200), maximum: .seconds(30)).next(&failures)
                logger.error(
                    "\(description) failed; retrying", metadata: ["error": "\(error)", "retry_in": "\(delay)"])
                do {
                    try await cancelWhenGracefulShutdown { try await Task.sleep(for: delay) }
                } catch {
                    return
                }
            }
        }
    }
}
