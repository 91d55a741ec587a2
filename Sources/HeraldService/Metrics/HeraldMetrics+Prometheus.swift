public import Prometheus

// Apart from the type: Prometheus has its own `Gauge` and `Counter`, which would make the
// swift-metrics ones ambiguous in the main file.
extension HeraldMetrics {
    /// A Prometheus factory over `registry` with Herald's request-latency buckets and `# HELP` texts: what `main`
    /// bootstraps (and passes to `init(factory:)`) so that `MetricsServer` serves the same
    /// registry.
    public static func prometheusFactory(registry: PrometheusCollectorRegistry) -> HeraldMetricsFactory {
        HeraldMetricsFactory(registry: registry, durationBuckets: [requestDurationLabel: requestDurationBuckets])
    }
}
