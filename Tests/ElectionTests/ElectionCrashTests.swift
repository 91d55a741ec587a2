import Election
import ElectionModel
import Foundation
import HeraldTestSupport
import MesosLayout
import NIOConcurrencyHelpers
import Testing
import ZooKeeper

#if canImport(Glibc)
    import Glibc
#endif

@Suite("Election when a leader process dies", .timeLimit(.minutes(2)))
struct ElectionCrashTests {
    static let contenderBinary = URL(fileURLWithPath: CommandLine.arguments[0])
        .deletingLastPathComponent().appendingPathComponent("crash-contender").path

    @Test("a leader process killed with SIGKILL: a new leader only once its session expired and its node is gone")
    func killedLeader() async throws {
        let servers = try TestEnsemble.servers
        let base = try await ElectionHarness.freshBase()
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("herald-crash-\(UUID()).out").path
        defer { unlink(output) }
        let timeoutMs = 3000
        let pid = try ChildProcess.spawn(
            Self.contenderBinary,
            [servers, base, "\(timeoutMs)", "contender-7"],
            output: output)
        let reaped = NIOLockedValueBox(false)
        defer {
            if !reaped.withLockedValue({ $0 }) {
                ChildProcess.stop(pid, signal: SIGKILL)
            }
        }
        let contender = try ElectionHarness.group(base: base, required: 1)
        let observer = try ElectionHarness.group(base: base, required: 1)
        try await ElectionHarness.running([contender, observer]) {
            let crashed = try await ElectionHarness.agreedLeader([contender, observer], "the child process leads") {
                $0.info.hostname == "contender-7"
            }
            let id = contender.contend(ElectionHarness.info(1))
            _ = try await ElectionHarness.view(of: observer, "two candidates") { $0.present == 2 }
            #expect(contender.leaderEpoch(id) == nil)

            let events = observer.events()
            let killedAt = ContinuousClock.now
            ChildProcess.stop(pid, signal: SIGKILL)
            reaped.withLockedValue { $0 = true }
            let (from, to, at) = try await within(.seconds(20), "the observer's next leader") {
                for await event in events {
                    if case .leaderChanged(let from, let to) = event { return (from, to, ContinuousClock.now) }
                }
                throw SetupError("the observer stopped")
            }
            let waited = at - killedAt
            #expect(from?.node == crashed.node, "the crashed leader was followed until the change")
            #expect(to?.node == contender.ownNode(id), "straight to the successor, never a gap or a third node")
            #expect(to.map { $0.epoch > crashed.epoch } == true)
            // The server expires a session between two-thirds of its timeout (the last ping) and
            // a little over the timeout after the process died.
            #expect(waited >= .milliseconds(timeoutMs * 2 / 3), "new leader after \(waited)")
            #expect(waited < .milliseconds(timeoutMs * 3), "new leader after \(waited)")
            try await withClient { client in
                let stat = try await client.exists(crashed.path)
                #expect(stat == nil, "the old node is gone")
            }
            #expect(contender.leaderEpoch(id) == to?.epoch)
        }
    }

    /// Waits until the child's output has `text` as a line (after its timestamp). A file's growth
    /// cannot be awaited as an event here, so it is polled every 5 ms within a bound.
    static func line(_ text: String, in path: String, _ what: String) async throws {
        try await within(.seconds(20), what) {
            while true {
                let lines = ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n")
                if lines.contains(where: { $0.split(separator: " ", maxSplits: 1).last == Substring(text) }) { return }
                try await Task.sleep(for: .milliseconds(5))
            }
        }
    }

    @Test(
        "a leader paused past its session timeout: the successor leads only after, and the old one never believes it leads again"
    )
    func pausedLeader() async throws {
        let servers = try TestEnsemble.servers
        let base = try await ElectionHarness.freshBase()
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("herald-pause-\(UUID()).out").path
        defer { unlink(output) }
        let timeoutMs = 2000
        let pid = try ChildProcess.spawn(
            Self.contenderBinary,
            [servers, base, "\(timeoutMs)", "paused"],
            output: output)
        defer {
            kill(pid, SIGCONT)
            ChildProcess.stop(pid, signal: SIGKILL)
        }
        let contender = try ElectionHarness.group(base: base, required: 1)
        let observer = try ElectionHarness.group(base: base, required: 1)
        try await ElectionHarness.running([contender, observer]) {
            let paused = try await ElectionHarness.agreedLeader([observer], "the child process leads") {
                $0.info.hostname == "paused"
            }
            // The observer can see the child's node lead before the child itself has read the
            // group and taken the lead: the premise is the child's own belief, from its output.
            try await Self.line("lead paused 1", in: output, "the child believes it leads")
            let id = contender.contend(ElectionHarness.info(1))
            _ = try await ElectionHarness.view(of: observer, "two candidates") { $0.present == 2 }
            let events = contender.events()
            let stoppedAt = ContinuousClock.now
            kill(pid, SIGSTOP)
            try await within(.seconds(20), "the successor's election") {
                for await event in events {
                    if case .elected(id, _, _) = event { return }
                }
                throw SetupError("the contender stopped")
            }
            let waited = ContinuousClock.now - stoppedAt
            #expect(waited >= .milliseconds(timeoutMs * 2 / 3), "not before the paused session expired: \(waited)")
            let resumedAt = ContenderLines.monotonicNanoseconds()
            kill(pid, SIGCONT)
            // The child finds its session gone and contends again with a new node.
            _ = try await ElectionHarness.view(of: observer, "the resumed child's new node") { view in
                view.present == 2 && view.candidates.contains { $0.info.hostname == "paused" && $0.node != paused.node }
            }
            let lines = ((try? String(contentsOfFile: output, encoding: .utf8)) ?? "").split(separator: "\n")
            let afterResume = lines.compactMap { line -> String? in
                let parts = line.split(separator: " ", maxSplits: 1)
                guard parts.count == 2, let at = Int64(parts[0]), at >= resumedAt else { return nil }
                return String(parts[1])
            }
            let whole = lines.joined(separator: "\n")
            #expect(!afterResume.contains("lead paused 1"), "the resumed process believed it led: \(whole)")
            #expect(afterResume.contains("lead paused 0"), "its belief ended after the resume: \(whole)")
            #expect(contender.leaderEpoch(id) != nil, "the successor still leads")
        }
    }
}
