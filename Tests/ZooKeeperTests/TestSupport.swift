import Foundation
import HeraldTestSupport
import Logging
import Testing

@testable import ZooKeeper

/// Where the ensembles started by `Tests/run.sh` are. Integration tests fail with a clear
/// message when run without it, rather than pass without a server.
enum TestEnsemble {
    /// The shared 3-server ensemble for ordinary tests.
    static var servers: String {
        get throws {
            guard let value = ProcessInfo.processInfo.environment["HERALD_TEST_ZK"], !value.isEmpty else {
                throw SetupError("HERALD_TEST_ZK is not set: run the tests with Tests/run.sh")
            }
            return value
        }
    }

    /// The 3-server ensemble that fault tests stop and restart servers of (never shared with
    /// the ordinary tests, which run in parallel).
    static var faultServers: String {
        get throws {
            guard let value = ProcessInfo.processInfo.environment["HERALD_TEST_FAULT_ZK"], !value.isEmpty else {
                throw SetupError("HERALD_TEST_FAULT_ZK is not set: run the tests with Tests/run.sh")
            }
            return value
        }
    }

    static var faultDirectory: String {
        ProcessInfo.processInfo.environment["HERALD_TEST_FAULT_ZK_DIR"] ?? "/tmp/herald-zk-fault"
    }

    /// Runs `Deploy/zk-ensemble ARGS` against the fault ensemble; throws with its output.
    @discardableResult
    static func script(_ arguments: String...) async throws -> String {
        let result = try await ChildProcess.run(
            packageRoot.appendingPathComponent("Deploy/zk-ensemble").path, arguments,
            environment: ["ZK_ENSEMBLE_DIR": faultDirectory])
        guard result.status == 0 else {
            throw SetupError(
                "zk-ensemble \(arguments.joined(separator: " ")) failed (\(result.status)): \(result.output)")
        }
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Stops fault-ensemble server `id` for the duration of `body`, and always starts it again.
    static func withServerStopped<T>(_ id: Int, _ body: () async throws -> T) async throws -> T {
        try await script("stop-server", "\(id)")
        let result: T
        do {
            result = try await body()
        } catch {
            _ = try? await script("start-server", "\(id)")
            throw error
        }
        try await script("start-server", "\(id)")
        return result
    }

    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
}

struct SetupError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

struct TimeoutError: Error, CustomStringConvertible {
    let description: String
}

/// Runs `body`, failing with `what` if it has not finished within `limit`.
func within<T: Sendable>(
    _ limit: Duration, _ what: String, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else {
            throw TimeoutError(description: "timed out after \(limit) waiting for \(what)")
        }
        return value
    }
}

/// The next session event that matches, within a bounded time.
func nextEvent(
    _ events: AsyncStream<SessionEvent>, within limit: Duration, _ what: String,
    matching predicate: @escaping @Sendable (SessionEvent) -> Bool = { _ in true }
) async throws -> SessionEvent {
    try await within(limit, what) {
        for await event in events where predicate(event) { return event }
        throw SetupError("session event stream ended while waiting for \(what)")
    }
}

let testLogger: Logger = {
    var logger = Logger(label: "herald.tests")
    logger.logLevel = .warning
    return logger
}()

/// Opens a client on `servers`, runs `body`, always closes it.
@discardableResult
func withClient<T>(
    servers: String? = nil, sessionTimeout: Duration = .seconds(6),
    credentials: ZooKeeperConfiguration.DigestCredentials? = nil,
    _ body: (ZooKeeperClient) async throws -> T
) async throws -> T {
    let configuration = ZooKeeperConfiguration(
        servers: try servers ?? TestEnsemble.servers, sessionTimeout: sessionTimeout,
        connectTimeout: .seconds(20), credentials: credentials)
    let client = try await ZooKeeperClient.connect(configuration, logger: testLogger)
    do {
        let result = try await body(client)
        await client.close()
        return result
    } catch {
        await client.close()
        throw error
    }
}

/// A fresh persistent node for one test, so tests never see each other's nodes.
func scratchPath(_ client: ZooKeeperClient, _ name: String = #function) async throws -> String {
    let base = "/herald-tests"
    let label = name.filter { $0.isLetter || $0.isNumber }
    let path = "\(base)/\(label)-\(UUID().uuidString.prefix(8).lowercased())"
    try await client.ensurePath(path)
    return path
}

/// Expects `body` to throw a `ZooKeeperError` with `code`.
func expectZooKeeperError<T>(
    _ code: ZooKeeperError.Code, sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () async throws -> T
) async {
    do {
        _ = try await body()
        Issue.record("expected \(code), but the call succeeded", sourceLocation: sourceLocation)
    } catch let error as ZooKeeperError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected \(code), got \(error)", sourceLocation: sourceLocation)
    }
}
