public import DNS
import Discovery
import Election
public import HeraldConfig
public import Logging
import Metrics
public import Prometheus
public import ServiceLifecycle
import ZooKeeper

extension HeraldServer {
    /// A setting that stops `herald serve` before anything starts: one line naming the key.
    public struct SetupError: Error, CustomStringConvertible {
        public let key: String
        public let reason: String
        public var description: String { "\(key): \(reason)" }
    }

    /// Everything `herald serve` runs, wired from the loaded configuration: the election, the
    /// follower directory, the publisher and the socket of `init`, plus the hooks, the metrics
    /// listener, the health answers, systemd's notifications, the DNS responder and the
    /// ZooKeeper host refresher, each when the configuration asks for it.
    ///
    /// Nothing process-wide is touched (logging, the global metrics factory, signals): the caller
    /// owns those, so a test can run the whole service in-process and stop it with the group's
    /// `triggerGracefulShutdown()`. Ports are bound here, before anything runs: a port already
    /// taken is a `SetupError` naming its key.
    ///
    /// - Parameters:
    ///   - servers: the ZooKeeper connect string, resolved (`mesos_zk_hosts` or DNS).
    ///   - registry: where the metrics are made and `herald_metrics_listen` serves them from.
    ///   - environment: the process environment (`NOTIFY_SOCKET` for systemd).
    public static func assemble(
        configuration: HeraldConfiguration, host: HostFacts, servers: String,
        registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
        environment: [String: String] = [:], logger: Logger
    ) async throws -> HeraldServer {
        let dns = try await Self.bindDNSResponder(configuration, logger: logger)
        var plan = ServicePlan(configuration: configuration, host: host, servers: servers)
        let metrics = HeraldMetrics(factory: HeraldMetrics.prometheusFactory(registry: registry))
        plan.zooKeeper.requestObserver = { operation, duration in
            metrics.recordZooKeeperRequest(operation: operation, duration: duration)
        }
        var metricsListener: MetricsServer.Configuration?
        if !configuration.heraldMetricsListen.isEmpty {
            do {
                metricsListener = try .init(listen: configuration.heraldMetricsListen)
            } catch {
                throw SetupError(key: "herald_metrics_listen", reason: "\(error)")
            }
        }
        let hostList = try Self.hostList(configuration)
        let hooks = HookRunner(
            configuration: .init(
                onElected: plan.hooks.onElected, onDemoted: plan.hooks.onDemoted,
                onLeaderChange: plan.hooks.onLeaderChange, timeout: plan.hooks.timeout),
            logger: logger)
        let health = HealthCheck(socketPath: plan.socketPath, sessionTimeout: plan.sessionTimeout)
        let notifier = SystemdNotifier(environment: environment, logger: logger)
        let sink: Publisher.Sink = { change in
            health.observe(change.view)
            metrics.observe(change.event)
            metrics.update(from: change.view)
            guard change.current else { return }
            hooks.submit(
                for: change.event, view: change.view, role: Hook.Role(rawValue: change.role.rawValue) ?? .observer,
                epoch: change.epoch)
        }
        // A stopping leader keeps its node until its on_demoted hook has ended (within the hook
        // timeout and the kill grace): the successor's on_elected never overlaps it.
        let gate = ElectionService.DemotionGate(limit: hooks.configuration.timeout + hooks.configuration.killGrace) {
            epoch in
            let mark = hooks.demotionMark(epoch: epoch)
            return { await hooks.demotedFinished(epoch: epoch, after: mark) }
        }
        let problems = ProblemBoard()
        let server = HeraldServer(
            plan: plan, logger: logger, sinks: [sink], onPublished: { _ in metrics.publishedRevision() },
            demotionGate: gate, problems: problems, notifier: notifier
        ) { election in
            var extra: [any Service] = [hooks]
            if let dns { extra.insert(DNSResponderService(responder: dns.responder), at: 0) }
            health.follow { [group = election.group] in group.view }
            if let notifier {
                extra.append(
                    SystemdService(
                        notifier: notifier, socketPath: plan.socketPath, election: election.group,
                        sessionTimeout: plan.sessionTimeout, logger: logger))
            }
            if let metricsListener {
                // A listener that cannot bind (the port taken meanwhile, say) is retried; it never
                // ends the service.
                extra.insert(
                    RetryingService("metrics listener", logger: logger, problems: problems) {
                        MetricsServer(
                            configuration: metricsListener, registry: registry, health: health, logger: logger)
                    }, at: 0)
            }
            guard let hostList else { return extra }
            let group = election.group
            return extra + [
                RefresherService(
                    refresher: ZooKeeperHostsRefresher(
                        hostList: hostList, servers: servers.split(separator: ",").map(String.init),
                        interval: .seconds(30), logger: logger
                    ) { group.setServers($0) })
            ]
        }
        dns?.answers.attach(.discovery(server.discovery))
        return server
    }

    /// The DNS look-up to refresh the servers with, when `herald_zk_dns_server` names one.
    static func hostList(_ configuration: HeraldConfiguration) throws -> ZooKeeperHostList? {
        guard configuration.mesosZkHosts == nil, let dnsServer = configuration.heraldZkDnsServer else { return nil }
        return ZooKeeperHostList(
            hosts: nil, dnsName: configuration.mesosZkDns, port: configuration.mesosZkPort,
            resolver: try DNSResolver(server: dnsServer))
    }

    /// Binds `herald_dns_listen` (UDP and TCP) before anything else starts, so that a taken port
    /// is one line naming the key; nil when the key is empty (off).
    static func bindDNSResponder(_ configuration: HeraldConfiguration, logger: Logger) async throws
        -> (answers: DNSAnswers, responder: DNSResponder)?
    {
        guard !configuration.heraldDnsListen.isEmpty else { return nil }
        let answers = DNSAnswers(
            names: DNSNames(domain: configuration.heraldDnsDomain, service: configuration.heraldDnsService),
            ttl: UInt32(configuration.heraldDnsTtl))
        do {
            let responder = try await DNSResponder.bind(
                configuration: try DNSResponder.Configuration(listen: configuration.heraldDnsListen), logger: logger,
                zone: answers.zone)
            return (answers, responder)
        } catch {
            throw SetupError(key: "herald_dns_listen", reason: "\(error)")
        }
    }
}

/// The bound DNS responder as a service: it answers until graceful shutdown.
struct DNSResponderService: Service {
    let responder: DNSResponder

    func run() async throws {
        await cancelWhenGracefulShutdown { await responder.run() }
    }
}

/// The ZooKeeper host refresher as a service (only with `herald_zk_dns_server`).
struct RefresherService: Service {
    let refresher: ZooKeeperHostsRefresher

    func run() async throws {
        try await cancelWhenGracefulShutdown { try await refresher.run() }
    }
}
