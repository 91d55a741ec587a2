import Foundation
import NIOConcurrencyHelpers

#if canImport(Glibc)
    import Glibc
#endif

/// A TCP proxy in front of one ZooKeeper server that can lose one reply on purpose: armed with
/// `loseNextReply(toOpcodes:)`, it forwards the next client request with one of those opcodes,
/// waits until the server's reply to it arrives (so the server has applied the request), drops
/// that reply and cuts the connection. The client sees a lost connection for a request the
/// server carried out, the case an idempotent create must handle. Everything else is relayed
/// byte for byte, and the client may reconnect through the proxy at once.
///
/// ZooKeeper's wire format is a stream of frames, each a 4-byte big-endian length and a body.
/// A connection's first client frame is the session handshake; every later one starts with the
/// request's xid and opcode, and every reply after the handshake starts with the xid it answers.
public final class ZooKeeperProxy: Sendable {
    /// ZooKeeper opcodes of the requests that create a node (create, create2, createContainer, createTTL).
    public static let createOpcodes: Set<Int32> = [1, 15, 19, 21]

    /// The `host:port` clients connect to.
    public let address: String

    private struct State {
        var armed: Set<Int32>?
        var lostPaths: [String] = []
        var closed = false
        var descriptors: Set<Int32> = []
    }

    private let listener: Int32
    private let target: (host: String, port: UInt16)
    private let state = NIOLockedValueBox(State())

    /// Listens on 127.0.0.1 (a free port) and relays to `server` (`host:port`).
    public init(server: String) throws {
        let parts = server.split(separator: ":")
        guard parts.count == 2, let port = UInt16(parts[1]) else { throw SetupError("not host:port: \(server)") }
        target = (String(parts[0]), port)
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw SetupError("proxy socket: errno \(errno)") }
        var address = Self.socketAddress("127.0.0.1", 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(descriptor, 16) == 0 else {
            Glibc.close(descriptor)
            throw SetupError("proxy bind/listen: errno \(errno)")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        listener = descriptor
        self.address = "127.0.0.1:\(UInt16(bigEndian: address.sin_port))"
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    /// Arms the proxy: the reply to the next request with one of `opcodes` is lost.
    public func loseNextReply(toOpcodes opcodes: Set<Int32>) {
        state.withLockedValue { $0.armed = opcodes }
    }

    /// The paths of the requests whose replies were lost, in order (one per cut connection).
    public var lostPaths: [String] { state.withLockedValue { $0.lostPaths } }

    /// Stops accepting and cuts every relayed connection.
    public func close() {
        let descriptors = state.withLockedValue { state in
            state.closed = true
            return state.descriptors
        }
        for descriptor in descriptors { shutdown(descriptor, Int32(SHUT_RDWR)) }
        shutdown(listener, Int32(SHUT_RDWR))
        Glibc.close(listener)
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            guard client >= 0 else {
                if errno == EINTR { continue }
                return
            }
            let server = connectToTarget()
            let registered = state.withLockedValue { state -> Bool in
                guard !state.closed, server >= 0 else { return false }
                state.descriptors.formUnion([client, server])
                return true
            }
            guard registered else {
                Glibc.close(client)
                if server >= 0 { Glibc.close(server) }
                continue
            }
            let connection = Connection(client: client, server: server)
            Thread { [self] in relayRequests(connection) }.start()
            Thread { [self] in relayReplies(connection) }.start()
        }
    }

    /// One relayed connection; `lostXid` is the xid whose reply is to be dropped.
    private final class Connection: Sendable {
        let client: Int32
        let server: Int32
        let lostXid = NIOLockedValueBox<Int32?>(nil)
        let finished = NIOLockedValueBox(0)

        init(client: Int32, server: Int32) {
            self.client = client
            self.server = server
        }

        func cut() {
            shutdown(client, Int32(SHUT_RDWR))
            shutdown(server, Int32(SHUT_RDWR))
        }
    }

    private func relayRequests(_ connection: Connection) {
        var first = true
        while let frame = Self.readFrame(connection.client) {
            if !first, frame.count >= 12 {
                let xid = Self.int32(frame, at: 4)
                let opcode = Self.int32(frame, at: 8)
                let lose = state.withLockedValue { state -> Bool in
                    guard let armed = state.armed, armed.contains(opcode) else { return false }
                    state.armed = nil
                    state.lostPaths.append(Self.path(frame))
                    return true
                }
                if lose { connection.lostXid.withLockedValue { $0 = xid } }
            }
            first = false
            guard Self.writeAll(connection.server, frame) else { break }
        }
        finish(connection)
    }

    private func relayReplies(_ connection: Connection) {
        var first = true
        while let frame = Self.readFrame(connection.server) {
            if !first, frame.count >= 8, let lost = connection.lostXid.withLockedValue({ $0 }),
                Self.int32(frame, at: 4) == lost
            {
                connection.cut()
                break
            }
            first = false
            guard Self.writeAll(connection.client, frame) else { break }
        }
        finish(connection)
    }

    /// Called by each relay thread as it ends; the second closes both descriptors.
    private func finish(_ connection: Connection) {
        connection.cut()
        let last = connection.finished.withLockedValue { count -> Bool in
            count += 1
            return count == 2
        }
        guard last else { return }
        state.withLockedValue { $0.descriptors.subtract([connection.client, connection.server]) }
        Glibc.close(connection.client)
        Glibc.close(connection.server)
    }

    private func connectToTarget() -> Int32 {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return -1 }
        var address = Self.socketAddress(target.host, target.port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            Glibc.close(descriptor)
            return -1
        }
        return descriptor
    }

    private static func socketAddress(_ host: String, _ port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        inet_pton(AF_INET, host, &address.sin_addr)
        return address
    }

    /// One whole frame including its length prefix, or nil at EOF or error.
    private static func readFrame(_ descriptor: Int32) -> [UInt8]? {
        guard let header = readExactly(descriptor, 4) else { return nil }
        let length = Int(UInt32(bigEndian: header.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }))
        guard length <= 64 << 20, let body = readExactly(descriptor, length) else { return nil }
        return header + body
    }

    private static func readExactly(_ descriptor: Int32, _ count: Int) -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let got = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress! + done, count - done) }
            if got < 0, errno == EINTR { continue }
            guard got > 0 else { return nil }
            done += got
        }
        return buffer
    }

    private static func writeAll(_ descriptor: Int32, _ bytes: [UInt8]) -> Bool {
        var done = 0
        while done < bytes.count {
            let wrote = bytes.withUnsafeBytes {
                send(descriptor, $0.baseAddress! + done, bytes.count - done, Int32(MSG_NOSIGNAL))
            }
            if wrote < 0, errno == EINTR { continue }
            guard wrote > 0 else { return false }
            done += wrote
        }
        return true
    }

    /// The path of a request frame (every request with a path starts its body with it, after the
    /// xid and opcode, as a 4-byte length and the UTF-8 bytes).
    private static func path(_ frame: [UInt8]) -> String {
        guard frame.count >= 16 else { return "" }
        let length = Int(int32(frame, at: 12))
        guard length >= 0, 16 + length <= frame.count else { return "" }
        return String(decoding: frame[16..<16 + length], as: UTF8.self)
    }

    /// The big-endian Int32 at `offset` of a frame (offset 0 is the length prefix).
    private static func int32(_ frame: [UInt8], at offset: Int) -> Int32 {
        Int32(
            bitPattern: UInt32(frame[offset]) << 24 | UInt32(frame[offset + 1]) << 16
                | UInt32(frame[offset + 2]) << 8 | UInt32(frame[offset + 3]))
    }
}
