import Foundation

/// Nearest-rank statistics of one measure, and the machine line every report carries.
public struct Summary: Sendable {
    public let median: Double
    public let p99: Double
    public let min: Double
    public let max: Double
    public let count: Int

    public init(_ values: [Double]) {
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

    /// Milliseconds of a duration, for the tables.
    public static func milliseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
    }

    /// CPU model, cores and memory of this machine.
    public static var machine: String {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model =
            cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
            .map { $0.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "" }
            ?? "unknown CPU"
        return "\(model), \(ProcessInfo.processInfo.activeProcessorCount) cores, "
            + "\(ProcessInfo.processInfo.physicalMemory / (1 << 30)) GiB"
    }
}
