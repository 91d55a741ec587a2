public import Logging
import NIOConcurrencyHelpers
public import NIOCore
public import NIOPosix

#if canImport(Glibc)
    import Glibc
#endif

/// Serves the local socket protocol (v1) on a Unix-domain socket: `get`, `watch` and `ping`,
/// newline-delimited JSON.
///
/// - `publish(_:)` may be called from any task or thread; an input whose snapshot equals the
///   current one is not a change and does not bump the revision.
/// - `run()` listens until its task is cancelled. On cancellation it stops accepting, sends each
///   watcher the current snapshot if it has not had it, closes every connection (within
///   `Configuration.shutdownGrace` for watchers that do not read) and removes the socket file if
///   it is still its own. A service that wants watchers to learn why publishes a final input
///   (e.g. `disconnected`) before cancelling.
/// - Each connection is served on its own child task of a discarding task group: a client's error
///   (bad request, reset, EPIPE) ends that connection only. Idle clients cost one channel and one
///   suspended task each, and are bounded twice: at most `Configuration.maximumConnections` are
///   open at once (one more gets `too_many_connections` and is closed; see `ConnectionLimit`), and
///   a connection that is not watching is closed after `Configuration.idleTimeout` without a
///   request (see `IdleTimeoutHandler`).
/// - At start the soft descriptor limit is raised to the hard one and the cap lowered so that
///   `DiscoveryServer.reservedDescriptors` stay free for ZooKeeper, hooks and metrics (see
///   `DescriptorBudget`).
/// - Slow watchers skip revisions instead of queueing them (see `SnapshotPushHandler`).
public final class DiscoveryServer: Sendable {
    public struct Configuration: Sendable {
        /// `herald_socket`.
        public var socketPath: String
        /// The socket file's mode; the owner and group may connect.
        public var mode: UInt32
        /// Longest accepted request line in bytes (DESIGN.md: 64 KiB).
        public var maximumLineLength: Int
        /// Most connections open at once (`herald_socket_max_connections`); a connection accepted
        /// beyond it gets one `too_many_connections` line and is closed. Lowered at start when
        /// the descriptor limit cannot fit it plus `DiscoveryServer.reservedDescriptors`.
        public var maximumConnections: Int
        /// How long a connection that is not watching may go without a complete request line,
        /// from connecting or from its last request, before it gets `idle_timeout` and is closed
        /// (`herald_socket_idle_timeout_ms`). Watchers are never closed for idleness.
        public var idleTimeout: Duration
        /// How long shutdown waits for a watcher to take its final snapshot before closing it.
        public var shutdownGrace: Duration

        public init(
            socketPath: String = DiscoveryServer.defaultSocketPath, mode: UInt32 = 0o660,
            maximumLineLength: Int = 64 * 1024, maximumConnections: Int = 512, idleTimeout: Duration = .seconds(30),
            shutdownGrace: Duration = .seconds(1)
        ) {
            self.socketPath = socketPath
            self.mode = mode
            self.maximumLineLength = maximumLineLength
            self.maximumConnections = maximumConnections
            self.idleTimeout = idleTimeout
            self.shutdownGrace = shutdownGrace
        }
    }

    /// Descriptors the connection cap leaves free for ZooKeeper, hooks and the metrics listener.
    public static let reservedDescriptors = DescriptorBudget.reserved

    /// DESIGN.md's default `herald_socket`.
    public static let defaultSocketPath = "/run/herald/herald.sock"

    public let configuration: Configuration
    let store: SnapshotStore
    private let group: any EventLoopGroup
    private let logger: Logger
    private let readiness = Readiness()
    private let connections: NIOLockedValueBox<ConnectionLimit>

    /// - Parameters:
    ///   - initial: published as revision 1, so a client connecting before the first real change
    ///     gets a well-formed snapshot (typically `ElectionView.initial`, state `disconnected`).
    ///   - eventLoopGroup: where connections run; NIO's shared singleton by default.
    public init(
        configuration: Configuration, initial: SnapshotInput,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, logger: Logger
    ) {
        self.configuration = configuration
        self.store = SnapshotStore(initial: initial, timerLoop: eventLoopGroup.next())
        self.group = eventLoopGroup
        self.logger = logger
        self.connections = NIOLockedValueBox(ConnectionLimit(limit: configuration.maximumConnections))
    }

    /// Connections open now (refused ones never count).
    var openConnections: Int { connections.withLockedValue { $0.open } }

    /// The cap in force: `Configuration.maximumConnections`, or less once `run()` has clamped it.
    var connectionLimit: Int { connections.withLockedValue { $0.limit } }

    /// The snapshot that `get` answers right now (aged by the lease rule).
    public var current: Snapshot { store.refresh().snapshot }

    /// The same snapshot as `current`, cheaper to read often: it is aged again only once the
    /// lease rule may have changed it.
    public var currentForLookups: Snapshot { store.fresh().snapshot }

    /// The revision of `currentForLookups`, cheaper still: a reader that keeps what it built from
    /// a revision asks for the snapshot only when this changes.
    public var revisionForLookups: UInt64 { store.freshRevision() }

    /// Publishes a new input; returns the new snapshot, or nil when the input did not change it.
    @discardableResult
    public func publish(_ input: SnapshotInput) -> Snapshot? {
        guard let snapshot = store.publish(input) else { return nil }
        logger.debug("published", metadata: ["revision": "\(snapshot.revision)", "state": "\(snapshot.state)"])
        return snapshot
    }

    /// Returns once `run()` is accepting connections; throws `run()`'s set-up error.
    public func waitUntilListening() async throws {
        try await readiness.wait()
    }

    /// Listens and serves until the task is cancelled (then returns normally). Throws
    /// `DiscoveryServerError` when the socket cannot be set up.
    public func run() async throws {
        applyDescriptorBudget()
        let server: NIOAsyncChannel<Connection?, Never>
        let inode: ino_t
        do {
            (server, inode) = try await listen()
        } catch {
            readiness.resolve(.failure(error))
            throw error
        }
        readiness.resolve(.success(()))
        let path = configuration.socketPath
        logger.info("listening", metadata: ["socket": "\(path)"])
        defer {
            SocketFile.removeIfOurs(path: path, inode: inode)
            logger.info("stopped", metadata: ["socket": "\(path)"])
        }
        let grace = TimeAmount(configuration.shutdownGrace)
        await withTaskCancellationHandler {
            await withDiscardingTaskGroup { group in
                do {
                    try await server.executeThenClose { inbound in
                        for try await connection in inbound {
                            guard let connection else { continue }  // refused over the cap
                            group.addTask { await self.serve(connection) }
                        }
                    }
                } catch {
                    if !Task.isCancelled { logger.error("accept loop ended: \(error)") }
                }
            }
        } onCancel: {
            store.shutDown(grace: grace)
        }
    }

    /// Raises the soft descriptor limit and clamps the connection cap to what it leaves.
    private func applyDescriptorBudget() {
        let wanted = configuration.maximumConnections
        guard let limits = DescriptorBudget.raiseSoftLimit() else {
            logger.warning(
                "cannot read the descriptor limit; keeping the connection limit", metadata: ["limit": "\(wanted)"])
            return
        }
        if let before = limits.raisedFrom {
            logger.debug("raised the soft descriptor limit", metadata: ["from": "\(before)", "to": "\(limits.soft)"])
        }
        let cap = DescriptorBudget.connectionCap(maximumConnections: wanted, softLimit: limits.soft)
        connections.withLockedValue { $0.limit = cap }
        if cap < wanted {
            logger.info(
                "connection limit lowered to keep descriptors free",
                metadata: [
                    "limit": "\(cap)", "configured": "\(wanted)", "descriptor_limit": "\(limits.soft)",
                    "reserved": "\(DescriptorBudget.reserved)",
                ])
        }
    }

    /// Checks the path, binds with the configured mode and confirms it.
    private func listen() async throws -> (NIOAsyncChannel<Connection?, Never>, ino_t) {
        let path = configuration.socketPath
        let mode = mode_t(configuration.mode)
        try SocketFile.prepare(path: path)
        let server: NIOAsyncChannel<Connection?, Never>
        do {
            server = try await SocketFile.withCreationMode(mode) {
                try await ServerBootstrap(group: group)
                    .serverChannelOption(.backlog, value: 4096)
                    .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true) { channel in
                        channel.eventLoop.makeCompletedFuture { try self.admit(channel) }
                    }
            }
        } catch {
            throw DiscoveryServerError.cannotPrepare(path: path, reason: "bind: \(error)")
        }
        do {
            return (server, try SocketFile.confirm(path: path, mode: mode))
        } catch {
            try? await server.channel.close()
            throw error
        }
    }

    /// Runs on a new channel's event loop, before it is registered: counts it against the cap and
    /// sets up its pipeline, or makes it a refused connection (nil: never handed to the accept
    /// loop). The release is tied to the channel's close before anything can fail, so an admitted
    /// connection is released exactly once however it ends.
    private func admit(_ channel: any Channel) throws -> Connection? {
        switch connections.withLockedValue({ $0.admit() }) {
        case .refused(let limit, let warn):
            if warn {
                logger.warning(
                    "connection limit reached: refusing new connections", metadata: ["limit": "\(limit)"])
            }
            try channel.pipeline.syncOperations.addHandler(RefusedConnectionHandler(limit: limit))
            return nil
        case .admitted:
            channel.closeFuture.whenComplete { _ in self.release() }
            return try Connection(
                channel: channel, store: store, maximumLineLength: configuration.maximumLineLength,
                idleTimeout: TimeAmount(configuration.idleTimeout))
        }
    }

    private func release() {
        switch connections.withLockedValue({ $0.release() }) {
        case .quiet:
            break
        case .backUnder(let open, let limit, let refused):
            logger.notice(
                "connections back under the limit: accepting again",
                metadata: ["open": "\(open)", "limit": "\(limit)", "refused": "\(refused)"])
        }
    }

    /// One connection's request loop. Never throws: whatever the client does ends here.
    private func serve(_ connection: Connection) async {
        let push = connection.push
        let idle = connection.idle
        var watching = false
        do {
            try await connection.channel.executeThenClose { inbound, outbound in
                for try await frame in inbound {
                    guard case .line(let line) = frame else {
                        let error = DiscoveryProtocolError(
                            .lineTooLong, "a request line is longer than \(configuration.maximumLineLength) bytes")
                        try await outbound.write(ByteBuffer(string: error.line))
                        return
                    }
                    switch DiscoveryRequest.parse(line.readableBytesView) {
                    case nil:
                        continue
                    case .success(.ping):
                        try await outbound.write(ByteBuffer(string: DiscoveryResponse.pongLine))
                    case .success(.get):
                        if watching {
                            push.eventLoop.execute { push.value.resendCurrent() }
                        } else {
                            try await outbound.write(store.refresh().line)
                        }
                    case .success(.watch):
                        if watching {
                            let error = DiscoveryProtocolError(.alreadyWatching, "this connection is already watching")
                            try await outbound.write(ByteBuffer(string: error.line))
                        } else {
                            watching = true
                            push.eventLoop.execute {
                                idle.value.stop()
                                push.value.startWatching()
                            }
                        }
                    case .failure(let error):
                        try await outbound.write(ByteBuffer(string: error.line))
                    }
                }
                // Cancelled while watching: the push handler closes the channel once the final
                // snapshot is out (bounded by the grace period); wait for that rather than cut it.
                if watching { try await connection.channel.channel.closeFuture.get() }
            }
        } catch {
            logger.debug("connection ended: \(error)")
        }
    }
}

/// What the bootstrap hands the accept loop for each admitted connection: the async channel for
/// requests, the push handler for snapshots and the idle timer, bound to the connection's event
/// loop.
struct Connection: Sendable {
    var channel: NIOAsyncChannel<LineFrame, ByteBuffer>
    var push: NIOLoopBound<SnapshotPushHandler>
    var idle: NIOLoopBound<IdleTimeoutHandler>

    /// Runs on the new channel's event loop.
    init(channel: any Channel, store: SnapshotStore, maximumLineLength: Int, idleTimeout: TimeAmount) throws {
        let handler = SnapshotPushHandler(store: store)
        let idle = IdleTimeoutHandler(timeout: idleTimeout)
        let pipeline = channel.pipeline.syncOperations
        // The push handler first: its writes go to the channel with no handler to pass on the way.
        try pipeline.addHandler(handler)
        try pipeline.addHandler(ByteToMessageHandler(LineFrameDecoder(maximumLength: maximumLineLength)))
        try pipeline.addHandler(idle)
        self.channel = try NIOAsyncChannel(wrappingChannelSynchronously: channel)
        self.push = NIOLoopBound(handler, eventLoop: channel.eventLoop)
        self.idle = NIOLoopBound(idle, eventLoop: channel.eventLoop)
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
