import Discovery
import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// Times `herald leader --socket PATH` as a whole process: what a health check or a script pays.
struct LeaderTiming {
    var herald: String
    var runs: Int

    func run() async throws -> [Duration] {
        var template = Array("/tmp/hd-bench-XXXXXX".utf8CString)
        guard let created = mkdtemp(&template) else { throw BenchmarkError("mkdtemp failed") }
        let directory = String(cString: created)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/s.sock"
        // The idle connections below stay idle for the whole timing.
        let server = DiscoveryServer(
            configuration: .init(socketPath: path, idleTimeout: .seconds(3600)), initial: Inputs.input(0),
            logger: Logger(label: "fanout", factory: { _ in SwiftLogNoOpLogHandler() }))
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }
            defer { group.cancelAll() }
            try await server.waitUntilListening()
            var idle: [Int32] = []
            for _ in 0..<10 { idle.append(try RawSocket.connectAndPing(path)) }
            defer { for descriptor in idle { close(descriptor) } }
            var times: [Duration] = []
            for _ in 0..<(runs + 2) {
                let start = ContinuousClock.now
                let status = try await Self.spawnAndWait(herald, ["leader", "--socket", path])
                guard status == 0 else { throw BenchmarkError("herald leader exited \(status)") }
                times.append(ContinuousClock.now - start)
            }
            return Array(times.dropFirst(2))
        }
    }

    /// posix_spawn with output to /dev/null, reaped on a thread of its own (not a pool thread).
    static func spawnAndWait(_ executable: String, _ arguments: [String]) async throws -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        guard spawned == 0 else { throw BenchmarkError("cannot start \(executable): errno \(spawned)") }
        let child = pid
        return await withCheckedContinuation { continuation in
            Thread {
                var raw: Int32 = 0
                while waitpid(child, &raw, 0) == -1, errno == EINTR {}
                continuation.resume(returning: raw & 0x7f == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f))
            }.start()
        }
    }
}
