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
///   suspended task each.
/// - Slow watchers skip revisions instead of queueing them (see `SnapshotPushHandler`).
public final class DiscoveryServer: Sendable {
    public struct Configuration: Sendable {
        /// `herald_socket`.
        public var socketPath: String
        /// The socket file's mode; the owner and group may connect.
        public var mode: UInt32
        /// Longest accepted request line in bytes (DESIGN.md: 64 KiB).
        public var maximumLineLength: Int
        /// How long shutdown waits for a watcher to take its final snapshot before closing it.
        public var shutdownGrace: Duration

        public init(
            socketPath: String = DiscoveryServer.defaultSocketPath, mode: UInt32 = 0o660,
            maximumLineLength: Int = 64 * 1024, shutdownGrace: Duration = .seconds(1)
        ) {
            self.socketPath = socketPath
            self.mode = mode
            self.maximumLineLength = maximumLineLength
            self.shutdownGrace = shutdownGrace
        }
    }

    /// DESIGN.md's default `herald_socket`.
    public static let defaultSocketPath = "/run/herald/herald.sock"

    public let configuration: Configuration
    let store: SnapshotStore
    private let group: any EventLoopGroup
    private let logger: Logger
    private let readiness = Readiness()

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
    }

    /// The snapshot that `get` answers right now (aged by the lease rule).
    public var current: Snapshot { store.refresh().snapshot }

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
        let server: NIOAsyncChannel<Connection, Never>
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

    /// Checks the path, binds with the configured mode and confirms it.
    private func listen() async throws -> (NIOAsyncChannel<Connection, Never>, ino_t) {
        let path = configuration.socketPath
        let mode = mode_t(configuration.mode)
        try SocketFile.prepare(path: path)
        let store = self.store
        let maximumLineLength = configuration.maximumLineLength
        let server: NIOAsyncChannel<Connection, Never>
        do {
            server = try await SocketFile.withCreationMode(mode) {
                try await ServerBootstrap(group: group)
                    .serverChannelOption(.backlog, value: 4096)
                    .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true) { channel in
                        channel.eventLoop.makeCompletedFuture {
                            try Connection(channel: channel, store: store, maximumLineLength: maximumLineLength)
                        }
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

    /// One connection's request loop. Never throws: whatever the client does ends here.
    private func serve(_ connection: Connection) async {
        let push = connection.push
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
                            push.eventLoop.execute { push.value.startWatching() }
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

/// What the bootstrap hands the accept loop for each connection: the async channel for requests
/// and the push handler for snapshots, bound to the connection's event loop.
struct Connection: Sendable {
    var channel: NIOAsyncChannel<LineFrame, ByteBuffer>
    var push: NIOLoopBound<SnapshotPushHandler>

    /// Runs on the new channel's event loop.
    init(channel: any Channel, store: SnapshotStore, maximumLineLength: Int) throws {
        let handler = SnapshotPushHandler(store: store)
        let pipeline = channel.pipeline.syncOperations
        try pipeline.addHandler(ByteToMessageHandler(LineFrameDecoder(maximumLength: maximumLineLength)))
        try pipeline.addHandler(handler)
        self.channel = try NIOAsyncChannel(wrappingChannelSynchronously: channel)
        self.push = NIOLoopBound(handler, eventLoop: channel.eventLoop)
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
