import CSpawn
import NIOConcurrencyHelpers

#if canImport(Glibc)
    import Glibc
#endif

/// One run of a hook command: `/bin/sh -c COMMAND` in its own process group, its stdout and
/// stderr on pipes, supervised by two blocking calls that the runner puts on its own threads.
///
/// Why two threads and no Foundation `Process`: `Process` was seen never to report the exit of a
/// child in a process that also runs the ZooKeeper C client's threads, and a blocking `waitpid`
/// or `read` on the cooperative pool would stall every task of the service. So `waitForExit()`
/// sits in `waitid(WNOWAIT)` and, when the shell exits, wakes `supervise(…)`, which meanwhile
/// `poll`s the output pipes and a wake pipe against the timeout.
///
/// `WNOWAIT` leaves the exited shell a zombie until `supervise` reaps it, after its last signal:
/// while the zombie exists its pid (and so the process group id) cannot be reused, so
/// `killpg` never reaches an unrelated group.
///
/// A run that Herald ends (its timeout, or `terminate()`) ends with the whole process group: the
/// shell may die of SIGTERM while a background child that ignores it lives on, so once the shell
/// has exited the group gets SIGKILL too, before the shell is reaped, and `supervise` returns
/// only when no member is alive any more (or the grace period has passed again).
final class HookProcess: Sendable {
    /// How a run ended.
    enum Outcome: Hashable, Sendable {
        /// The shell exited with this status.
        case exited(Int32)
        /// The shell was killed by this signal (not by Herald).
        case signalled(Int32)
        /// The timeout passed, or `terminate()` was called (`requested`): the group got SIGTERM
        /// and, if the shell was still running after the grace period, SIGKILL (`killed`); what
        /// was left of the group after the shell exited got SIGKILL too.
        case terminated(killed: Bool, requested: Bool)
    }

    struct SpawnError: Error, CustomStringConvertible {
        var description: String
    }

    let pid: pid_t
    // Read ends of the output pipes and both ends of the wake pipe. Owned by `supervise`, which
    // closes the output pipes; the wake pipe is closed under `wakeLock` so that `terminate()`
    // never writes to a descriptor number that was closed and reused.
    private let stdout: Int32
    private let stderr: Int32
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private let wakeLock: NIOLockedValueBox<WakeState>

    private struct WakeState: Sendable {
        var exited = false
        var terminateRequested = false
        var closed = false
    }

    /// Starts `command`; the child's environment is Herald's own plus `environment`.
    ///
    /// The signal mask and the usual signals' dispositions are reset: the spawning thread blocks
    /// signals and Herald ignores SIGPIPE, and a hook would inherit both, never seeing SIGTERM.
    init(command: String, environment: [String: String]) throws {
        let out = try Self.makePipe()
        let err = try Self.makePipe()
        let wake = try Self.makePipe(nonBlockingWrite: true)
        let all = [out.read, out.write, err.read, err.write, wake.read, wake.write]
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, out.write, 1)
        posix_spawn_file_actions_adddup2(&actions, err.write, 2)
        // Close-on-exec is set on these, but only after `pipe`: close them explicitly too.
        for fd in all { posix_spawn_file_actions_addclose(&actions, fd) }
        // And every other descriptor: the ZooKeeper C client opens its session's socket and its
        // wake-up pipe without close-on-exec, and a hook must not hold Herald's session open.
        // Closed in the child, so that one another thread opens meanwhile is closed too.
        herald_spawn_close_from(&actions, 3)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setpgroup(&attributes, 0)
        herald_spawn_default_signals(&attributes, Int16(POSIX_SPAWN_SETPGROUP))

        var merged = Self.inheritedEnvironment()
        merged.merge(environment) { _, new in new }
        let arguments: [String] = ["/bin/sh", "-c", command]
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, "/bin/sh", &actions, &attributes, argv, envp)
        close(out.write)
        close(err.write)
        guard spawned == 0 else {
            for fd in [out.read, err.read, wake.read, wake.write] { close(fd) }
            throw SpawnError(description: "cannot start /bin/sh: \(String(cString: strerror(spawned)))")
        }
        self.pid = pid
        self.stdout = out.read
        self.stderr = err.read
        self.wakeRead = wake.read
        self.wakeWrite = wake.write
        self.wakeLock = NIOLockedValueBox(WakeState())
    }

    /// Blocks until the shell has exited (without reaping it), then wakes `supervise`.
    func waitForExit() {
        var info = siginfo_t()
        while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) == -1, errno == EINTR {}
        wake { $0.exited = true }
    }

    /// Asks `supervise` to end the run now, as if the timeout had passed. Safe from any thread,
    /// any number of times, also after the run ended.
    func terminate() {
        wake { $0.terminateRequested = true }
    }

    /// Blocks until the shell has exited and been reaped, handing each output chunk to `output`
    /// as it arrives; signals the process group at `timeout` (SIGTERM) and `timeout + grace`
    /// (SIGKILL). When the group got SIGTERM, it gets SIGKILL once the shell has exited, and this
    /// waits (at most `grace`) until none of it is alive.
    func supervise(
        timeout: Duration, grace: Duration, output: (UnsafeRawBufferPointer, HookOutput.Stream) -> Void
    ) -> Outcome {
        let clock = ContinuousClock()
        var termAt = clock.now.advanced(by: timeout)
        var killAt: ContinuousClock.Instant?
        var killed = false
        var requested = false
        var open: [(fd: Int32, stream: HookOutput.Stream)] = [(stdout, .stdout), (stderr, .stderr)]
        var exited = false
        while !exited {
            let deadline = killed ? nil : (killAt ?? termAt)
            var fds = open.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
            fds.append(pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0))
            let ready = poll(&fds, nfds_t(fds.count), deadline.map { Self.milliseconds(until: $0, clock) } ?? -1)
            if ready == -1, errno != EINTR {
                // Cannot happen with valid descriptors; do not spin on it: let the deadlines act.
                usleep(10_000)
            }
            if ready > 0 {
                for (index, pipe) in open.enumerated().reversed() where fds[index].revents != 0 {
                    if !Self.read(pipe.fd, pipe.stream, output) {
                        close(pipe.fd)
                        open.remove(at: index)
                    }
                }
                if fds[fds.count - 1].revents != 0 {
                    let state = drainWake()
                    exited = state.exited
                    if state.terminateRequested, killAt == nil {
                        requested = true
                        termAt = clock.now
                    }
                }
            }
            if exited { break }
            if killAt == nil, clock.now >= termAt {
                killpg(pid, SIGTERM)
                killAt = clock.now.advanced(by: grace)
            } else if let at = killAt, !killed, clock.now >= at {
                killpg(pid, SIGKILL)
                killed = true
            }
        }
        if killAt != nil {
            // Herald ended this run: nothing of it may outlive it. The zombie shell still holds
            // the group id, so this cannot reach another group.
            killpg(pid, SIGKILL)
            awaitGroupExit(within: grace)
        }
        // The shell is gone, but something it started in the background may still hold the
        // pipes: take what is there now, never wait for their end.
        for pipe in open {
            _ = fcntl(pipe.fd, F_SETFL, O_NONBLOCK)
            for _ in 0..<16 {
                guard Self.read(pipe.fd, pipe.stream, output) else { break }
            }
            close(pipe.fd)
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1, errno == EINTR {}
        wakeLock.withLockedValue { state in
            state.closed = true
            close(wakeRead)
            close(wakeWrite)
        }
        if killAt != nil { return .terminated(killed: killed, requested: requested) }
        // WIFEXITED / WEXITSTATUS / WTERMSIG, spelled out (the C macros are not imported).
        return status & 0x7f == 0 ? .exited((status >> 8) & 0xff) : .signalled(status & 0x7f)
    }

    /// Waits, at most `grace`, until every member of the group that got SIGKILL has exited, so
    /// that the next hook starts only after them: a lock or a port they held is free by then.
    ///
    /// Called before the shell is reaped, so the group id is still this run's. Exited members
    /// stay zombies until their new parent reaps them, which may take a while (or never, under
    /// an init that does not reap); a zombie holds nothing, so only live members count, and
    /// `kill(-pid, 0)` cannot tell them apart. There is no event to wait for: this polls `/proc`.
    private func awaitGroupExit(within grace: Duration) {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: grace)
        while Self.hasLiveMember(group: pid), clock.now < deadline {
            usleep(5_000)
        }
    }

    /// Whether a process of group `group` is alive (not a zombie), from `/proc/PID/stat`.
    static func hasLiveMember(group: pid_t) -> Bool {
        guard let directory = opendir("/proc") else { return false }
        defer { closedir(directory) }
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { bytes in
                String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard let member = pid_t(name), let (state, processGroup) = stat(of: member) else { continue }
            if processGroup == group, state != UInt8(ascii: "Z"), state != UInt8(ascii: "X") { return true }
        }
        return false
    }

    /// The state letter and the process group of `pid`, or nil when it is gone.
    private static func stat(of pid: pid_t) -> (state: UInt8, group: pid_t)? {
        let fd = open("/proc/\(pid)/stat", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: 1024)
        let count = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        guard count > 0 else { return nil }
        // "PID (COMM) STATE PPID PGRP …": COMM may hold spaces and parentheses, so fields are
        // counted from its last ')'.
        guard let close = bytes[..<count].lastIndex(of: UInt8(ascii: ")")) else { return nil }
        let fields = bytes[(close + 1)..<count].split(separator: UInt8(ascii: " "))
        guard fields.count > 3, let state = fields[0].first,
            let group = pid_t(String(decoding: fields[2], as: UTF8.self))
        else { return nil }
        return (state, group)
    }

    /// Reads one chunk into `output`; false at the end of the stream (or an error, or nothing
    /// available on a non-blocking descriptor).
    private static func read(
        _ fd: Int32, _ stream: HookOutput.Stream, _ output: (UnsafeRawBufferPointer, HookOutput.Stream) -> Void
    ) -> Bool {
        withUnsafeTemporaryAllocation(byteCount: 8192, alignment: 1) { buffer in
            var count: Int
            repeat { count = Glibc.read(fd, buffer.baseAddress, buffer.count) } while count == -1 && errno == EINTR
            guard count > 0 else { return false }
            output(UnsafeRawBufferPointer(rebasing: buffer[..<count]), stream)
            return true
        }
    }

    private func wake(_ update: (inout WakeState) -> Void) {
        wakeLock.withLockedValue { state in
            guard !state.closed else { return }
            update(&state)
            var byte: UInt8 = 1
            // Non-blocking: a full pipe already holds a wake-up.
            _ = Glibc.write(wakeWrite, &byte, 1)
        }
    }

    private func drainWake() -> WakeState {
        var bytes = (0 as UInt64, 0 as UInt64)
        _ = withUnsafeMutableBytes(of: &bytes) { Glibc.read(wakeRead, $0.baseAddress, $0.count) }
        return wakeLock.withLockedValue { $0 }
    }

    private static func milliseconds(until deadline: ContinuousClock.Instant, _ clock: ContinuousClock) -> Int32 {
        let left = clock.now.duration(to: deadline)
        guard left > .zero else { return 0 }
        let (seconds, attoseconds) = left.components
        // Round up: waking a little early would only spin once more.
        return Int32(clamping: seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000)
    }

    /// A pipe whose ends are close-on-exec (set right after `pipe`: `pipe2` is not imported).
    /// Only the wake pipe gets a non-blocking write end: the output pipes' write ends become the
    /// hook's stdout and stderr, which must block as usual when Herald reads slower than it writes.
    private static func makePipe(nonBlockingWrite: Bool = false) throws -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else {
            throw SpawnError(description: "cannot create a pipe: \(String(cString: strerror(errno)))")
        }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        if nonBlockingWrite { _ = fcntl(fds[1], F_SETFL, O_NONBLOCK) }
        return (fds[0], fds[1])
    }

    /// Herald's environment, read from `environ` (Foundation is not needed for that), less what
    /// a hook must not get (see `inherits(_:)`).
    private static func inheritedEnvironment() -> [String: String] {
        var result: [String: String] = [:]
        var entry = environ
        while let pointer = entry.pointee {
            let text = String(cString: pointer)
            if let equals = text.firstIndex(of: "=") {
                let name = String(text[..<equals])
                if inherits(name) { result[name] = String(text[text.index(after: equals)...]) }
            }
            entry += 1
        }
        return result
    }

    /// Whether a hook inherits Herald's variable `name`. Not `HERALD_…`: that namespace is
    /// Herald's configuration (`HERALD_HERALD_ZK_SECRET`, `HERALD_MESOS_CREDENTIALS`) and the
    /// hook's own event variables, which are added afterwards. Nor anything named like a secret:
    /// a hook's output is logged and its commands may hand their environment on, so Herald's
    /// credentials stay with Herald.
    static func inherits(_ name: String) -> Bool {
        guard !name.hasPrefix("HERALD_") else { return false }
        let upper = name.uppercased()
        return !secretMarkers.contains { upper.contains($0) }
    }

    private static let secretMarkers = ["SECRET", "PASSWORD", "CREDENTIAL", "TOKEN"]
}
