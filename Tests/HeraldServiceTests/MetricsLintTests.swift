import ElectionModel
import Foundation
import HeraldTestSupport
import Metrics
import Prometheus
import Testing

@testable import HeraldService

/// Every metric `herald serve` exposes has `# HELP` text, and the exposition passes Prometheus'
/// own linter, `promtool check metrics` (Debian's `prometheus`; Tests/run.sh installs it).
@Suite("metrics lint")
struct MetricsLintTests {
    @Test("every family has HELP and promtool check metrics finds nothing")
    func promtool() async throws {
        let registry = PrometheusCollectorRegistry()
        let factory = HeraldMetrics.prometheusFactory(registry: registry)
        let metrics = HeraldMetrics(factory: factory)
        metrics.observe(.viewChanged(Fixtures.electedView(leader: Fixtures.first)))
        metrics.observe(.leaderChanged(from: nil, to: Fixtures.first))
        metrics.observe(.elected(ContenderID(1), node: Fixtures.first.node, epoch: Fixtures.first.epoch))
        metrics.observe(.demoted(ContenderID(1), reason: .noQuorum))
        metrics.setSocketConnections(2)
        metrics.publishedRevision()
        metrics.recordZooKeeperRequest(operation: "get_children", duration: .milliseconds(3))
        // What ProblemBoard creates through the global factory in `herald serve`.
        Counter(label: "herald_component_failures_total", dimensions: [("component", "followers")], factory: factory)
            .increment()
        Gauge(label: "herald_component_failing", dimensions: [("component", "followers")], factory: factory).record(1)

        var bytes: [UInt8] = []
        registry.emit(into: &bytes)
        let text = String(decoding: bytes, as: UTF8.self)
        let lines = text.split(separator: "\n")
        let typed = Set(lines.filter { $0.hasPrefix("# TYPE ") }.map { $0.split(separator: " ")[2] })
        let helped = Set(lines.filter { $0.hasPrefix("# HELP ") }.map { $0.split(separator: " ")[2] })
        #expect(typed.count >= 13)
        #expect(typed == helped, "without HELP: \(typed.subtracting(helped).sorted())")
        for name in typed { #expect(HeraldMetrics.help[String(name)] != nil, "\(name) is not in HeraldMetrics.help") }

        let file = FileManager.default.temporaryDirectory.appendingPathComponent("herald-metrics-\(UUID()).txt").path
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let promtool = try #require(
            ["/usr/bin/promtool", "/usr/local/bin/promtool"].first { FileManager.default.isExecutableFile(atPath: $0) },
            "promtool is not installed (Debian package prometheus)")
        let result = try await ChildProcess.run("/bin/sh", ["-c", "\(promtool) check metrics < \(file)"])
        #expect(result.status == 0, "promtool check metrics:\n\(result.output)")
        #expect(result.output.isEmpty, "promtool check metrics:\n\(result.output)")
    }
}
