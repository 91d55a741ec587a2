public import Discovery
import Election
import ElectionModel
public import Logging
public import ServiceLifecycle
public import UnixSignals

/// The services of one `herald serve`, assembled from a `ServicePlan` (DESIGN.md "Modes"):
/// every mode serves the socket, publishes, and follows the election and the follower list; a
/// leader host contends, a follower host registers, a mixed host does both. A contending host
/// that neither registers nor reads the list runs no follower directory at all.
///
/// Order matters: `ServiceGroup` shuts services down in reverse order, so the election goes
/// first (abdicate, close the session), then the follower registration, then the publisher
/// (which publishes their last state), then the socket (final snapshot to watchers, socket file
/// removed).
public struct HeraldServer: Sendable {
    public let plan: ServicePlan
    public let election: ElectionService
    /// Nil where it has nothing to do (`ServicePlan.runsFollowerDirectory`).
    public let followers: FollowerDirectory?
    public let discovery: DiscoveryServer
    public let publisher: Publisher
    /// What is failing and being retried, shown in every snapshot.
    public let problems: ProblemBoard
    /// systemd's notify socket, when the process runs under it: told `STOPPING=1` as soon as a
    /// shutdown starts (`stopping()`).
    public let notifier: SystemdNotifier?
    public let services: [any Service]

    /// - Parameters:
    ///   - demotionGate: what a leader waits for before deleting its node when it stops (its
    ///     `on_demoted` hook ending).
    ///   - extraServices: more services that need the election (e.g. the DNS refresher), run
    ///     between the socket and the publisher.
    public init(
        plan: ServicePlan, logger: Logger, sinks: [Publisher.Sink] = [],
        onPublished: (@Sendable (Snapshot) -> Void)? = nil, demotionGate: ElectionService.DemotionGate? = nil,
        problems: ProblemBoard = ProblemBoard(), notifier: SystemdNotifier? = nil,
        extraServices: (ElectionService) -> [any Service] = { _ in [] }
    ) {
        self.plan = plan
        self.problems = problems
        self.notifier = notifier
        election = ElectionService(plan: plan, logger: logger, demotionGate: demotionGate)
        // A host that does not contend registers on the election's session: one session per
        // follower host. A contending host keeps the election's session to the election.
        let group = election.group
        followers =
            plan.runsFollowerDirectory
            ? FollowerDirectory(
                zooKeeper: plan.zooKeeper, paths: plan.paths, registration: plan.registration, acl: plan.acl,
                logger: logger, problems: problems, lists: plan.listsFollowers,
                session: plan.candidate == nil ? .shared({ group.clients() }) : .own) : nil
        discovery = DiscoveryServer(
            configuration: .init(
                socketPath: plan.socketPath, maximumConnections: plan.socketMaximumConnections,
                idleTimeout: plan.socketIdleTimeout),
            initial: Publisher.initialInput(plan: plan), logger: logger)
        publisher = Publisher(
            election: election, followers: followers, server: discovery, plan: plan, sinks: sinks,
            onPublished: onPublished, problems: problems, logger: logger)
        let discovery = discovery
        var services: [any Service] =
            [UntilShutdown("socket") { try await discovery.run() }] + extraServices(election) + [publisher]
        if let followers { services.append(UntilShutdown("followers") { await followers.run() }) }
        services.append(election)
        self.services = services
    }

    /// The group to run. A graceful shutdown (`triggerGracefulShutdown()`, or one of
    /// `gracefulShutdownSignals`) that has not ended within `maximumGracefulShutdownDuration`
    /// cancels the services; a cancellation that has not ended within 5 s more ends the process
    /// (ServiceGroup's fatal error): a stopping `herald serve` always exits.
    ///
    /// `herald serve` passes no signals: it reads SIGTERM and SIGINT itself (`SignalHandling`).
    public func serviceGroup(
        logger: Logger, gracefulShutdownSignals: [UnixSignal] = [.sigterm, .sigint],
        maximumGracefulShutdownDuration: Duration = .seconds(20)
    ) -> ServiceGroup {
        var configuration = ServiceGroupConfiguration(
            services: services.map { .init(service: $0) }, gracefulShutdownSignals: gracefulShutdownSignals,
            logger: logger)
        configuration.maximumGracefulShutdownDuration = maximumGracefulShutdownDuration
        configuration.maximumCancellationDuration = .seconds(5)
        return ServiceGroup(configuration: configuration)
    }
}

/// A plain "run until cancelled" task as a service that stops at graceful shutdown.
struct UntilShutdown: Service, CustomStringConvertible {
    let description: String
    let body: @Sendable () async throws -> Void

    init(_ name: String, _ body: @escaping @Sendable () async throws -> Void) {
        description = name
        self.body = body
    }

    func run() async throws {
        try await cancelWhenGracefulShutdown { try await body() }
        // A body whose input ended first (the follower directory on the election's session, which
        // stops before it) waits for its own turn: a service that returns early fails the group.
        try? await gracefulShutdown()
    }
}
