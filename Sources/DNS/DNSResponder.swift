public import Logging
import NIOConcurrencyHelpers
public import NIOCore
public import NIOPosix

#if canImport(Glibc)
    import Glibc
#endif

/// A DNS server on one address, UDP and TCP on the same port, answering every query from the
/// zone `zone()` returns at that moment (see `DNSAnswerer` for the rules). A change of the
/// zone is answered from the next query on: an answer is reused only for the same query to the
/// same zone (`AnswerCache`).
///
/// UDP queries are answered in batches by a thread of its own (`DatagramServer`), each batch
/// from the zone as it is once its queries arrived; TCP is served by SwiftNIO. Each TCP
/// connection carries any number of length-prefixed queries, is closed after
/// `Configuration.tcpIdleTimeout` without one, and at most `Configuration.maximumTCPConnections`
/// are open at once. A malformed packet gets FORMERR or nothing, and touches no other query.
///
/// `bind` opens both sockets (so a taken port is an error before anything else starts); `run`
/// serves until its task is cancelled, then closes them.
public final class DNSResponder: Sendable {
    public struct Configuration: Sendable, CustomStringConvertible {
        /// An IP literal, without brackets.
        public var host: String
        /// 0 picks a free port (for tests); UDP and TCP then share it.
        public var port: Int
        public var tcpIdleTimeout: Duration
        public var maximumTCPConnections: Int

        public init(
            host: String = "127.0.0.1", port: Int = DNSResponder.defaultPort, tcpIdleTimeout: Duration = .seconds(10),
            maximumTCPConnections: Int = 128
        ) {
            self.host = host
            self.port = port
            self.tcpIdleTimeout = tcpIdleTimeout
            self.maximumTCPConnections = maximumTCPConnections
        }

        /// `IPv4:port`, `[IPv6]:port`, or the address alone (then `DNSResponder.defaultPort`).
        public init(listen text: String) throws(DNSError) {
            if IPv4.parse(text) != nil {
                self.init(host: text)
            } else if text.hasPrefix("["), text.hasSuffix("]"), IPv4.isIPv6Literal(String(text.dropFirst().dropLast()))
            {
                self.init(host: String(text.dropFirst().dropLast()))
            } else {
                let address = try DNSServerAddress(parsing: text)
                self.init(host: address.host, port: address.port)
            }
        }

        public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    }

    /// Not Consul's 8600 (a Consul agent runs there on Mantl hosts) and not 53: `8653`.
    public static let defaultPort = 8653

    public let configuration: Configuration
    /// The port both sockets are bound to.
    public let port: Int
    private let udp: DatagramServer
    private let tcp: any Channel
    private let logger: Logger

    private init(configuration: Configuration, port: Int, udp: DatagramServer, tcp: any Channel, logger: Logger) {
        self.configuration = configuration
        self.port = port
        self.udp = udp
        self.tcp = tcp
        self.logger = logger
    }

    /// Binds UDP, then TCP on the same port. Throws `DNSError` (`.network`) naming the address
    /// and why, e.g. the port is taken.
    public static func bind(
        configuration: Configuration, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger, zone: @escaping @Sendable () -> DNSZone
    ) async throws -> DNSResponder {
        let udp: DatagramServer
        do {
            udp = try DatagramServer(host: configuration.host, port: configuration.port, zone: zone)
        } catch {
            throw failure(configuration, "UDP", error)
        }
        let port = udp.port
        let connections = NIOLockedValueBox(0)
        let limit = configuration.maximumTCPConnections
        let idle = TimeAmount(configuration.tcpIdleTimeout)
        do {
            let tcp = try await ServerBootstrap(group: group)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    let admitted = connections.withLockedValue { count in
                        guard count < limit else { return false }
                        count += 1
                        return true
                    }
                    guard admitted else { return channel.close() }
                    channel.closeFuture.whenComplete { _ in connections.withLockedValue { $0 -= 1 } }
                    return channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandlers(
                            IdleStateHandler(readTimeout: idle), ByteToMessageHandler(DNSLengthPrefixDecoder()),
                            TCPQueryHandler(zone: zone))
                    }
                }
                .bind(host: configuration.host, port: port).get()
            logger.info("DNS responder listening", metadata: ["dns.listen": "\(configuration.host):\(port)"])
            return DNSResponder(configuration: configuration, port: port, udp: udp, tcp: tcp, logger: logger)
        } catch {
            await udp.stop()
            throw failure(configuration, "TCP", error)
        }
    }

    private static func failure(_ configuration: Configuration, _ transport: String, _ error: any Error) -> DNSError {
        let reason: String
        if let error = error as? IOError {
            reason = String(cString: strerror(error.errnoCode))
        } else {
            reason = "\(error)"
        }
        return DNSError(.network, "cannot listen on \(configuration) over \(transport): \(reason)")
    }

    /// Serves until the task is cancelled; then closes both sockets and returns.
    public func run() async {
        let tcp = tcp
        await withTaskCancellationHandler {
            try? await tcp.closeFuture.get()
        } onCancel: {
            tcp.close(promise: nil)
        }
        await udp.stop()
        logger.info("DNS responder stopped", metadata: ["dns.listen": "\(configuration.host):\(port)"])
    }

    /// Closes both sockets (for a responder that was bound but will not run).
    public func close() async {
        await udp.stop()
        try? await tcp.close()
    }
}

/// Answers each length-prefixed query on a connection, in order; closes it when idle.
final class TCPQueryHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let zone: @Sendable () -> DNSZone
    private var cache = AnswerCache(capacity: 64)

    init(zone: @escaping @Sendable () -> DNSZone) {
        self.zone = zone
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let message = Self.unwrapInboundIn(data)
        let packet = Array(message.readableBytesView)
        guard let answer = cache.respond(to: packet, zone: zone(), transport: .tcp) else {
            // Not a query (a response, or shorter than a header): the stream cannot be trusted.
            context.close(promise: nil)
            return
        }
        var buffer = context.channel.allocator.buffer(capacity: answer.count + 2)
        buffer.writeInteger(UInt16(answer.count))
        buffer.writeBytes(answer)
        context.writeAndFlush(Self.wrapOutboundOut(buffer), promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
