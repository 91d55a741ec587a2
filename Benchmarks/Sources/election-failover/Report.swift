import BenchmarkSupport
import Foundation

/// The figures of one run, as Markdown and CSV.
struct Report {
    let clean: [Failover.CleanSample]
    let crash: [Failover.CrashSample]
    let command: String
    let sessionTimeoutMs: Int

    static func ms(_ duration: Duration) -> Double { Summary.milliseconds(duration) }

    var rows: [(String, Summary, String)] {
        [
            ("clean: abdicate → successor elected", Summary(clean.map { Self.ms($0.elected) }), "ms"),
            ("clean: abdicate → every observer informed", Summary(clean.map { Self.ms($0.informed) }), "ms"),
            ("clean: ZooKeeper requests per failover (5 sessions)", Summary(clean.map { Double($0.requests) }), ""),
            ("clean: watch events per failover (5 sessions)", Summary(clean.map { Double($0.watchEvents) }), ""),
            ("crash: SIGKILL → observer sees the new leader", Summary(crash.map { Self.ms($0.failover) }), "ms"),
        ]
    }

    var markdown: String {
        func format(_ value: Double, _ unit: String) -> String {
            value.isNaN ? "–" : unit == "ms" ? String(format: "%.1f", value) : String(format: "%.0f", value)
        }
        var lines = [
            "# Herald election failover",
            "",
            "- Command: `\(command)`",
            "- Machine: \(Summary.machine)",
            "- Date: \(ISO8601DateFormatter().string(from: Date()))",
            "- Clean rounds: 3 contenders + 2 observers, one session each, in one process; required 2.",
            "- Crash rounds: 3 `election-contender` processes (session timeout \(sessionTimeoutMs) ms requested, "
                + "\(crash.first.map { Int(Self.ms($0.negotiatedTimeout)) } ?? sessionTimeoutMs) ms negotiated) "
                + "and one observer.",
            "",
            "| measure | median | p99 | min | max | runs |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for (name, summary, unit) in rows where summary.count > 0 {
            let suffix = unit.isEmpty ? "" : " \(unit)"
            lines.append(
                "| \(name) | \(format(summary.median, unit))\(suffix) | \(format(summary.p99, unit))\(suffix) | "
                    + "\(format(summary.min, unit))\(suffix) | \(format(summary.max, unit))\(suffix) | \(summary.count) |"
            )
        }
        return lines.joined(separator: "\n") + "\n"
    }

    var csv: String {
        var lines = ["kind,round,elected_ms,informed_ms,requests,watch_events"]
        for (round, sample) in clean.enumerated() {
            lines.append(
                "clean,\(round + 1),\(Self.ms(sample.elected)),\(Self.ms(sample.informed)),\(sample.requests),"
                    + "\(sample.watchEvents)")
        }
        for (round, sample) in crash.enumerated() {
            lines.append("crash,\(round + 1),\(Self.ms(sample.failover)),\(Self.ms(sample.failover)),,")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
