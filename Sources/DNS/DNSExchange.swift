import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

#if canImport(Glibc)
    import Glibc
#endif

/// One A query to one server: over UDP with a retry, and over TCP when the UDP reply is
/// truncated. Runs on a SwiftNIO event loop of its own (`NIOAsyncChannel`), so a waiting query
/// holds no thread, and cancelling the task closes the channel.
struct DNSExchange {
    let server: DNSServerAddress
    let name: String
    let timeout: Duration
    let attempts: Int
    var group: any EventLoopGroup = Self.group

    /// The client's own event loop, one thread for every look-up of the process: a busy socket
    /// server on NIO's shared loops (thousands of local clients) never delays finding the
    /// ZooKeeper servers, and a look-up never waits behind them.
    static let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    /// Why one attempt ended without a reply; the next attempt may do better.
    private enum Transient: Error {
        case timedOut
        case connectionRefused
    }

    private var query: String { "A \(name)" }

    /// The sorted A records of `name`; throws `DNSError` or `CancellationError`.
    func run() async throws -> [String] {
        var failure = DNSError(.timeout, "")
        for _ in 0..<max(attempts, 1) {
            try Task.checkCancellation()
            do {
                var reply = try await udp()
                if reply.truncated { reply = try await tcp() }
                return try addresses(from: reply)
            } catch Transient.timedOut {
                try Task.checkCancellation()
                let tries = attempts > 1 ? "\(attempts) attempts" : "1 attempt"
                failure = DNSError(
                    .timeout, "DNS query \(query) to \(server) timed out (\(tries) of \(Self.format(timeout)))")
            } catch Transient.connectionRefused {
                failure = DNSError(
                    .refused, "\(server) refused the query \(query) (connection refused: nothing listening?)")
            }
        }
        throw failure
    }

    /// The answer's addresses, or the error its response code stands for.
    private func addresses(from reply: DNSMessage.Reply) throws(DNSError) -> [String] {
        switch reply.rcode {
        case 0:
            guard reply.addresses.isEmpty else { return reply.addresses }
            let why = reply.canonicalName.map { "an alias of \($0), whose A records the reply lacks" } ?? "NODATA"
            throw DNSError(.noRecords, "no A records for \(name) at \(server) (\(why))")
        case 3: throw DNSError(.noRecords, "no A records for \(name) at \(server) (NXDOMAIN)")
        case 5: throw DNSError(.refused, "\(server) refused the query \(query) (REFUSED)")
        case 1: throw DNSError(.serverFailure, "\(server) could not read the query \(query) (FORMERR)")
        case 2: throw DNSError(.serverFailure, "\(server) failed to answer \(query) (SERVFAIL)")
        case 4: throw DNSError(.serverFailure, "\(server) does not implement the query \(query) (NOTIMP)")
        default: throw DNSError(.serverFailure, "\(server) answered \(query) with RCODE \(reply.rcode)")
        }
    }

    private func makeQuery() throws -> (id: UInt16, bytes: [UInt8]) {
        let id = UInt16.random(in: .min ... .max)
        do {
            return (id, try DNSMessage.query(id: id, name: name))
        } catch {
            throw DNSError(.invalidName, "'\(name)' is not a DNS name that can be queried: \(error.reason)")
        }
    }

    private func parse(_ bytes: [UInt8]) throws -> DNSMessage.Reply {
        do {
            return try DNSMessage.parse(bytes, name: name)
        } catch {
            throw DNSError(.malformedReply, "malformed DNS reply from \(server) to \(query): \(error.reason)")
        }
    }

    private var address: SocketAddress {
        get throws {
            do {
                return try SocketAddress(ipAddress: server.host, port: server.port)
            } catch {
                throw DNSError(.invalidAddress, "invalid DNS server '\(server)': \(error)")
            }
        }
    }

    // MARK: UDP

    /// A connected UDP channel: an ICMP "port unreachable" then comes back as ECONNREFUSED
    /// instead of a silent timeout, and datagrams from other addresses never reach it.
    private func udp() async throws -> DNSMessage.Reply {
        let (id, query) = try makeQuery()
        let channel = try await network("connect over UDP") {
            try await DatagramBootstrap(group: group).connect(to: try address) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, ByteBuffer>(
                        wrappingChannelSynchronously: channel)
                }
            }
        }
        return try await network("receive") {
            try await withDeadline(closing: channel.channel) {
                try await udpExchange(channel, id: id, query: query)
            }
        }
    }

    private func udpExchange(
        _ channel: NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, ByteBuffer>, id: UInt16, query: [UInt8]
    ) async throws -> DNSMessage.Reply {
        try await channel.executeThenClose { inbound, outbound in
            try await network("send") { try await outbound.write(ByteBuffer(bytes: query)) }
            for try await envelope in inbound {
                let bytes = Array(envelope.data.readableBytesView)
                // A datagram with another id is not ours (late, or spoofed): keep waiting.
                guard DNSMessage.id(of: bytes) == id else { continue }
                let reply = try parse(bytes)
                guard reply.answersQuestion else { continue }
                return reply
            }
            throw Transient.timedOut
        }
    }

    // MARK: TCP (after a truncated UDP reply)

    private func tcp() async throws -> DNSMessage.Reply {
        let (id, query) = try makeQuery()
        let channel = try await network("connect over TCP") {
            try await ClientBootstrap(group: group).connectTimeout(TimeAmount(timeout)).connect(to: try address) {
                channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(DNSLengthPrefixDecoder()))
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        }
        return try await withDeadline(closing: channel.channel) {
            try await channel.executeThenClose { inbound, outbound in
                var framed = ByteBuffer()
                framed.writeInteger(UInt16(query.count))
                framed.writeBytes(query)
                try await network("send over TCP") { try await outbound.write(framed) }
                for try await message in inbound {
                    let bytes = Array(message.readableBytesView)
                    guard DNSMessage.id(of: bytes) == id else {
                        throw DNSError(
                            .malformedReply, "malformed DNS reply from \(server) to \(self.query): wrong id over TCP")
                    }
                    let reply = try parse(bytes)
                    guard reply.answersQuestion, !reply.truncated else {
                        throw DNSError(
                            .malformedReply,
                            "malformed DNS reply from \(server) to \(self.query): "
                                + (reply.truncated ? "truncated over TCP" : "it answers another question"))
                    }
                    return reply
                }
                throw DNSError(
                    .malformedReply,
                    "malformed DNS reply from \(server) to \(self.query): the TCP connection closed before a whole reply"
                )
            }
        }
    }

    // MARK: Helpers

    /// Runs `body` for at most `timeout`; then closes `channel` (which ends any read) and throws
    /// `Transient.timedOut`. Cancelling the task closes the channel too.
    ///
    /// The timer runs on the channel's event loop, not as a sleeping task: a look-up then needs
    /// the cooperative pool only to resume, so it keeps its time when the pool is busy.
    private func withDeadline<T>(closing channel: any Channel, _ body: () async throws -> T) async throws -> T {
        let expired = NIOLockedValueBox(false)
        let timer = channel.eventLoop.scheduleTask(in: TimeAmount(timeout)) {
            expired.withLockedValue { $0 = true }
            channel.close(promise: nil)
        }
        defer {
            timer.cancel()
            channel.close(promise: nil)
        }
        do {
            return try await withTaskCancellationHandler {
                try await body()
            } onCancel: {
                channel.close(promise: nil)
            }
        } catch {
            try Task.checkCancellation()
            if expired.withLockedValue({ $0 }) { throw Transient.timedOut }
            throw error
        }
    }

    /// Maps NIO's socket errors to the exchange's: refused is transient, the rest a `DNSError`.
    private func network<T>(_ call: String, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as IOError where error.errnoCode == ECONNREFUSED {
            throw Transient.connectionRefused
        } catch let error as IOError {
            throw DNSError(
                .network, "cannot query \(server) for \(query): \(call): \(String(cString: strerror(error.errnoCode)))")
        } catch ChannelError.connectTimeout {
            throw Transient.timedOut
        } catch let error as ChannelError {
            throw DNSError(.network, "cannot query \(server) for \(query): \(call): \(error)")
        }
    }

    static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }

    /// `2s`, `200ms`: short enough for a one-line error.
    static func format(_ duration: Duration) -> String {
        let milliseconds = milliseconds(duration)
        return milliseconds % 1000 == 0 ? "\(milliseconds / 1000)s" : "\(milliseconds)ms"
    }
}
