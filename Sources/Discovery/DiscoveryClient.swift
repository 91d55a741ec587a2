import HeraldSupport
public import Logging
public import NIOCore
import NIOPosix

#if canImport(Glibc)
    import Glibc
#endif

/// Talks to a Herald on its local socket: one-shot `current()` and `ping()`, and `updates()`, a
/// stream of snapshots that survives Herald restarts.
///
/// A value type holding only configuration; every call opens its own connection, so a client is
/// cheap to copy and safe to share between tasks.
public struct DiscoveryClient: Sendable {
    /// Reconnection delays of `updates()`: `initial`, doubled after each failed attempt up to
    /// `maximum`, back to `initial` once a snapshot arrives (as `HeraldSupport.Backoff` counts
    /// them; this is its public face in the library's API).
    public struct Backoff: Hashable, Sendable {
        public var initial: Duration
        public var maximum: Duration

        public init(initial: Duration = .milliseconds(50), maximum: Duration = .seconds(2)) {
            self.initial = initial
            self.maximum = max(initial, maximum)
        }
    }

    public var socketPath: String
    /// Bounds connecting, and for `current()` and `ping()` the whole exchange.
    public var timeout: Duration
    /// The longest snapshot line accepted (the server's 64 KiB limit is for requests only).
    public var maximumLineLength: Int
    private let group: any EventLoopGroup
    private let logger: Logger

    public init(
        socketPath: String = DiscoveryServer.defaultSocketPath, timeout: Duration = .seconds(5),
        maximumLineLength: Int = 16 * 1024 * 1024, eventLoopGroup: (any EventLoopGroup)? = nil,
        logger: Logger = Logger(label: "herald.discovery.client", factory: { _ in SwiftLogNoOpLogHandler() })
    ) {
        self.socketPath = socketPath
        self.timeout = timeout
        self.maximumLineLength = maximumLineLength
        self.group = eventLoopGroup ?? MultiThreadedEventLoopGroup.singleton
        self.logger = logger
    }

    /// `HERALD_SOCKET` when set and non-empty, else `/run/herald/herald.sock`.
    public static func socketPath(environment: [String: String]) -> String {
        if let path = environment["HERALD_SOCKET"], !path.isEmpty { return path }
        return DiscoveryServer.defaultSocketPath
    }

    /// The current snapshot (one `get`).
    public func current() async throws(DiscoveryClientError) -> Snapshot {
        switch try await exchange(.get) {
        case .snapshot(let snapshot): return snapshot
        case .pong: throw .protocolViolation("a pong in answer to get")
        case .error(let error): throw .server(error)
        }
    }

    /// Checks that Herald answers (one `ping`).
    public func ping() async throws(DiscoveryClientError) {
        switch try await exchange(.ping) {
        case .pong: return
        case .snapshot: throw .protocolViolation("a snapshot in answer to ping")
        case .error(let error): throw .server(error)
        }
    }

    /// Every new snapshot, starting with the current one, for as long as the caller iterates.
    ///
    /// - Reconnects after any failure or a Herald restart, waiting per `backoff`; never finishes
    ///   on its own, so bound the wait with the caller's own timeout or cancellation.
    /// - Within one connection, yields only increasing revisions. After a reconnect, the first
    ///   snapshot is yielded even if its revision is lower, because a restarted Herald numbers from
    ///   1 again: the newest state matters more than the number. It is skipped only when it equals
    ///   the last one yielded (same server, nothing changed while away).
    /// - Keeps at most the newest unconsumed snapshot: a consumer slower than the changes skips
    ///   intermediate ones, as the server does for slow watchers.
    /// - The connection runs in a task that ends when iteration ends (the stream is dropped or the
    ///   consuming task is cancelled).
    public func updates(backoff: Backoff = Backoff()) -> AsyncStream<Snapshot> {
        let (stream, continuation) = AsyncStream.makeStream(of: Snapshot.self, bufferingPolicy: .bufferingNewest(1))
        let task = Task { await watch(backoff: backoff, into: continuation) }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    private func watch(backoff: Backoff, into continuation: AsyncStream<Snapshot>.Continuation) async {
        var last: Snapshot?
        let delays = HeraldSupport.Backoff(initial: backoff.initial, maximum: backoff.maximum)
        var failures = 0
        while !Task.isCancelled {
            do {
                try await withConnection { inbound, outbound in
                    try await outbound.write(ByteBuffer(string: DiscoveryRequest.watch.line))
                    var firstOnConnection = true
                    for try await frame in inbound {
                        guard case .line(let line) = frame else {
                            throw DiscoveryClientError.protocolViolation("line too long")
                        }
                        guard case .snapshot(let snapshot) = try DiscoveryResponse.decode(line.readableBytesView)
                        else { continue }
                        failures = 0
                        if firstOnConnection {
                            firstOnConnection = false
                            if snapshot == last { continue }
                        } else if let last, snapshot.revision <= last.revision {
                            continue
                        }
                        last = snapshot
                        continuation.yield(snapshot)
                    }
                }
                logger.debug("watch connection closed", metadata: ["socket": "\(socketPath)"])
            } catch {
                logger.debug("watch connection failed: \(error)", metadata: ["socket": "\(socketPath)"])
            }
            if Task.isCancelled { break }
            try? await Task.sleep(for: delays.next(&failures))
        }
        continuation.finish()
    }

    /// One request, one answer, within `timeout`.
    private func exchange(_ request: DiscoveryRequest) async throws(DiscoveryClientError) -> DiscoveryResponse {
        let client = self
        do {
            return try await withTimeout(
                timeout, onTimeout: DiscoveryClientError.timedOut(path: socketPath, after: timeout)
            ) {
                try await client.withConnection { inbound, outbound in
                    try await outbound.write(ByteBuffer(string: request.line))
                    for try await frame in inbound {
                        guard case .line(let line) = frame else {
                            throw DiscoveryClientError.protocolViolation("line too long")
                        }
                        return try DiscoveryResponse.decode(line.readableBytesView)
                    }
                    throw DiscoveryClientError.closed(path: client.socketPath)
                }
            }
        } catch let error as DiscoveryClientError {
            throw error
        } catch {
            // Cancelling the task ends the exchange with an error of its own (a cancellation, or
            // the channel closed under it): not the server's doing.
            if error is CancellationError || Task.isCancelled { throw .cancelled(path: socketPath) }
            throw .closed(path: socketPath)
        }
    }

    /// Connects and runs `body` with the connection, closing it afterwards.
    private func withConnection<Result: Sendable>(
        _ body: (NIOAsyncChannelInboundStream<LineFrame>, NIOAsyncChannelOutboundWriter<ByteBuffer>) async throws ->
            Result
    ) async throws -> Result {
        let maximumLineLength = self.maximumLineLength
        let channel: NIOAsyncChannel<LineFrame, ByteBuffer>
        do {
            channel = try await ClientBootstrap(group: group)
                .connectTimeout(TimeAmount(timeout))
                .connect(unixDomainSocketPath: socketPath) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            ByteToMessageHandler(LineFrameDecoder(maximumLength: maximumLineLength)))
                        return try NIOAsyncChannel<LineFrame, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw DiscoveryClientError.unreachable(path: socketPath, reason: Self.reason(error))
        }
        return try await channel.executeThenClose { inbound, outbound in try await body(inbound, outbound) }
    }

    /// `No such file or directory` rather than NIO's `connect(descriptor:addr:size:): …`.
    static func reason(_ error: any Error) -> String {
        if let error = error as? IOError { return String(cString: strerror(error.errnoCode)) }
        return "\(error)"
    }
}
