import BenchmarkSupport
import Discovery
import Foundation
import HeraldTestSupport
import NIOConcurrencyHelpers

#if canImport(Glibc)
    import Glibc
#endif

/// The pause rounds: the leader's `herald serve` is stopped (SIGSTOP) for 1.5 session timeouts,
/// a successor is elected meanwhile, then it is continued. Judged where users see leadership:
/// - the paused host's socket, watched and polled with `get` from SIGCONT on: how long after
///   SIGCONT it still says that host leads (leader itself and not stale, or role `leader`);
/// - the hooks, stamped on CLOCK_MONOTONIC: the time both the paused host (counted from SIGCONT,
///   it cannot act while stopped) and its successor hold leadership (from `on_elected` to
///   `on_demoted`), and SIGCONT → the paused host's `on_demoted`.
extension ServeFailover {
    struct PauseSample {
        var socketClaims: Double
        var hookOverlap: Double
        var demotedAfter: Double
        var successorAfter: Double
    }

    func pauseRounds(
        instances: [String: (pid: pid_t, socket: String)], follower: DiscoveryClient, directory: String
    ) async throws -> [PauseSample] {
        guard pauseRounds > 0 else { return [] }
        let timeout = Int64(sessionTimeoutMs) * 1_000_000
        var samples: [PauseSample] = []
        for round in 1...pauseRounds {
            let (snapshot, _) = try await Self.first(follower, "3 candidates and a leader") {
                $0.state == .elected && $0.candidates.count == 3
            }
            guard let name = snapshot.leader?.hostname, let leader = instances[name] else {
                throw Failure("unknown leader \(snapshot.leader?.hostname ?? "?")")
            }
            let own = DiscoveryClient(socketPath: leader.socket)
            _ = try await Self.first(own, "\(name) leads on its own socket") { $0.publisher.role == .leader }
            let claims = NIOLockedValueBox<[Int64]>([])
            let watching = Task {
                for await snapshot in own.updates() where Self.claims(snapshot, host: name) {
                    claims.withLockedValue { $0.append(Monotonic.now()) }
                }
            }
            kill(leader.pid, SIGSTOP)
            let stoppedAt = Monotonic.now()
            _ = try await Self.first(follower, "a successor") { $0.state == .elected && $0.leader?.hostname != name }
            let successorAt = Monotonic.now()
            let left = stoppedAt + timeout * 3 / 2 - Monotonic.now()
            if left > 0 { try await Task.sleep(for: .nanoseconds(left)) }
            let resumedAt = Monotonic.now()
            kill(leader.pid, SIGCONT)
            let end = resumedAt + 1_500_000_000
            while Monotonic.now() < end {
                if let snapshot = try? await own.current(), Self.claims(snapshot, host: name) {
                    claims.withLockedValue { $0.append(Monotonic.now()) }
                }
            }
            _ = try await Self.first(own, "\(name) sees its successor") {
                $0.state == .elected && $0.leader?.hostname != name
            }
            watching.cancel()
            let history = LeadershipHistory(
                files: instances.keys.map { "\(directory)/hooks-\($0).log" })
            let demoted = history.of(name, "demoted").first { $0.time >= resumedAt }?.time ?? end
            let holdings = history.holdings
            // The paused host's last holding, counted from SIGCONT; the successor's, from its start.
            let paused = holdings.last { $0.host == name && $0.from < stoppedAt }
            let successor = holdings.first { $0.host != name && $0.from >= stoppedAt }
            var overlap: Int64 = 0
            if let paused, let successor {
                let from = max(resumedAt, successor.from)
                let until = min(paused.until ?? .max, successor.until ?? .max)
                overlap = max(0, until - from)
            }
            let lastClaim = claims.withLockedValue { $0.filter { $0 >= resumedAt }.max() }
            let sample = PauseSample(
                socketClaims: lastClaim.map { Double($0 - resumedAt) / 1e6 } ?? 0,
                hookOverlap: Double(overlap) / 1e6, demotedAfter: Double(demoted - resumedAt) / 1e6,
                successorAfter: Double(successorAt - stoppedAt) / 1e6)
            print(
                "pause round \(round): socket claims \(sample.socketClaims) ms after SIGCONT, hook overlap "
                    + "\(sample.hookOverlap) ms, on_demoted \(sample.demotedAfter) ms after SIGCONT")
            samples.append(sample)
        }
        return samples
    }

    static func claims(_ snapshot: Snapshot, host: String) -> Bool {
        (snapshot.leader?.hostname == host && !snapshot.stale) || snapshot.publisher.role == .leader
    }

    func pauseReport(_ samples: [PauseSample]) -> [String] {
        guard !samples.isEmpty else { return [] }
        return [
            "## herald serve: the leader paused past its session timeout", "",
            "- \(samples.count) rounds: SIGSTOP of the leading `herald serve` for 1.5 × "
                + "herald_session_timeout_ms (\(sessionTimeoutMs) ms), a successor elected meanwhile, then SIGCONT.",
            "- Socket: the paused host's socket watched, and polled with `get` for 1.5 s from SIGCONT; a claim is a "
                + "snapshot naming that host leader and not stale, or with role `leader`. Hooks: `on_elected` to "
                + "`on_demoted`, stamped on CLOCK_MONOTONIC; the paused host counted from SIGCONT.", "",
            "| measure | median | p99 | min | max | runs |", "|---|---:|---:|---:|---:|---:|",
            Self.row("SIGCONT → the paused socket's last claim to lead (0: none)", samples.map(\.socketClaims), "ms"),
            Self.row("both hosts hold leadership by their hooks (overlap)", samples.map(\.hookOverlap), "ms"),
            Self.row("SIGCONT → the paused host's on_demoted starts", samples.map(\.demotedAfter), "ms"),
            Self.row("SIGSTOP → successor on the follower's socket", samples.map(\.successorAfter), "ms"),
        ]
    }

    static func csv(_ samples: [PauseSample]) -> String {
        var lines = ["measure,round,value_ms"]
        for (index, sample) in samples.enumerated() {
            lines.append("serve pause: socket claims after SIGCONT,\(index + 1),\(sample.socketClaims)")
            lines.append("serve pause: hook overlap,\(index + 1),\(sample.hookOverlap)")
            lines.append("serve pause: SIGCONT -> on_demoted,\(index + 1),\(sample.demotedAfter)")
            lines.append("serve pause: SIGSTOP -> successor,\(index + 1),\(sample.successorAfter)")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
