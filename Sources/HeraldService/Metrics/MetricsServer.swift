import HeraldSupport
public import Logging
import NIOConcurrencyHelpers
public import NIOCore
import NIOHTTP1
public import NIOPosix
public import Prometheus
public import ServiceLifecycle

/// Serves the Prometheus text exposition of a registry at `GET /metrics`
/// (`herald_metrics_listen`, `127.0.0.1:9150` by default), and, given a `HealthCheck`, the
/// load balancers' checks `GET /health` and `GET /leader` (200 or 503 with a one-line reason).
///
/// Deliberately small: three paths, HTTP/1.1 with keep-alive, no TLS and no authentication, which is
/// why it binds to loopback unless told otherwise. each answers `GET` and `HEAD`; another
/// method is 405, another path 404. A connection that sends nothing for `idleTimeout` is closed
/// (a scraper reconnects; a forgotten one does not hold a descriptor forever), and a client that
/// sends garbage gets NIO's 400 and loses only its own connection.
///
/// Graceful shutdown closes the listener and the open connections. A failure to bind is thrown as
/// a `MetricsServerError` naming the address, so the service group stops with one clear line.
public final class MetricsServer: Service, Sendable {
    public struct Configuration: Sendable {
        /// An IP address or a host name to bind to.
        public var host: String
        /// 0 binds to any free port (see `listeningPort()`).
        public var port: Int
        /// How long a connection may stay without a request before it is closed.
        public var idleTimeout: Duration

        public init(host: String = "127.0.0.1", port: Int = 9150, idleTimeout: Duration = .seconds(60)) {
            self.host = host
            self.port = port
            self.idleTimeout = idleTimeout
        }

        /// From `herald_metrics_listen`'s `host:port`, or `[v6-address]:port`. The key's empty
        /// value means no metrics endpoint: the caller does not create a server then.
        public init(listen: String, idleTimeout: Duration = .seconds(60)) throws(MetricsServerError) {
            guard let parts = try? HostPort.split(listen), let port = parts.port(in: 0...65535) else {
                throw MetricsServerError(address: listen, reason: "not a host:port address")
            }
            guard !parts.host.isEmpty else { throw MetricsServerError(address: listen, reason: "no host") }
            self.init(host: parts.host, port: port, idleTimeout: idleTimeout)
        }

        var address: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    }

    typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>

    public let configuration: Configuration
    let registry: PrometheusCollectorRegistry
    /// Answers `/health` and `/leader`; without it those paths are 404.
    let health: HealthCheck?
    let logger: Logger
    private let eventLoopGroup: any EventLoopGroup
    private let listener = NIOLockedValueBox(MetricsListener())

    public init(
        configuration: Configuration, registry: PrometheusCollectorRegistry, health: HealthCheck? = nil,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, logger: Logger
    ) {
        self.configuration = configuration
        self.registry = registry
        self.health = health
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
    }

    /// The bound port, once `run()` listens (waits until then). Throws the bind failure, or
    /// `MetricsServerError` when the server stopped or stops before listening.
    public func listeningPort() async throws -> Int {
        try await withCheckedThrowingContinuation { continuation in
            switch listener.withLockedValue({ $0.waitForPort(continuation) }) {
            case .resume(let continuation, let result): continuation.resume(with: result)
            case .suspended: break
            }
        }
    }

    public func run() async throws {
        let server: NIOAsyncChannel<Connection, Never>
        do {
            server = try await bind()
        } catch {
            let failure = MetricsServerError(address: configuration.address, reason: "\(error)")
            for waiter in listener.withLockedValue({ $0.failed(failure) }) { waiter.resume(throwing: failure) }
            throw failure
        }
        let port = server.channel.localAddress?.port ?? configuration.port
        let (waiters, closeNow) = listener.withLockedValue { $0.listening(port: port, channel: server.channel) }
        for waiter in waiters { waiter.resume(returning: port) }
        if closeNow { server.channel.close(promise: nil) }
        logger.info("serving metrics", metadata: ["address": "\(configuration.host):\(port)", "path": "/metrics"])

        defer {
            let stopped = MetricsServerError(address: configuration.address, reason: "the server has stopped")
            for waiter in listener.withLockedValue({ $0.stopped() }) { waiter.resume(throwing: stopped) }
        }
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                try await server.executeThenClose { connections in
                    for try await connection in connections {
                        group.addTask { await self.serve(connection) }
                    }
                }
                // The listener is closed: end the open connections too (their reads are cancelled).
                group.cancelAll()
            }
        } onGracefulShutdown: {
            self.shutdown()
        }
        logger.info("metrics server stopped", metadata: ["address": "\(configuration.host):\(port)"])
    }

    /// What graceful shutdown does: close the listener, which ends `run()`.
    func shutdown() {
        listener.withLockedValue { $0.shutdown() }?.close(promise: nil)
    }

    private func bind() async throws -> NIOAsyncChannel<Connection, Never> {
        let idleTimeout = TimeAmount.nanoseconds(
            configuration.idleTimeout.components.seconds * 1_000_000_000
                + configuration.idleTimeout.components.attoseconds / 1_000_000_000)
        return try await ServerBootstrap(group: eventLoopGroup)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 64)
            .bind(host: configuration.host, port: configuration.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.addHandler(IdleStateHandler(readTimeout: idleTimeout))
                    try pipeline.addHandler(IdleConnectionCloser())
                    try pipeline.configureHTTPServerPipeline(withErrorHandling: true)
                    return try Connection(wrappingChannelSynchronously: channel)
                }
            }
    }
}

/// Why the metrics server cannot serve: one line naming the address.
public struct MetricsServerError: Error, CustomStringConvertible, Sendable {
    public var address: String
    public var reason: String

    public var description: String { "cannot serve metrics on \(address): \(reason)" }
}

/// Closes a connection when `IdleStateHandler` reports that nothing was read for a while.
private final class IdleConnectionCloser: ChannelInboundHandler, Sendable {
    typealias InboundIn = NIOAny

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }
}
