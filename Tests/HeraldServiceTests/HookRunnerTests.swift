import ElectionModel
import Foundation
import HeraldTestSupport
import Logging
import Testing

@testable import HeraldService

/// The hook runner against real `/bin/sh` processes.
@Suite("HookRunner", .timeLimit(.minutes(1)))
struct HookRunnerTests {
    /// Runs `runner.run()` beside `body`, then shuts it down gracefully and waits for it; when
    /// `body` throws, the run is cancelled instead.
    func withRunner(
        _ configuration: HookRunner.Configuration,
        _ body: (HookRunner, LogRecorder) async throws -> Void
    ) async throws {
        let logs = LogRecorder()
        let runner = HookRunner(configuration: configuration, logger: logs.logger())
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await runner.run() }
            try await body(runner, logs)
            runner.shutdown()
            try await group.waitForAll()
        }
    }

    static func finished(_ record: LogRecorder.Record) -> Bool {
        record.message == "hook finished" || record.message.hasPrefix("hook failed")
            || record.message.hasPrefix("hook timed out") || record.message.hasPrefix("hook was killed")
            || record.message.hasPrefix("hook stopped")
    }

    @Test("hooks run in submission order with the event's environment")
    func orderAndEnvironment() async throws {
        try await Fixtures.withTemporaryDirectory { directory in
            let out = directory.appendingPathComponent("events").path
            let line = "echo \"$HERALD_EVENT|$HERALD_LEADER|$HERALD_LEADER_HOSTNAME|$HERALD_LEADER_NODE"
            let command =
                line + "|$HERALD_EPOCH|$HERALD_STATE|$HERALD_ROLE|$HERALD_REASON|$HERALD_PREVIOUS_LEADER\" >> '\(out)'"
            let configuration = HookRunner.Configuration(
                onElected: command, onDemoted: command, onLeaderChange: command)
            try await withRunner(configuration) { runner, logs in
                let view = Fixtures.electedView(leader: Fixtures.first)
                runner.submit(
                    for: .elected(ContenderID(1), node: Fixtures.first.node, epoch: 77), view: view, role: .leader)
                runner.submit(
                    for: .leaderChanged(from: Fixtures.first, to: Fixtures.second),
                    view: Fixtures.electedView(leader: Fixtures.second), role: .candidate)
                // Events without a hook are ignored.
                runner.submit(for: .quorumLost(present: 1, required: 2), view: view, role: .candidate)
                // A demoted ends a still running elected hook: let that one finish first.
                try await logs.wait(count: 2, where: Self.finished)
                runner.submit(
                    for: .demoted(ContenderID(1), reason: .notLowest),
                    view: Fixtures.electedView(leader: Fixtures.second), role: .candidate)
                try await logs.wait(count: 3, where: Self.finished)
                #expect(
                    logs.records(where: { $0.message == "hook finished" }).map(\.hook) == [
                        "elected", "leader_change", "demoted",
                    ])
            }
            #expect(
                Fixtures.lines(of: URL(fileURLWithPath: out)) == [
                    "elected|10.0.0.1:5050|m1|/mesos/json.info_0000000041|77|elected|leader||",
                    "leader_change|10.0.0.2:5050|m2|/mesos/json.info_0000000042|4294967400|elected|candidate||10.0.0.1:5050",
                    "demoted|10.0.0.2:5050|m2|/mesos/json.info_0000000042|4294967400|elected|candidate|not_lowest|",
                ])
        }
    }

    @Test("a hook inherits none of Herald's sockets (the ZooKeeper client opens them without close-on-exec)")
    func noInheritedDescriptors() async throws {
        // A descriptor without close-on-exec, as the ZooKeeper C client opens its session's socket.
        let leaked = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #expect(leaked > 2)
        defer { close(leaked) }
        try await Fixtures.withTemporaryDirectory { directory in
            let out = directory.appendingPathComponent("fds").path
            // What a command of the hook holds (the shell keeps copies of its own at 10 and up).
            let configuration = HookRunner.Configuration(onElected: "ls -l /proc/self/fd > '\(out)'")
            try await withRunner(configuration) { runner, logs in
                runner.submit(
                    for: .elected(ContenderID(1), node: Fixtures.first.node, epoch: 1),
                    view: Fixtures.electedView(leader: Fixtures.first), role: .leader)
                try await logs.wait(count: 1, where: Self.finished)
            }
            let lines = Fixtures.lines(of: URL(fileURLWithPath: out))
            #expect(lines.count > 3, "\(lines)")
            #expect(!lines.contains { $0.contains("socket:") }, "the hook holds a socket of Herald's: \(lines)")
        }
    }

    @Test("a failing hook is one warning, its stderr is logged, and the next hook runs")
    func failingHook() async throws {
        // The next hook is a leader_change: a demoted would end the elected one.
        let configuration = HookRunner.Configuration(
            onElected: "echo to-stdout; echo to-stderr >&2; exit 3", onLeaderChange: "echo next")
        try await withRunner(configuration) { runner, logs in
            runner.submit(.elected)
            runner.submit(.leaderChange)
            try await logs.wait(count: 2, where: Self.finished)
            let elected = logs.records(where: { $0.hook == "elected" })
            #expect(
                elected.contains { $0.level == .info && $0.message == "to-stdout" && $0.metadata["stream"] == "stdout" }
            )
            #expect(
                elected.contains {
                    $0.level == .warning && $0.message == "to-stderr" && $0.metadata["stream"] == "stderr"
                })
            #expect(
                elected.filter { $0.message.hasPrefix("hook failed") }.map(\.message) == [
                    "hook failed with exit status 3"
                ])
            #expect(logs.records(where: { $0.hook == "leader_change" }).map(\.message).contains("next"))
            #expect(logs.records(where: { $0.hook == "leader_change" && $0.message == "hook finished" }).count == 1)
        }
    }

    @Test("a flood of output is cut at the limits and never blocks the hook")
    func outputFlood() async throws {
        // A 200 KB line, then 100 000 short ones: far more than the pipe holds.
        let command = "head -c 200000 /dev/zero | tr '\\0' x; echo; seq 1 100000; echo done >&2"
        let configuration = HookRunner.Configuration(onElected: command)
        try await withRunner(configuration) { runner, logs in
            runner.submit(.elected)
            try await logs.wait(where: Self.finished)
            let lines = logs.records(where: { $0.metadata["stream"] != nil })
            #expect(lines.first?.message.utf8.count == 4096)
            #expect(lines.first?.metadata["truncated"] == "true")
            #expect(lines.reduce(0) { $0 + $1.message.utf8.count } <= 65536)
            #expect(logs.records(where: { $0.message == "hook output past 65536 bytes not logged" }).count == 1)
            #expect(logs.records(where: { $0.message == "hook finished" }).count == 1)
        }
    }

    @Test("a hanging hook is ended at its timeout and the next hook still runs")
    func hangingHook() async throws {
        var configuration = HookRunner.Configuration(
            onElected: "sleep 30", onLeaderChange: "echo next", timeout: .milliseconds(1500))
        configuration.killGrace = .seconds(5)
        let clock = ContinuousClock()
        let started = clock.now
        try await withRunner(configuration) { runner, logs in
            runner.submit(.elected)
            runner.submit(.leaderChange)
            try await logs.wait(count: 2, where: Self.finished)
            let timedOut = logs.records(where: { $0.hook == "elected" && $0.message.hasPrefix("hook timed out") })
            #expect(timedOut.count == 1)
            // `sleep` dies of SIGTERM: no SIGKILL needed.
            #expect(timedOut.first?.message.contains("ended within") == true)
            #expect(logs.records(where: { $0.hook == "leader_change" && $0.message == "hook finished" }).count == 1)
        }
        #expect(clock.now - started < .seconds(5))
    }

    @Test("a child that ignores SIGTERM is killed with its process group")
    func stubbornChild() async throws {
        try await Fixtures.withTemporaryDirectory { directory in
            let pidFile = directory.appendingPathComponent("child.pid").path
            var configuration = HookRunner.Configuration(
                onElected: "trap '' TERM; sleep 30 & echo $! > '\(pidFile)'; wait",
                onLeaderChange: "echo next", timeout: .milliseconds(1500))
            configuration.killGrace = .milliseconds(300)
            try await withRunner(configuration) { runner, logs in
                runner.submit(.elected)
                runner.submit(.leaderChange)
                try await logs.wait(count: 2, where: Self.finished)
                let timedOut = logs.records(where: { $0.hook == "elected" && $0.message.hasPrefix("hook timed out") })
                #expect(timedOut.count == 1)
                #expect(timedOut.first?.message.contains("SIGKILL") == true)
                #expect(logs.records(where: { $0.hook == "leader_change" && $0.message == "hook finished" }).count == 1)
            }
            let text = try String(contentsOfFile: pidFile, encoding: .utf8)
            let pid = try #require(Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)))
            #expect(!Self.isRunning(pid), "the background child (pid \(pid)) survived")
        }
    }

    @Test("submit returns at once while a hook hangs")
    func submitDoesNotWait() async throws {
        let configuration = HookRunner.Configuration(
            onElected: "sleep 30", onDemoted: "true", timeout: .seconds(1), killGrace: .milliseconds(200))
        try await withRunner(configuration) { runner, logs in
            runner.submit(.elected)
            try await logs.wait { $0.hook == "elected" && $0.message == "hook started" }
            let clock = ContinuousClock()
            let elapsed = clock.measure {
                for _ in 0..<10 { runner.submit(.demoted) }
            }
            #expect(elapsed < .milliseconds(50))
        }
    }

    @Test("behind a hanging hook, at most maxPending wait: the oldest that is not demoted is dropped")
    func queueBound() async throws {
        try await Fixtures.withTemporaryDirectory { directory in
            let out = directory.appendingPathComponent("marks").path
            // The first hook hangs until its timeout; every other one writes its mark.
            let command = "[ \"$HERALD_MARK\" != hang ] || sleep 30; echo $HERALD_MARK >> '\(out)'"
            let configuration = HookRunner.Configuration(
                onElected: command, onDemoted: command, timeout: .milliseconds(1500),
                killGrace: .milliseconds(200), maxPending: 2)
            try await withRunner(configuration) { runner, logs in
                // A demoted hook, which no later submission ends.
                runner.submit(.demoted, environment: ["HERALD_MARK": "hang"])
                try await logs.wait { $0.hook == "demoted" && $0.message == "hook started" }
                for mark in ["d1", "e1", "e2", "d2", "d3", "e3"] {
                    runner.submit(mark.hasPrefix("d") ? .demoted : .elected, environment: ["HERALD_MARK": mark])
                }
                try await logs.wait(count: 4, where: Self.finished)
                // Submission numbers: hang 1, d1 2, e1 3, e2 4, d2 5, d3 6, e3 7.
                // e2 makes three waiting: e1, the oldest not demoted, goes. d2 ends e2's term.
                // d3 makes three waiting, all demoted: all stay. e3 makes four: it is the only
                // one that is not demoted, so it goes itself.
                let drops = logs.records(where: { $0.message.hasPrefix("hook dropped") })
                #expect(
                    drops.map { "\($0.level) \($0.hook ?? "") \($0.metadata["hook_run"] ?? "")" } == [
                        "warning elected 3", "warning elected 7",
                    ])
                let skipped = logs.records(where: { $0.message == "hook skipped: its term already ended" })
                #expect(
                    skipped.map { "\($0.level) \($0.hook ?? "") \($0.metadata["hook_run"] ?? "")" } == [
                        "notice elected 4"
                    ])
            }
            #expect(Fixtures.lines(of: URL(fileURLWithPath: out)) == ["d1", "d2", "d3"])
        }
    }

    @Test("graceful shutdown lets the running hook finish, still runs the demoted hooks and drops the others")
    func gracefulShutdown() async throws {
        try await Fixtures.withTemporaryDirectory { directory in
            let out = directory.appendingPathComponent("marks").path
            let gate = directory.appendingPathComponent("gate").path
            // The first hook waits for the test to create `gate`, so shutdown happens mid-run.
            let command =
                "[ \"$HERALD_MARK\" != 1 ] || while [ ! -e '\(gate)' ]; do sleep 0.02; done; "
                + "echo $HERALD_MARK >> '\(out)'"
            let configuration = HookRunner.Configuration(
                onElected: command, onDemoted: command, onLeaderChange: command)
            let logs = LogRecorder()
            let runner = HookRunner(configuration: configuration, logger: logs.logger())
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await runner.run() }
                // A demoted hook runs (no later submission ends it).
                runner.submit(.demoted, environment: ["HERALD_MARK": "1"])
                try await logs.wait { $0.message == "hook started" }
                runner.submit(.demoted, environment: ["HERALD_MARK": "2"])
                runner.submit(.leaderChange, environment: ["HERALD_MARK": "3"])
                runner.submit(.elected, environment: ["HERALD_MARK": "4"])
                runner.shutdown()
                // While stopping, a demoted is still taken and anything else refused.
                runner.submit(.demoted, environment: ["HERALD_MARK": "5"])
                runner.submit(.elected, environment: ["HERALD_MARK": "6"])
                #expect(FileManager.default.createFile(atPath: gate, contents: nil))
                try await group.waitForAll()
            }
            runner.submit(.demoted, environment: ["HERALD_MARK": "7"])
            #expect(Fixtures.lines(of: URL(fileURLWithPath: out)) == ["1", "2", "5"])
            #expect(logs.records(where: { $0.message == "hook finished" }).count == 3)
            let dropped = logs.records(where: { $0.message == "shutting down: 2 waiting hooks dropped" })
            #expect(dropped.map { $0.metadata["hooks"] } == [#"["leader_change#3", "elected#4"]"#])
            #expect(
                logs.records(where: { $0.message.hasPrefix("hook not run") }).map(\.metadata["hook_run"]) == ["6", "7"])
        }
    }

    @Test("at shutdown, a demoted ends the running elected hook's whole process group, then still runs")
    func demotedEndsElectedAtShutdown() async throws {
        try await Fixtures.withTemporaryDirectory { directory in
            let pgidFile = directory.appendingPathComponent("pgid").path
            let childFile = directory.appendingPathComponent("child").path
            let demotedFile = directory.appendingPathComponent("demoted").path
            // The shell leads the hook's process group. Its background child ignores SIGTERM and
            // outlives the shell, so only a SIGKILL of the group after the shell died ends it.
            let elected =
                "echo $$ > '\(pgidFile)'; (trap '' TERM; exec sleep 30) & echo $! > '\(childFile)'; "
                + "echo ready; sleep 5"
            // Whether that child is still alive (not a zombie) when the demoted hook starts.
            let demoted =
                "s=$(cut -d' ' -f3 /proc/$(cat '\(childFile)')/stat 2>/dev/null); "
                + "if [ -z \"$s\" ] || [ \"$s\" = Z ]; then r=gone; else r=alive; fi; "
                + "echo \"$HERALD_EVENT $r\" > '\(demotedFile)'"
            let configuration = HookRunner.Configuration(
                onElected: elected, onDemoted: demoted, timeout: .seconds(20), killGrace: .seconds(5))
            let logs = LogRecorder()
            let runner = HookRunner(configuration: configuration, logger: logs.logger())
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await runner.run() }
                runner.submit(.elected)
                try await logs.wait { $0.hook == "elected" && $0.message == "ready" }
                runner.shutdown()
                runner.submit(
                    for: .demoted(ContenderID(1), reason: .abdicated),
                    view: Fixtures.electedView(leader: Fixtures.second), role: .candidate)
                try await group.waitForAll()
            }
            let stopped = logs.records(where: { $0.hook == "elected" && $0.message.hasPrefix("hook stopped") })
            #expect(stopped.count == 1)
            #expect(stopped.first?.level == .warning)
            #expect(stopped.first?.message.hasPrefix("hook stopped: its term ended") == true)
            #expect(logs.records(where: { $0.hook == "demoted" && $0.message == "hook finished" }).count == 1)
            #expect(Fixtures.lines(of: URL(fileURLWithPath: demotedFile)) == ["demoted gone"])
            let text = try String(contentsOfFile: pgidFile, encoding: .utf8)
            let pgid = try #require(Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)))
            #expect(try await Self.groupGone(pgid), "process group \(pgid) still exists")
        }
    }

    @Test("a demoted ends a running leader_change hook rather than wait for its timeout")
    func demotedEndsLeaderChange() async throws {
        let configuration = HookRunner.Configuration(
            onDemoted: "echo demoted", onLeaderChange: "echo ready; sleep 30", timeout: .seconds(30),
            killGrace: .seconds(5))
        try await withRunner(configuration) { runner, logs in
            runner.submit(.leaderChange)
            try await logs.wait { $0.hook == "leader_change" && $0.message == "ready" }
            runner.submit(.demoted)
            try await logs.wait { $0.hook == "demoted" && $0.message == "hook finished" }
            let ended = logs.records(where: { $0.hook == "leader_change" && Self.finished($0) })
            #expect(ended.map(\.level) == [.warning])
            #expect(ended.first?.message.hasPrefix("hook stopped: its term ended") == true)
        }
    }

    @Test("HERALD_EPOCH is the epoch passed with the event: for demoted, that of the term that ended")
    func demotedEpoch() async throws {
        try await Fixtures.withTemporaryDirectory { directory in
            let out = directory.appendingPathComponent("epoch").path
            let configuration = HookRunner.Configuration(
                onDemoted: "echo \"$HERALD_EPOCH|$HERALD_LEADER\" > '\(out)'")
            try await withRunner(configuration) { runner, logs in
                // The view after the change shows the next leader, with another epoch.
                runner.submit(
                    for: .demoted(ContenderID(1), reason: .abdicated),
                    view: Fixtures.electedView(leader: Fixtures.second), role: .candidate, epoch: 77)
                try await logs.wait(where: Self.finished)
            }
            #expect(Fixtures.lines(of: URL(fileURLWithPath: out)) == ["77|10.0.0.2:5050"])
        }
    }

    @Test("a hook inherits Herald's environment but not its configuration or anything named like a secret")
    func secretsNotInherited() async throws {
        // A `HERALD_` name that is no configuration key: a `herald serve` started meanwhile by
        // another suite inherits this process' environment, and a real key would configure it.
        let variables = [
            "HERALD_HOOK_TEST_SECRET": "s3cret-config", "MY_DB_PASSWORD": "s3cret-password",
            "HookTestApiToken": "s3cret-token", "HOOK_TEST_CREDENTIALS_FILE": "s3cret-credentials",
            "HOOK_TEST_PLAIN": "plain-value",
        ]
        try await Fixtures.withTemporaryDirectory { directory in
            let out = directory.appendingPathComponent("env").path
            let configuration = HookRunner.Configuration(onElected: "env > '\(out)'")
            try await Self.withEnvironment(variables) {
                try await withRunner(configuration) { runner, logs in
                    runner.submit(
                        for: .elected(ContenderID(1), node: Fixtures.first.node, epoch: 77),
                        view: Fixtures.electedView(), role: .leader)
                    try await logs.wait(where: Self.finished)
                }
            }
            let text = try String(contentsOfFile: out, encoding: .utf8)
            #expect(text.contains("HOOK_TEST_PLAIN=plain-value"))
            #expect(text.contains("HERALD_EVENT=elected"))
            #expect(!text.contains("s3cret"), "\(text)")
        }
        for name in ["HERALD_HERALD_ZK_SECRET", "HERALD_MESOS_CREDENTIALS", "HERALD_HERALD_HOSTS", "GITHUB_TOKEN"] {
            #expect(!HookProcess.inherits(name), "\(name)")
        }
        for name in ["PATH", "HOME", "LANG", "MY_HERALD_HOME"] {
            #expect(HookProcess.inherits(name), "\(name)")
        }
    }

    @Test("cancelling the runner ends the running hook")
    func cancellation() async throws {
        let configuration = HookRunner.Configuration(
            onElected: "sleep 30", timeout: .seconds(30), killGrace: .milliseconds(200))
        let logs = LogRecorder()
        let runner = HookRunner(configuration: configuration, logger: logs.logger())
        let clock = ContinuousClock()
        let elapsed = try await clock.measure {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await runner.run() }
                runner.submit(.elected)
                try await logs.wait { $0.message == "hook started" }
                group.cancelAll()
                try await group.waitForAll()
            }
        }
        #expect(elapsed < .seconds(10))
        #expect(logs.records(where: { $0.message.hasPrefix("hook stopped: the hook runner was cancelled") }).count == 1)
    }

    /// Runs `body` with `variables` added to this process' environment.
    ///
    /// Not `setenv`: every suite of the test process runs in parallel, and glibc's `setenv` may
    /// free the array another thread is walking (to spawn a child, say). Instead `environ` points
    /// at a fresh copy, never freed, while `body` runs, and back at the original afterwards. The
    /// variable is reached through `dlsym`, as Swift imports `environ` read-only.
    static func withEnvironment<T>(
        _ variables: [String: String], _ body: () async throws -> T
    ) async throws -> T {
        typealias Environment = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>
        let symbol = try #require(dlsym(nil, "environ"), "the environ variable")
        let variable = symbol.assumingMemoryBound(to: Environment?.self)
        let original = variable.pointee
        var entries: [UnsafeMutablePointer<CChar>?] = []
        if var entry = original {
            while let pointer = entry.pointee {
                entries.append(pointer)
                entry += 1
            }
        }
        for (name, value) in variables { entries.append(strdup("\(name)=\(value)")) }
        entries.append(nil)
        let copy = Environment.allocate(capacity: entries.count)
        copy.initialize(from: entries, count: entries.count)
        variable.pointee = copy
        defer { variable.pointee = original }
        return try await body()
    }

    /// Whether process group `pgid` has no member left, zombies included, within `limit`: its
    /// killed members stay zombies until their new parent reaps them, which here may take a
    /// second or two, and there is no event for that to await.
    static func groupGone(_ pgid: Int32, within limit: Duration = .seconds(10)) async throws -> Bool {
        let deadline = ContinuousClock.now.advanced(by: limit)
        while kill(-pgid, 0) == 0 || errno != ESRCH {
            guard ContinuousClock.now < deadline else { return false }
            try await Task.sleep(for: .milliseconds(20))
        }
        return true
    }

    /// Whether `pid` is a live process (a zombie awaiting its reaper counts as dead).
    static func isRunning(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
        // The state follows the parenthesised command name.
        guard let close = stat.lastIndex(of: ")") else { return false }
        let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first
        return state != "Z" && state != "X"
    }

    @Test("demotedFinished waits for the demoted run after its mark, not an earlier one of the same epoch")
    func demotedFinished() async throws {
        try await Fixtures.withTemporaryDirectory { directory in
            let gate = directory.appendingPathComponent("gate").path
            // A demoted hook ends once `gate` exists.
            let configuration = HookRunner.Configuration(
                onDemoted: "while [ ! -e '\(gate)' ]; do sleep 0.01; done", timeout: .seconds(20))
            try await withRunner(configuration) { runner, logs in
                let view = Fixtures.electedView(leader: Fixtures.second)
                let demoted = ElectionEvent.demoted(ContenderID(1), reason: .abdicated)
                // An earlier term with the same epoch (a leader that reconnected in time) ended
                // already: it must not release the wait for the next demotion.
                FileManager.default.createFile(atPath: gate, contents: nil)
                runner.submit(for: demoted, view: view, role: .candidate, epoch: 41)
                try await logs.wait(count: 1, where: Self.finished)
                try FileManager.default.removeItem(atPath: gate)
                let mark = runner.demotionMark(epoch: 41)
                #expect(mark == 1)
                runner.submit(for: demoted, view: view, role: .candidate, epoch: 41)
                let waiter = Task { await runner.demotedFinished(epoch: 41, after: mark) }
                let other = Task { await runner.demotedFinished(epoch: 99, after: 0) }
                try await Task.sleep(for: .milliseconds(200))
                #expect(logs.records(where: Self.finished).count == 1, "the second demoted hook is still running")
                FileManager.default.createFile(atPath: gate, contents: nil)
                await waiter.value
                #expect(logs.records(where: Self.finished).count == 2, "returned after the second hook ended")
                other.cancel()
                await other.value  // a cancelled wait returns
            }
        }
        let none = HookRunner(configuration: .init(onElected: "true"), logger: LogRecorder().logger())
        await none.demotedFinished(epoch: 1, after: 0)  // no demoted hook: nothing to wait for
    }

}
