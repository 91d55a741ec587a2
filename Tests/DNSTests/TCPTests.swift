import Foundation
import HeraldTestSupport
import NIOCore
import NIOPosix
import Testing

@testable import DNS

/// DNS over TCP (RFC 7766): several queries on one connection, an idle connection closed, the
/// number of connections bounded.
@Suite("DNS responder over TCP", .timeLimit(.minutes(1)))
struct TCPTests {
    /// A TCP connection to the responder whose inbound bytes arrive on an async stream; `closed`
    /// ends it.
    static func connect(port: Int) async throws -> NIOAsyncChannel<ByteBuffer, ByteBuffer> {
        try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(host: "127.0.0.1", port: port) {
            channel in
            channel.eventLoop.makeCompletedFuture {
                try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
            }
        }
    }

    static func framed(_ queries: [[UInt8]]) -> ByteBuffer {
        var buffer = ByteBuffer()
        for query in queries {
            buffer.writeInteger(UInt16(query.count))
            buffer.writeBytes(query)
        }
        return buffer
    }

    static func with<T: Sendable>(
        idle: Duration = .seconds(10), connections: Int = 128, _ body: @escaping @Sendable (Int) async throws -> T
    ) async throws -> T {
        try await Fixture.serving(
            .init(host: "127.0.0.1", port: 0, tcpIdleTimeout: idle, maximumTCPConnections: connections)
        ) { responder in
            try await body(responder.port)
        }
    }

    @Test("two queries in one write get two answers, in order, each with its length")
    func pipelined() async throws {
        try await Self.with { port in
            let channel = try await Self.connect(port: port)
            try await channel.executeThenClose { inbound, outbound in
                try await outbound.write(
                    Self.framed([
                        Query.make("leader.mesos.service.consul", id: 1),
                        Query.make("zookeeper.service.consul", id: 2),
                    ]))
                var received = ByteBuffer()
                var answers: [Decoded] = []
                for try await chunk in inbound {
                    received.writeImmutableBuffer(chunk)
                    while let length = received.getInteger(at: received.readerIndex, as: UInt16.self),
                        received.readableBytes >= 2 + Int(length)
                    {
                        received.moveReaderIndex(forwardBy: 2)
                        answers.append(try Decoded(Array(received.readSlice(length: Int(length))!.readableBytesView)))
                    }
                    if answers.count == 2 { break }
                }
                #expect(answers.map(\.id) == [1, 2])
                #expect(answers.first?.answers == ["leader.mesos.service.consul 0 A 10.0.0.1"])
                #expect(answers.last?.answers.count == 3)
            }
        }
    }

    @Test("a connection without a query for the idle timeout is closed by the responder")
    func idle() async throws {
        try await Self.with(idle: .milliseconds(200)) { port in
            let channel = try await Self.connect(port: port)
            let start = ContinuousClock.now
            try await within(.seconds(10), "the responder to close an idle connection") {
                try await channel.executeThenClose { inbound, _ in
                    for try await _ in inbound {}
                }
            }
            #expect(ContinuousClock.now - start >= .milliseconds(150))
        }
    }

    @Test("connections beyond the limit are closed at once; the others are served")
    func limit() async throws {
        try await Self.with(connections: 2) { port in
            let first = try await Self.connect(port: port)
            let second = try await Self.connect(port: port)
            // Both served: an answer on each proves the responder has counted them.
            for channel in [first, second] {
                try await channel.outbound.write(Self.framed([Query.make("leader.mesos.service.consul")]))
                var iterator = channel.inbound.makeAsyncIterator()
                #expect(try await iterator.next() != nil)
            }
            let third = try await Self.connect(port: port)
            try await within(.seconds(10), "the connection over the limit to be closed") {
                try await third.executeThenClose { inbound, _ in
                    for try await _ in inbound {}
                }
            }
            try await first.channel.close()
            try await second.channel.close()
        }
    }
}
