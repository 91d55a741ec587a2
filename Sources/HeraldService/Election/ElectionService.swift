public import Election
public import ElectionModel
import HeraldSupport
public import Logging
import MesosLayout
import MesosZooKeeper
import NIOConcurrencyHelpers
public import ServiceLifecycle
import ZooKeeper

/// The election as a service: runs the process' `ElectionGroup`; on a leader host it first
/// makes sure the base path exists with Mesos' ACL (as `herald bootstrap`, retried until
/// ZooKeeper answers), then contends. Graceful shutdown abdicates first (the own node is
/// deleted, so the successor takes over in a few round trips), bounded by `abdicationLimit` when
/// ZooKeeper is unreachable, then closes the session. A leader keeps its node until its
/// `demotionGate` has passed (its `on_demoted` hook has ended), so that no successor acts while
/// this host still steps down.
public final class ElectionService: Service, Sendable {
    /// What a leader waits for between its `demoted` and the delete of its node, at most `limit`.
    public struct DemotionGate: Sendable {
        public var limit: Duration
        /// Called with the epoch of the term about to end, before the demotion; returns the wait.
        public var begin: @Sendable (Int64) -> @Sendable () async -> Void

        public init(limit: Duration, begin: @escaping @Sendable (Int64) -> @Sendable () async -> Void) {
            self.limit = limit
            self.begin = begin
        }
    }

    public let group: ElectionGroup
    let plan: ServicePlan
    let logger: Logger
    let abdicationLimit: Duration
    let demotionGate: DemotionGate?
    private let contender = NIOLockedValueBox<ContenderID?>(nil)

    public init(
        plan: ServicePlan, logger: Logger, abdicationLimit: Duration = .seconds(5), demotionGate: DemotionGate? = nil
    ) {
        self.plan = plan
        self.logger = logger
        self.abdicationLimit = abdicationLimit
        self.demotionGate = demotionGate
        group = ElectionGroup(
            configuration: .init(
                zooKeeper: plan.zooKeeper, basePath: plan.basePath, required: plan.required,
                nodeACL: ElectionGroup.Configuration.nodeACL(authenticated: plan.zooKeeper.credentials != nil)),
            logger: logger)
    }

    /// This host's contender once it contends.
    public var contenderID: ContenderID? { contender.withLockedValue { $0 } }

    public func run() async throws {
        await withTaskGroup(of: Void.self) { tasks in
            tasks.addTask { await self.group.run() }
            if let candidate = plan.candidate {
                tasks.addTask {
                    guard await self.bootstrap() else { return }
                    self.contender.withLockedValue { $0 = self.group.contend(candidate) }
                }
            }
            // Until a graceful shutdown (or cancellation) is asked for.
            try? await gracefulShutdown()
            if let id = contenderID {
                let (done, signal) = AsyncStream<Void>.makeStream()
                let gate = group.leaderEpoch(id).flatMap { epoch in demotionGate.map { Self.gate($0, epoch: epoch) } }
                tasks.addTask {
                    await self.group.abdicate(id, after: gate)
                    signal.yield()
                }
                tasks.addTask {
                    try? await Task.sleep(for: self.abdicationLimit + (gate == nil ? .zero : self.demotionGate!.limit))
                    signal.yield()
                }
                for await _ in done { break }
                if group.ownNode(id) != nil {
                    logger.warning(
                        "could not delete the own candidate node in time; it goes when the session closes",
                        metadata: ["limit": "\(abdicationLimit)"])
                }
            }
            tasks.cancelAll()
        }
    }

    /// `gate`'s wait for the end of the term of `epoch`, which must not have ended yet, ended
    /// after `gate.limit` at the latest.
    static func gate(_ gate: DemotionGate, epoch: Int64) -> ElectionGroup.AbdicationGate {
        let wait = gate.begin(epoch)
        return { try? await withTimeout(gate.limit) { await wait() } }
    }

    /// Creates the base path and Herald's own path with Mesos' ACL if missing, retrying until
    /// ZooKeeper answers.
    /// Returns false when cancelled first.
    private func bootstrap() async -> Bool {
        var failures = 0
        while !Task.isCancelled {
            do {
                var zooKeeper = plan.zooKeeper
                zooKeeper.connectTimeout = plan.sessionTimeout
                let client = try await ZooKeeperClient.connect(zooKeeper, logger: logger)
                let report: ChrootBootstrap.Report
                do {
                    report = try await ChrootBootstrap.run(
                        client: client, paths: plan.paths, acl: plan.acl, fixACL: false)
                } catch {
                    await client.close()
                    throw error
                }
                await client.close()
                for path in report.created { logger.notice("created", metadata: ["path": "\(path)"]) }
                if case .differs(let current, let desired) = report.acl {
                    logger.warning(
                        "the base path's ACL differs from Mesos' (herald bootstrap --fix-acl changes it)",
                        metadata: ["is": "\(current)", "want": "\(desired)"])
                }
                if case .differs(let current, let desired) = report.heraldACL {
                    logger.warning(
                        "Herald's path has an ACL other than the base path's (herald bootstrap --fix-acl changes it)",
                        metadata: ["path": "\(plan.paths.root)", "is": "\(current)", "want": "\(desired)"])
                }
                return true
            } catch {
                if failures == 0 || failures % 10 == 0 {
                    logger.warning(
                        "cannot bootstrap the base path yet; retrying",
                        metadata: ["path": "\(plan.basePath)", "error": "\(error)"])
                }
                failures += 1
                let delay = Backoff(initial: .milliseconds(200), maximum: .seconds(5)).delay(after: failures)
                guard (try? await Task.sleep(for: delay)) != nil else { return false }
            }
        }
        return false
    }
}
