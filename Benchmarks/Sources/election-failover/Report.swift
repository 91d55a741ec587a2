import Foundation

/// The figures of one run, as Markdown and CSV.
struct Report {
    let clean: [Failover.CleanSample]
    let crash: [Failover.CrashSample]
    let command: String
    let sessionTimeoutMs: Int

    struct Summary {
        var median: Double
        var p99: Double
        var min: Double
        var max: Double
        var count: Int

        /// Nearest-rank percentiles.
        init(_ values: [Double]) {
            let sorted = values.sorted()
            func rank(_ p: Double) -> Double {
                guard !sorted.isEmpty else { return .nan }
                let index = Int((p * Double(sorted.count)).rounded(.up)) - 1
                return sorted[Swift.max(0, Swift.min(sorted.count - 1, index))]
            }
            median = rank(0.5)
            p99 = rank(0.99)
            min = sorted.first ?? .nan
            max = sorted.last ?? .nan
            count = sorted.count
        }
    }

    static func ms(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
    }

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
            "- Machine: \(Self.machine())",
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

    static func machine() -> String {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model =
            cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
            .map { $0.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "" }
            ?? "unknown CPU"
        let memory = ProcessInfo.processInfo.physicalMemory / (1 << 30)
        return "\(model), \(ProcessInfo.processInfo.activeProcessorCount) cores, \(memory) GiB"
    }
}
