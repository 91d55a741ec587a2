import CSpawn
import Dispatch
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Runs a program to completion and returns its exit status and combined output.
///
/// Uses `posix_spawn` and a blocking `waitpid` on a Dispatch thread rather than Foundation's
/// `Process`, whose exit notification was seen never to arrive inside a test process that also
/// runs the ZooKeeper C client's threads (the child stayed a zombie).
public enum ChildProcess {
    public struct Result: Sendable {
        public var status: Int32
        public var output: String
    }

    public static func run(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:]
    ) async throws -> Result {
        let outputPath = FileManager.default.temporaryDirectory
            .appendingPathComponent("herald-child-\(UUID().uuidString).out").path
        defer { unlink(outputPath) }
        let child = try spawn(executable, arguments, environment: environment, output: outputPath)
        let status = await reap(child)
        let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        return Result(status: status, output: output)
    }

    /// Waits for `pid` to end and returns its exit status (128 + N after signal N). The blocking
    /// `waitpid` runs on a thread of its own: on a Dispatch worker it would take a thread from the
    /// small pool that also runs the process's Swift tasks (two on a 2-core machine), starving
    /// in-process servers the child talks to.
    public static func reap(_ pid: Int32) async -> Int32 {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: waitBlocking(pid)) }.start()
        }
    }

    /// Sends `signal` (if any), then waits for `pid` on the calling thread; for `defer` blocks and
    /// benchmark drivers, which have no async context.
    @discardableResult
    public static func stop(_ pid: Int32, signal: Int32?) -> Int32 {
        if let signal { kill(pid, signal) }
        return waitBlocking(pid)
    }

    private static func waitBlocking(_ pid: pid_t) -> Int32 {
        var raw: Int32 = 0
        while waitpid(pid, &raw, 0) == -1, errno == EINTR {}
        // WIFEXITED / WEXITSTATUS, spelled out (the C macros are not imported).
        return raw & 0x7f == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f)
    }

    /// Starts a program in the background with stdin from /dev/null and stdout and stderr
    /// appended to `output`; the caller waits for it (`waitpid`) or signals it.
    ///
    /// The signal mask and the usual signals' dispositions are reset: the spawning thread (a
    /// Dispatch or cooperative-pool thread) blocks most signals, and a child would inherit that,
    /// never seeing SIGTERM or SIGHUP.
    public static func spawn(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:], output: String
    ) throws -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // Nothing else of the test process: the ZooKeeper C client's sockets have no
        // close-on-exec, and a child holding other tests' sessions would skew what it measures.
        herald_spawn_close_from(&actions, 3)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        herald_spawn_default_signals(&attributes, 0)

        var merged = ProcessInfo.processInfo.environment
        for (key, value) in environment { merged[key] = value }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard spawned == 0 else {
            throw SpawnError(description: "cannot start \(executable): \(String(cString: strerror(spawned)))")
        }
        return pid
    }

    public struct SpawnError: Error, CustomStringConvertible {
        public var description: String
    }
}
