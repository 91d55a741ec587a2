public import Foundation
import HeraldSupport
public import Logging
public import ZooKeeper

// Helpers shared by the test targets that need a real ZooKeeper ensemble.

/// Where the ensembles started by `Tests/run.sh` are. Integration tests fail with a clear
/// message when run without it, rather than pass without a server.
public enum TestEnsemble {
    /// The shared 3-server ensemble for ordinary tests.
    public static var servers: String {
        get throws {
            guard let value = ProcessInfo.processInfo.environment["HERALD_TEST_ZK"], !value.isEmpty else {
                throw SetupError("HERALD_TEST_ZK is not set: run the tests with Tests/run.sh")
            }
            return value
        }
    }

    /// The 3-server ensemble that fault tests stop and restart servers of (never shared with
    /// the ordinary tests, which run in parallel).
    public static var faultServers: String {
        get throws {
            guard let value = ProcessInfo.processInfo.environment["HERALD_TEST_FAULT_ZK"], !value.isEmpty else {
                throw SetupError("HERALD_TEST_FAULT_ZK is not set: run the tests with Tests/run.sh")
            }
            return value
        }
    }

    /// The fault-ensemble server id (1…) of `server` (`host:port`, as a session reports it).
    public static func faultServerID(_ server: String) -> Int? {
        guard let list = try? faultServers else { return nil }
        return list.split(separator: ",").firstIndex { $0 == server }.map { $0 + 1 }
    }

    public static var faultDirectory: String {
        ProcessInfo.processInfo.environment["HERALD_TEST_FAULT_ZK_DIR"] ?? "/tmp/herald-zk-fault"
    }

    /// Runs `Deploy/zk-ensemble ARGS` against the fault ensemble; throws with its output.
    @discardableResult
    public static func script(_ arguments: String...) async throws -> String {
        let result = try await ChildProcess.run(
            packageRoot.appendingPathComponent("Deploy/zk-ensemble").path, arguments,
            environment: ["ZK_ENSEMBLE_DIR": faultDirectory])
        guard result.status == 0 else {
            throw SetupError(
                "zk-ensemble \(arguments.joined(separator: " ")) failed (\(result.status)): \(result.output)")
        }
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Runs `body` with the fault ensemble to itself: fault tests live in several suites (and
    /// test targets linked into one test process), and `.serialized` only orders a suite's own
    /// tests, so every user of the fault ensemble goes through this process-wide lock. Once the
    /// lock is held, the ensemble is waited for, so that a previous test's restarts have settled.
    public static func withFaultEnsemble<T>(_ body: (String) async throws -> T) async throws -> T {
        let servers = try faultServers
        await faultLock.acquire()
        let result: T
        do {
            try await script("wait")
            result = try await body(servers)
        } catch {
            await faultLock.release()
            throw error
        }
        await faultLock.release()
        return result
    }

    private static let faultLock = AsyncLock()

    /// Stops fault-ensemble server `id` for the duration of `body`, and always starts it again.
    public static func withServerStopped<T>(_ id: Int, _ body: () async throws -> T) async throws -> T {
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

    public static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
}

/// A first-come, first-served lock for async code that must not overlap.
actor AsyncLock {
    private var held = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func acquire() async {
        guard held else {
            held = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    func release() {
        if waiters.isEmpty {
            held = false
        } else {
            waiters.removeFirst().resume()
        }
    }
}

public struct SetupError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

public struct TimeoutError: Error, CustomStringConvertible {
    public let description: String
}

/// Runs `body`, failing with `what` if it has not finished within `limit`.
public func within<T: Sendable>(
    _ limit: Duration, _ what: String, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withTimeout(limit, onTimeout: TimeoutError(description: "timed out after \(limit) waiting for \(what)")) {
        try await body()
    }
}

/// The next session event that matches, within a bounded time.
public func nextEvent(
    _ events: AsyncStream<SessionEvent>, within limit: Duration, _ what: String,
    matching predicate: @escaping @Sendable (SessionEvent) -> Bool = { _ in true }
) async throws -> SessionEvent {
    try await within(limit, what) {
        for await event in events where predicate(event) { return event }
        throw SetupError("session event stream ended while waiting for \(what)")
    }
}

public let testLogger: Logger = {
    var logger = Logger(label: "herald.tests")
    logger.logLevel = .warning
    return logger
}()

/// Opens a client on `servers`, runs `body`, always closes it.
@discardableResult
public func withClient<T>(
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
