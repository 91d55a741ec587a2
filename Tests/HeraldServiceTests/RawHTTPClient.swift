import Foundation
import NIOCore
import NIOPosix

/// A bare TCP client for talking to `MetricsServer` byte by byte, so that tests can send what a
/// real HTTP client never would (garbage, pipelined requests, nothing at all).
enum RawHTTPClient {
    /// Sends `request` to `127.0.0.1:port` and returns everything received until the server
    /// closes the connection.
    static func exchange(port: Int, _ request: String) async throws -> String {
        try await exchange(port: port, Array(request.utf8))
    }

    static func exchange(port: Int, _ request: [UInt8]) async throws -> String {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            if !request.isEmpty { try await outbound.write(ByteBuffer(bytes: request)) }
            var received = ByteBuffer()
            for try await chunk in inbound { received.writeImmutableBuffer(chunk) }
            return String(buffer: received)
        }
    }

    /// Connects, sends `request` and closes without reading: a client that gives up mid-request.
    static func abandon(port: Int, _ request: String) async throws {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        try await channel.executeThenClose { _, outbound in
            try await outbound.write(ByteBuffer(string: request))
        }
    }

    /// `GET path` with `Connection: close`, so the response ends with the connection.
    static func get(port: Int, _ path: String, method: String = "GET") async throws -> Response {
        let raw = try await exchange(
            port: port, "\(method) \(path) HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        return try Response(raw)
    }

    struct Response {
        var status: Int
        var headers: [String: String]
        var body: String

        struct Malformed: Error {
            var text: String
        }

        /// Parses one response (the first, when several were received).
        init(_ raw: String) throws {
            guard let split = raw.range(of: "\r\n\r\n") else { throw Malformed(text: raw) }
            let lines = raw[..<split.lowerBound].components(separatedBy: "\r\n")
            let statusParts = lines[0].split(separator: " ")
            guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw Malformed(text: raw) }
            self.status = status
            var headers: [String: String] = [:]
            for line in lines.dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                headers[line[..<colon].lowercased()] = value
            }
            self.headers = headers
            let rest = raw[split.upperBound...]
            let length = Int(headers["content-length"] ?? "") ?? rest.utf8.count
            body = String(decoding: rest.utf8.prefix(length), as: UTF8.self)
        }
    }
}
