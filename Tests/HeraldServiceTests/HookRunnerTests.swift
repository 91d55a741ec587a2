import Election
import Foundation
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
                runner.submit(
                    for: .demoted(ContenderID(1), reason: .notLowest),
                    view: Fixtures.electedView(leader: Fixtures.second), role: .candidate)
                // Events without a hook are ignored.
                runner.submit(for: .quorumLost(present: 1, required: 2), view: view, role: .candidate)
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

    @Test("a failing hook is one warning, its stderr is logged, and the next hook runs")
    func failingHook() async throws {
        let configuration = HookRunner.Configuration(
            onElected: "echo to-stdout; echo to-stderr >&2; exit 3", onDemoted: "echo next")
        try await withRunner(configuration) { runner, logs in
            runner.submit(.elected)
            runner.submit(.demoted)
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
            #expect(logs.records(where: { $0.hook == "demoted" }).map(\.message).contains("next"))
            #expect(logs.records(where: { $0.hook == "demoted" && $0.message == "hook finished" }).count == 1)
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
            onElected: "sleep 30", onDemoted: "echo next", timeout: .milliseconds(1500))
        configuration.killGrace = .seconds(5)
        let clock = ContinuousClock()
        let started = clock.now
        try await withRunner(configuration) { runner, logs in
            runner.submit(.elected)
            runner.submit(.demoted)
            try await logs.wait(count: 2, where: Self.finished)
            let timedOut = logs.records(where: { $0.hook == "elected" && $0.message.hasPrefix("hook timed out") })
            #expect(timedOut.count == 1)
            // `sleep` dies of SIGTERM: no SIGKILL needed.
            #expect(timedOut.first?.message.contains("ended within") == true)
            #expect(logs.records(where: { $0.hook == "demoted" && $0.message == "hook finished" }).count == 1)
        }
        #expect(clock.now - started < .seconds(5))
    }

    @Test("a child that ignores SIGTERM is killed with its process group")
    func stubbornChild() async throws {
        try await Fixtures.withTemporaryDirectory { directory in
            let pidFile = directory.appendingPathComponent("child.pid").path
            var configuration = HookRunner.Configuration(
                onElected: "trap '' TERM; sleep 30 & echo $! > '\(pidFile)'; wait",
                onDemoted: "echo next", timeout: .milliseconds(1500))
            configuration.killGrace = .milliseconds(300)
            try await withRunner(configuration) { runner, logs in
                runner.submit(.elected)
                runner.submit(.demoted)
                try await logs.wait(count: 2, where: Self.finished)
                let timedOut = logs.records(where: { $0.hook == "elected" && $0.message.hasPrefix("hook timed out") })
                #expect(timedOut.count == 1)
                #expect(timedOut.first?.message.contains("SIGKILL") == true)
                #expect(logs.records(where: { $0.hook == "demoted" && $0.message == "hook finished" }).count == 1)
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

    @Test("behind a hanging hook, at most maxPending wait: the oldest are dropped")
    func queueBound() async throws {
        try await Fixtures.withTemporaryDirectory { directory in
            let out = directory.appendingPathComponent("marks").path
            let configuration = HookRunner.Configuration(
                onElected: "sleep 30", onDemoted: "echo $HERALD_MARK >> '\(out)'", timeout: .milliseconds(1500),
                killGrace: .milliseconds(200), maxPending: 2)
            try await withRunner(configuration) { runner, logs in
                runner.submit(.elected)
                try await logs.wait { $0.hook == "elected" && $0.message == "hook started" }
                for mark in 1...4 { runner.submit(.demoted, environment: ["HERALD_MARK": "\(mark)"]) }
                try await logs.wait(count: 3, where: Self.finished)
                let drops = logs.records(where: { $0.message.hasPrefix("hook dropped") })
                #expect(drops.count == 2)
                #expect(drops.allSatisfy { $0.level == .warning })
                // Submissions 2 and 3 are marks 1 and 2 (the elected hook was submission 1).
                #expect(drops.map { $0.metadata["hook_run"] } == ["2", "3"])
            }
            #expect(Fixtures.lines(of: URL(fileURLWithPath: out)) == ["3", "4"])
        }
    }

    @Test("graceful shutdown lets the running hook finish and drops the waiting ones")
    func gracefulShutdown() async throws {
        try await Fixtures.withTemporaryDirectory { directory in
            let out = directory.appendingPathComponent("marks").path
            let gate = directory.appendingPathComponent("gate").path
            // The first hook waits for the test to create `gate`, so shutdown happens mid-run.
            let command = "while [ ! -e '\(gate)' ]; do sleep 0.02; done; echo $HERALD_MARK >> '\(out)'"
            let configuration = HookRunner.Configuration(onElected: command)
            let logs = LogRecorder()
            let runner = HookRunner(configuration: configuration, logger: logs.logger())
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await runner.run() }
                runner.submit(.elected, environment: ["HERALD_MARK": "1"])
                try await logs.wait { $0.message == "hook started" }
                runner.submit(.elected, environment: ["HERALD_MARK": "2"])
                runner.submit(.elected, environment: ["HERALD_MARK": "3"])
                runner.shutdown()
                #expect(FileManager.default.createFile(atPath: gate, contents: nil))
                try await group.waitForAll()
            }
            runner.submit(.elected, environment: ["HERALD_MARK": "4"])
            #expect(Fixtures.lines(of: URL(fileURLWithPath: out)) == ["1"])
            #expect(logs.records(where: { $0.message == "hook finished" }).count == 1)
            #expect(logs.records(where: { $0.message == "shutting down: 2 waiting hooks dropped" }).count == 1)
            #expect(logs.records(where: { $0.message.hasPrefix("hook not run") }).map(\.metadata["hook_run"]) == ["4"])
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

    /// Whether `pid` is a live process (a zombie awaiting its reaper counts as dead).
    static func isRunning(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
        // The state follows the parenthesised command name.
        guard let close = stat.lastIndex(of: ")") else { return false }
        let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first
        return state != "Z" && state != "X"
    }
}
