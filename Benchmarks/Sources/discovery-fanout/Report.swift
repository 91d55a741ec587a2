import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The figures of one watcher count.
struct Measurement {
    var watchers: Int
    /// Publish → last watcher has the revision, one per measured change.
    var latencies: [Duration]
    /// The floor writer's push of the same line → last of its connections has it, one per change.
    var floorLatencies: [Duration]
    /// Resident-memory growth per idle connection, server side.
    var bytesPerIdleConnection: Int
    /// The size of one snapshot line.
    var snapshotBytes: Int

    private var sorted: [Duration] { latencies.sorted() }
    var median: Duration { Self.percentile(sorted, 0.5) }
    var p99: Duration { Self.percentile(sorted, 0.99) }
    var floorMedian: Duration { Self.percentile(floorLatencies.sorted(), 0.5) }
    var floorP99: Duration { Self.percentile(floorLatencies.sorted(), 0.99) }
    /// Herald's median over the floor's.
    var ratio: Double { Double(median.micros) / Double(max(1, floorMedian.micros)) }
    var minimum: Duration { sorted.first ?? .zero }
    var maximum: Duration { sorted.last ?? .zero }

    /// Nearest-rank percentile.
    static func percentile(_ sorted: [Duration], _ fraction: Double) -> Duration {
        guard !sorted.isEmpty else { return .zero }
        let rank = Int((fraction * Double(sorted.count)).rounded(.up))
        return sorted[min(sorted.count, max(1, rank)) - 1]
    }
}

/// The Markdown and CSV files, with the machine, the command and the date.
struct Report {
    var rows: [Measurement]
    var skipped: [String]
    var changes: Int
    var leaderTimes: [Duration]
    var descriptorLimit: Int
    var poolSize: Int
    var command: String

    var markdown: String {
        var lines = [
            "# Discovery fan-out benchmark", "",
            "- Date: \(Self.date)",
            "- Machine: \(Self.machine)",
            "- Command: `\(command)`",
            "- Set-up: one process runs the server (NIO singleton group, \(ProcessInfo.processInfo.activeProcessorCount) "
                + "event loops) on a temporary Unix socket; the N watchers run in child processes of at most "
                + "\(poolSize) watchers each (NIO, same machine), and each watcher reads the revision of every "
                + "line. \(changes) measured changes per row after 5 unmeasured; snapshot lines of "
                + "\(rows.first?.snapshotBytes ?? 0) bytes (3 candidates, 20 followers). Descriptor limit \(descriptorLimit).",
            "- Latency: from just before `publish` to the arrival of the revision at the last of the N watchers "
                + "(CLOCK_MONOTONIC, compared across the processes).",
            "- Floor: a minimal writer in a process of its own (one thread, a blocking `write(2)` per socket, no "
                + "event loop) holding N more connections from the same watcher processes, read by the same code. "
                + "After each Herald change it writes the same line (same bytes, same revision) to its N sockets; "
                + "timed from just before the first `write` to the arrival at the last of its N connections. Herald "
                + "and floor changes alternate, one pair per change. The machine is shared: compare within a row.",
            "- Idle memory: the server process's resident-set growth after N sockets connected and answered one "
                + "ping, divided by N (16 connections are opened and closed first so that first-use allocations do "
                + "not count).",
            "",
            "| watchers | median (µs) | p99 (µs) | min (µs) | max (µs) | floor median (µs) | floor p99 (µs) "
                + "| median / floor | changes | RSS per idle connection (bytes) |",
            "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for row in rows {
            lines.append(
                "| \(row.watchers) | \(row.median.micros) | \(row.p99.micros) | \(row.minimum.micros) | "
                    + "\(row.maximum.micros) | \(row.floorMedian.micros) | \(row.floorP99.micros) | "
                    + String(format: "%.2f×", row.ratio) + " | \(row.latencies.count) | \(row.bytesPerIdleConnection) |"
            )
        }
        for note in skipped { lines.append("\nSkipped \(note).") }
        if !leaderTimes.isEmpty {
            let sorted = leaderTimes.sorted()
            lines += [
                "",
                "`herald leader --socket PATH` as a whole process (spawn to exit, release build, against a server with "
                    + "10 idle connections): median **\(Self.millis(Measurement.percentile(sorted, 0.5))) ms**, min "
                    + "\(Self.millis(sorted.first ?? .zero)) ms, max \(Self.millis(sorted.last ?? .zero)) ms over "
                    + "\(sorted.count) runs.",
            ]
        }
        lines += ["", "Raw figures: `discovery-fanout.csv`.", ""]
        return lines.joined(separator: "\n")
    }

    var csv: String {
        var lines = [
            "# machine: \(Self.machine)",
            "# command: \(command)",
            "kind,watchers,change,latency_us,rss_per_idle_connection_bytes",
        ]
        for row in rows {
            for (index, latency) in row.latencies.enumerated() {
                lines.append("fanout,\(row.watchers),\(index + 1),\(latency.micros),\(row.bytesPerIdleConnection)")
            }
            for (index, latency) in row.floorLatencies.enumerated() {
                lines.append("floor,\(row.watchers),\(index + 1),\(latency.micros),")
            }
        }
        for (index, time) in leaderTimes.enumerated() { lines.append("herald-leader,,\(index + 1),\(time.micros),") }
        return lines.joined(separator: "\n") + "\n"
    }

    static var machine: String {
        "\(cpuModel), \(ProcessInfo.processInfo.activeProcessorCount) cores, Linux \(kernel)"
    }

    static func millis(_ duration: Duration) -> String {
        String(format: "%.1f", Double(duration.micros) / 1000)
    }

    static var date: String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss 'UTC'"
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date())
    }

    static var cpuModel: String {
        let text = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let line = text.split(separator: "\n").first { $0.hasPrefix("model name") }
        return line?.split(separator: ":", maxSplits: 1).last?.trimmingCharacters(in: .whitespaces) ?? "unknown CPU"
    }

    static var kernel: String {
        var name = utsname()
        uname(&name)
        return withUnsafeBytes(of: &name.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }
}
