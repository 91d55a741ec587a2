import Foundation
import HeraldSupport
public import Logging
public import MesosLayout
import NIOConcurrencyHelpers
public import ZooKeeper

/// The registered followers (Mesos agent hosts) under `HeraldPaths.followers` (by default
/// `/herald/<cluster>/followers`, outside the Mesos base path): this host's own ephemeral
/// registration when it is a follower, and the list every host publishes as
/// `follower.<service>.service.<domain>`.
///
/// Cost at scale (thousands of follower hosts): a join or leave must not cost every host a read
/// of the whole list. So
/// - only a host that needs the list reads it (`lists`: leader and mixed hosts, hosts answering
///   DNS, or set by `herald_follower_list`); any other host only registers and holds no watch;
/// - a host that reads it does so at most once per `interval` however many hosts joined
///   meanwhile (the watch that fired is re-armed by that one read), and reads each member's data
///   once, when it first appears;
/// - a host that does not contend shares the election's session (`Session.shared`) instead of
///   opening a second one; a contending host keeps its registration on a session of its own, so
///   that the election's session carries nothing else.
/// Within a session the registration is created once (a node left by this host's previous session
/// is replaced); on expiry, or a whole session timeout without a connection, it is created again
/// on the next session.
///
/// During a rolling upgrade, hosts still running an older version register under the legacy
/// `<base>/herald/followers`. While that node exists it is read too (and watched), and its
/// entries join the list, so every upgraded host publishes every follower. Nothing here writes
/// or deletes there: `herald bootstrap --migrate` removes it once no host is registered in it.
public final class FollowerDirectory: Sendable {
    /// Where the registration's session comes from.
    public enum Session: Sendable {
        /// A session of its own, opened and closed here.
        case own
        /// The clients of another part of the process (`ElectionGroup.clients()`), one per
        /// session, opened and closed by their owner.
        case shared(@Sendable () -> AsyncStream<ZooKeeperClient>)
    }

    /// What a follower writes into its node (JSON, keys sorted).
    public struct Registration: Hashable, Sendable, Codable {
        public var hostname: String
        public var ip: String
        public var port: Int
        public var attributes: [String]
        public var resources: [String]

        public init(hostname: String, ip: String, port: Int, attributes: [String] = [], resources: [String] = []) {
            self.hostname = hostname
            self.ip = ip
            self.port = port
            self.attributes = attributes
            self.resources = resources
        }
    }

    public let zooKeeper: ZooKeeperConfiguration
    public let paths: HeraldPaths
    /// Where this host registers and reads: `paths.followers`.
    public var directory: String { paths.followers }
    public let registration: Registration?
    /// Whether this host reads the list (and watches it) at all.
    public let lists: Bool
    /// At most one list read per interval.
    public let interval: Duration
    let session: Session
    let acl: [ACL]
    let logger: Logger
    /// The name the directory's failures are reported under.
    static let component = "followers"
    private let problems: ProblemBoard?
    private let state: NIOLockedValueBox<State>
    let listeners = Broadcaster<[Registration]>()

    private struct State {
        var followers: [Registration] = []
    }

    /// - Parameters:
    ///   - paths: Herald's znodes; the directory is `paths.followers`.
    ///   - registration: this host's entry, nil when it is not a follower.
    ///   - problems: where a failing session is reported (`followers`) until it works again.
    ///   - lists: whether to read and follow the list; without it `followers` stays empty.
    ///   - interval: the least time between two reads of the list.
    ///   - session: a session of its own, or another part's.
    public init(
        zooKeeper: ZooKeeperConfiguration, paths: HeraldPaths, registration: Registration?, acl: [ACL], logger: Logger,
        problems: ProblemBoard? = nil, lists: Bool = true, interval: Duration = .seconds(1), session: Session = .own
    ) {
        self.lists = lists
        self.interval = interval
        self.session = session
        self.problems = problems
        self.zooKeeper = zooKeeper
        self.paths = paths
        self.registration = registration
        self.acl = acl
        self.logger = logger
        self.state = NIOLockedValueBox(State())
    }

    /// The followers as last read, by host name.
    public var followers: [Registration] { state.withLockedValue { $0.followers } }

    /// Every new list from now on.
    public func updates() -> AsyncStream<[Registration]> {
        listeners.stream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Registers and follows the directory, session after session, until cancelled.
    public func run() async {
        switch session {
        case .own: await runOwnSessions()
        case .shared(let clients): await runShared(clients())
        }
        listeners.finish()
    }

    /// A session of its own for each attempt, closed after it.
    private func runOwnSessions() async {
        await retrying {
            // A failure here (a server name that does not resolve, say) is retried with backoff:
            // the directory never ends `herald serve`, it only reports.
            let client: ZooKeeperClient
            do {
                client = try await ZooKeeperClient.open(configuration: zooKeeper, logger: logger)
            } catch {
                logger.error(
                    "cannot start a ZooKeeper session for the follower directory; retrying",
                    metadata: ["error": "\(error)"])
                problems?.report(Self.component, "cannot start a ZooKeeper session: \(error)")
                return false
            }
            let followed = await followOnce(client, .warning, "follower directory: starting a new session")
            await client.close()
            return followed ?? false
        }
    }

    /// Follows on each client of `clients` in turn, the newest only: again on the same one after
    /// a backoff when following failed (a long disconnection, say), until a newer one comes.
    private func runShared(_ clients: AsyncStream<ZooKeeperClient>) async {
        let current = NIOLockedValueBox<Task<Void, Never>?>(nil)
        await withTaskCancellationHandler {
            for await client in clients {
                let previous = current.withLockedValue { $0 }
                previous?.cancel()
                await previous?.value
                // Until a newer client comes, or this one is closed by its owner.
                current.withLockedValue {
                    $0 = Task {
                        await self.retrying {
                            await self.followOnce(client, .info, "follower directory: following again")
                        }
                    }
                }
            }
            let last = current.withLockedValue { $0 }
            last?.cancel()
            await last?.value
        } onCancel: {
            current.withLockedValue { $0 }?.cancel()
        }
    }

    /// Runs `attempt` until the task is cancelled or the attempt returns nil, waiting per
    /// `backoff` after each one; an attempt that returns true (it followed, then its session
    /// ended) starts the backoff again from its shortest delay.
    private func retrying(_ attempt: () async -> Bool?) async {
        var failures = 0
        while !Task.isCancelled {
            guard let followed = await attempt() else { return }
            if followed { failures = 0 }
            guard !Task.isCancelled else { return }
            guard (try? await Task.sleep(for: Self.backoff.next(&failures))) != nil else { return }
        }
    }

    /// Follows on `client` once; true when it followed until the session ended, false when it
    /// failed (logged at `level` with `message`, and reported), nil when it was cancelled or the
    /// client was closed.
    private func followOnce(_ client: ZooKeeperClient, _ level: Logger.Level, _ message: Logger.Message) async -> Bool?
    {
        do {
            try await follow(client)
            return true
        } catch is CancellationError {
            return nil
        } catch {
            logger.log(level: level, message, metadata: ["reason": "\(error)"])
            problems?.report(Self.component, "\(error)")
            return false
        }
    }

    static let backoff = Backoff(initial: .milliseconds(100), maximum: .seconds(5))

    /// One session: connect, register, then list the directory (and the legacy one while it
    /// exists) at each change. Each list is read again only when its own watch fired, so a
    /// quiet list holds one watch, not one per change of the other.
    private func follow(_ client: ZooKeeperClient) async throws {
        try await connected(client)
        if let credentials = zooKeeper.credentials {
            try await client.addAuth(credentials)
        }
        var prepared = false
        // Each child is read once; a malformed one is cached as nil, so it is logged once.
        var cache: [String: Registration?] = [:]
        var current = Listing(directory: directory)
        var legacy: Listing? = Listing(directory: paths.legacyFollowers)
        var lastRead: ContinuousClock.Instant?
        while !Task.isCancelled {
            do {
                if !prepared {
                    _ = try await client.ensurePath(directory, acl: acl)
                    if let registration { try await register(registration, client: client) }
                    prepared = true
                }
                guard lists else {
                    // Registered, and no list to follow: watch only this host's own node, so that
                    // it is made again if someone deletes it (or the directory), and otherwise wait
                    // for the session to end. One watch per host, which fires for this host only.
                    problems?.clear(Self.component)
                    guard let registration else {
                        try await awaitChange([], client: client)
                        continue
                    }
                    let own = directory + "/" + HeraldPaths.followerNode(registration.hostname)
                    let (stat, watch) = try await client.existsAndWatch(own)
                    if stat != nil { try await awaitChange([watch], client: client) }
                    if try await client.exists(own) == nil {
                        logger.notice("this host's follower registration was deleted; registering again")
                        prepared = false
                    }
                    continue
                }
                // Coalesce: however many members came and went since the last read, one read
                // per interval sees them all.
                if let lastRead, case let wait = lastRead + interval - .now, wait > .zero {
                    try await Task.sleep(for: wait)
                }
                lastRead = .now
                try await current.refresh(client)
                if let registration, !current.children.contains(HeraldPaths.followerNode(registration.hostname)) {
                    // This host's own node was deleted by someone: make it again, then read.
                    logger.notice("this host's follower registration was deleted; registering again")
                    prepared = false
                    lastRead = nil
                    current.watch = nil  // read the list again after registering, whatever the watch says
                    continue
                }
                do {
                    try await legacy?.refresh(client)
                } catch let error as ZooKeeperError where error.code == .noNode {
                    legacy = nil  // no older version registered here this session
                }
                // Legacy entries first, so that a host listed in both is described by its new one.
                var byHost: [String: Registration] = [:]
                var next: [String: Registration?] = [:]
                for path in (legacy?.paths ?? []) + current.paths {
                    if let known = cache[path] {
                        next[path] = known
                    } else if let (data, _) = try await Self.get(client, path) {
                        let decoded = try? JSONDecoder().decode(Registration.self, from: Data(data))
                        if decoded == nil {
                            logger.warning("skipping a malformed follower registration", metadata: ["node": "\(path)"])
                        }
                        next[path] = .some(decoded)
                    }
                    if case .some(.some(let registration)) = next[path] { byHost[registration.hostname] = registration }
                }
                cache = next
                publish(Array(byHost.values))
                problems?.clear(Self.component)
                try await awaitChange([current.watch, legacy?.watch].compactMap { $0 }, client: client)
            } catch let error as ZooKeeperError where error.code == .connectionLoss || error.code == .operationTimeout {
                try await connected(client)
            }
        }
    }

    /// One watched child list.
    private struct Listing {
        let directory: String
        var children: [String] = []
        var watch: Watch?

        init(directory: String) { self.directory = directory }

        var paths: [String] { children.sorted().map { directory + "/" + $0 } }

        /// Reads the list again (and sets a new watch) unless the current watch is still pending.
        mutating func refresh(_ client: ZooKeeperClient) async throws {
            guard watch?.hasFired != false else { return }
            let (children, _, watch) = try await client.childrenAndWatch(directory)
            self.children = children
            self.watch = watch
        }
    }

    /// A plain get; nil when the node vanished in between.
    private static func get(_ client: ZooKeeperClient, _ path: String) async throws -> ([UInt8], Stat)? {
        do {
            let (data, stat) = try await client.get(path)
            return (data, stat)
        } catch let error as ZooKeeperError where error.code == .noNode {
            return nil
        }
    }

    /// Creates this host's ephemeral node; one left by an earlier session of this host is replaced.
    private func register(_ registration: Registration, client: ZooKeeperClient) async throws {
        let path = directory + "/" + HeraldPaths.followerNode(registration.hostname)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = Array(try encoder.encode(registration))
        do {
            try await client.create(path, data: data, mode: .ephemeral, acl: acl)
        } catch let error as ZooKeeperError where error.code == .nodeExists {
            guard let (_, stat) = try await Self.get(client, path) else {
                return try await register(registration, client: client)
            }
            guard stat.ephemeralOwner != client.session?.id else { return }
            logger.notice("replacing this host's follower registration left by an earlier session")
            do {
                try await client.delete(path, version: stat.version)
            } catch let error as ZooKeeperError where error.code == .noNode || error.code == .badVersion {}
            return try await register(registration, client: client)
        }
    }

    /// Waits for one of `watches` to fire (with none, only for the session to end); throws when the session ends or stays disconnected for
    /// a whole session timeout (the Mesos detector rule), so that `run` starts a new one. Every
    /// outage is timed, not only the first: a reconnect clears the clock, the next loss starts it.
    private func awaitChange(_ watches: [Watch], client: ZooKeeperClient) async throws {
        let events = client.sessionEvents()
        let timeout = client.session?.negotiatedTimeout ?? zooKeeper.sessionTimeout
        // Session events and clock ticks in one stream, so one loop judges both.
        let (inputs, post) = AsyncStream<SessionEvent?>.makeStream()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for watch in watches { group.addTask { _ = try await watch.event() } }
            group.addTask {
                for await event in events { post.yield(event) }
                post.finish()
            }
            group.addTask {
                while true {
                    try await Task.sleep(for: timeout / 8)
                    post.yield(nil)
                }
            }
            group.addTask {
                var lostAt: ContinuousClock.Instant?
                for await input in inputs {
                    switch input {
                    case .connecting?: lostAt = lostAt ?? .now
                    case .connected?: lostAt = nil
                    case .expired?, .authFailed?, .closed?, .readOnly?:
                        throw ZooKeeperError(.sessionExpired, operation: "follow \(self.directory)")
                    case nil: break
                    }
                    if let lostAt, ContinuousClock.now - lostAt >= timeout {
                        throw ZooKeeperError(.connectionLoss, operation: "no connection for a session timeout")
                    }
                }
                throw CancellationError()
            }
            defer { group.cancelAll() }
            try await group.next()
        }
    }

    private func connected(_ client: ZooKeeperClient) async throws {
        try await client.waitUntilConnected(timeout: client.session?.negotiatedTimeout ?? zooKeeper.sessionTimeout)
    }

    private func publish(_ list: [Registration]) {
        let sorted = list.sorted { $0.hostname < $1.hostname }
        let receivers = state.withLockedValue { state -> Broadcaster<[Registration]>.Receivers? in
            guard state.followers != sorted else { return nil }
            state.followers = sorted
            return listeners.receivers()
        }
        receivers?.yield(sorted)
    }
}
