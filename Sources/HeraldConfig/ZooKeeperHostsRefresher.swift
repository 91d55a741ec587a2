public import Logging
import NIOConcurrencyHelpers

/// Keeps a live session's server list in step with DNS: every `interval` it resolves the host
/// list again and, when the set of servers changed (and is not empty), hands it to the C client
/// (`zoo_set_servers`), which moves the session if its server left the list.
///
/// A failed or empty look-up keeps the servers in use: a DNS outage must not take ZooKeeper
/// away. Each distinct problem is logged once as a warning, not on every tick.
///
/// `run()` is a plain loop that returns when its task is cancelled, so it can be a
/// ServiceLifecycle service as it is.
public final class ZooKeeperHostsRefresher: Sendable {
    /// What one refresh did.
    public enum Outcome: Hashable, Sendable {
        /// The look-up gave the servers in use.
        case unchanged
        /// The look-up gave other servers, and the client now uses them.
        case applied(old: [String], new: [String])
        /// The look-up failed or gave nothing (or the client refused the list): the servers in
        /// use stay. `problem` is the one-line reason.
        case kept(problem: String)
    }

    public let hostList: ZooKeeperHostList
    public let interval: Duration
    private let logger: Logger
    private let apply: @Sendable (String) throws -> Void
    private let state: NIOLockedValueBox<State>

    private struct State {
        var servers: [String]
        /// The last problem logged; the same one again is not logged again.
        var problem: String?
    }

    /// - Parameters:
    ///   - servers: the `ip:port` entries the client was connected with (`hostList.resolve()`).
    ///   - interval: time between look-ups.
    ///   - apply: applies a new connect string: a client's `setServers`, or an election group's,
    ///     which owns its sessions (tests pass their own).
    public init(
        hostList: ZooKeeperHostList, servers: [String], interval: Duration, logger: Logger,
        apply: @escaping @Sendable (String) throws -> Void
    ) {
        self.hostList = hostList
        self.interval = interval
        self.logger = logger
        self.apply = apply
        self.state = NIOLockedValueBox(State(servers: servers))
    }

    /// The `ip:port` entries the client was last given.
    public var servers: [String] { state.withLockedValue { $0.servers } }

    /// Refreshes every `interval` until the task is cancelled, then returns.
    public func run() async throws {
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: interval)
            } catch {
                return
            }
            await refresh()
        }
    }

    /// One look-up, applied if it changed the servers. Call it from one task at a time
    /// (`run()` does).
    @discardableResult
    public func refresh() async -> Outcome {
        let resolved: [String]
        do {
            resolved = try await hostList.resolve()
        } catch is CancellationError {
            return .unchanged
        } catch {
            return keep("\(error)")
        }
        guard !resolved.isEmpty else { return keep("the look-up gave no servers") }
        let old = servers
        guard resolved != old else {
            recovered()
            return .unchanged
        }
        let connectString = ZooKeeperHostList.connectString(resolved)
        do {
            try apply(connectString)
        } catch {
            return keep("cannot apply the servers \(connectString): \(error)")
        }
        state.withLockedValue { $0.servers = resolved }
        recovered()
        logger.info(
            "ZooKeeper servers changed",
            metadata: [
                "zk.servers.old": .string(ZooKeeperHostList.connectString(old)),
                "zk.servers.new": .string(connectString),
            ])
        return .applied(old: old, new: resolved)
    }

    private func keep(_ problem: String) -> Outcome {
        let (isNew, servers) = state.withLockedValue { state in
            defer { state.problem = problem }
            return (state.problem != problem, state.servers)
        }
        let metadata: Logger.Metadata = ["zk.servers": .string(ZooKeeperHostList.connectString(servers))]
        if isNew {
            logger.warning(
                "cannot refresh the ZooKeeper servers, keeping the current ones: \(problem)", metadata: metadata)
        } else {
            logger.debug("still cannot refresh the ZooKeeper servers: \(problem)", metadata: metadata)
        }
        return .kept(problem: problem)
    }

    private func recovered() {
        let previous = state.withLockedValue { state in
            defer { state.problem = nil }
            return state.problem
        }
        if previous != nil {
            logger.info(
                "ZooKeeper server look-up works again",
                metadata: ["zk.servers": .string(servers.joined(separator: ","))])
        }
    }
}
