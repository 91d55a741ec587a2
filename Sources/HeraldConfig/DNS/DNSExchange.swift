import NIOConcurrencyHelpers

#if canImport(Glibc)
    import Glibc
#endif

/// One A query to one server, over UDP with a retry, and over TCP when the UDP reply is
/// truncated. Blocking: it runs on a Dispatch thread, never on the cooperative pool, and a
/// `CancelSignal` wakes its `poll` when the waiting task is cancelled.
struct DNSExchange {
    let server: DNSServerAddress
    let name: String
    let timeout: Duration
    let attempts: Int
    let cancel: CancelSignal

    /// Why one attempt ended without a reply; the next attempt may do better.
    private enum Transient: Error {
        case timedOut
        case connectionRefused
    }

    private var query: String { "A \(name)" }

    /// The sorted A records of `name`; throws `DNSError` or `CancellationError`.
    func run() throws -> [String] {
        var failure = DNSError(.timeout, "")
        for _ in 0..<max(attempts, 1) {
            do {
                var reply = try udp()
                if reply.truncated { reply = try tcp() }
                return try addresses(from: reply)
            } catch Transient.timedOut {
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

    // MARK: UDP

    private func udp() throws -> DNSMessage.Reply {
        let (id, query) = try makeQuery()
        let fd = try openSocket(SOCK_DGRAM)
        defer { close(fd) }
        try connectSocket(fd)
        let deadline = ContinuousClock.now + timeout
        let sent = query.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        if sent < 0 {
            if errno == ECONNREFUSED { throw Transient.connectionRefused }
            throw systemError("send")
        }
        var buffer = [UInt8](repeating: 0, count: 65535)
        while true {
            try wait(fd, for: POLLIN, until: deadline)
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                if errno == ECONNREFUSED { throw Transient.connectionRefused }
                throw systemError("recv")
            }
            let bytes = Array(buffer[..<count])
            // A datagram with another id is not ours (late, or spoofed): keep waiting.
            guard DNSMessage.id(of: bytes) == id else { continue }
            let reply = try parse(bytes)
            guard reply.answersQuestion else { continue }
            return reply
        }
    }

    // MARK: TCP (after a truncated UDP reply)

    private func tcp() throws -> DNSMessage.Reply {
        let (id, query) = try makeQuery()
        let fd = try openSocket(SOCK_STREAM)
        defer { close(fd) }
        let deadline = ContinuousClock.now + timeout
        try connectSocket(fd)
        try wait(fd, for: POLLOUT, until: deadline)
        var socketError: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &socketError, &length)
        if socketError == ECONNREFUSED { throw Transient.connectionRefused }
        if socketError != 0 { throw systemError("connect over TCP", code: socketError) }

        let framed = [UInt8(query.count >> 8), UInt8(query.count & 0xff)] + query
        var written = 0
        while written < framed.count {
            try wait(fd, for: POLLOUT, until: deadline)
            let count = framed[written...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if count < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw systemError("send over TCP")
            }
            written += count
        }
        let header = try read(fd, count: 2, until: deadline)
        let bytes = try read(fd, count: Int(header[0]) << 8 | Int(header[1]), until: deadline)
        guard let replyID = DNSMessage.id(of: bytes), replyID == id else {
            throw DNSError(.malformedReply, "malformed DNS reply from \(server) to \(self.query): wrong id over TCP")
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

    private func read(_ fd: Int32, count: Int, until deadline: ContinuousClock.Instant) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            try wait(fd, for: POLLIN, until: deadline)
            let received = bytes[filled...].withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if received < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw systemError("recv over TCP")
            }
            if received == 0 {
                throw DNSError(
                    .malformedReply,
                    "malformed DNS reply from \(server) to \(query): the TCP connection closed after \(filled) of \(count) bytes"
                )
            }
            filled += received
        }
        return bytes
    }

    // MARK: Sockets

    private func openSocket(_ type: __socket_type) throws -> Int32 {
        let family = server.isIPv6 ? AF_INET6 : AF_INET
        let fd = socket(family, Int32(type.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw systemError("socket") }
        return fd
    }

    /// `connect`; a UDP socket is connected too, so that an ICMP "port unreachable" comes back
    /// as ECONNREFUSED instead of a silent timeout.
    private func connectSocket(_ fd: Int32) throws {
        let rc = withSocketAddress { connect(fd, $0, $1) }
        if rc == 0 || errno == EINPROGRESS { return }
        if errno == ECONNREFUSED { throw Transient.connectionRefused }
        throw systemError("connect")
    }

    private func withSocketAddress<T>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
        if server.isIPv6 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = UInt16(server.port).bigEndian
            _ = inet_pton(AF_INET6, server.host, &address.sin6_addr)
            return withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    body($0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(server.port).bigEndian
        address.sin_addr.s_addr = (IPv4.parse(server.host) ?? 0).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                body($0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
    }

    /// Waits until `fd` is ready for `events`; throws `Transient.timedOut` at the deadline and
    /// `CancellationError` when the task is cancelled.
    private func wait(_ fd: Int32, for events: Int32, until deadline: ContinuousClock.Instant) throws {
        while true {
            let remaining = deadline - .now
            guard remaining > .zero else { throw Transient.timedOut }
            var fds = [
                pollfd(fd: fd, events: Int16(events), revents: 0),
                pollfd(fd: cancel.readFD, events: Int16(POLLIN), revents: 0),
            ]
            let milliseconds = Int32(clamping: Self.milliseconds(remaining) + 1)
            let rc = poll(&fds, nfds_t(fds.count), milliseconds)
            if rc < 0 {
                if errno == EINTR { continue }
                throw systemError("poll")
            }
            if fds[1].revents != 0 { throw CancellationError() }
            if fds[0].revents != 0 { return }
        }
    }

    private func systemError(_ call: String, code: Int32 = errno) -> DNSError {
        DNSError(.network, "cannot query \(server) for \(query): \(call): \(String(cString: strerror(code)))")
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

/// A pipe whose read end becomes readable when the task waiting for an exchange is cancelled;
/// the exchange polls it next to its socket. The lock keeps a late cancellation from writing
/// to descriptors that were closed (and perhaps reused) after the exchange ended.
final class CancelSignal: Sendable {
    let readFD: Int32
    private let writeFD: Int32
    private let isOpen = NIOLockedValueBox(true)

    init() throws(DNSError) {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else {
            throw DNSError(.network, "cannot create a pipe: \(String(cString: strerror(errno)))")
        }
        for fd in fds {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, O_NONBLOCK)
        }
        readFD = fds[0]
        writeFD = fds[1]
    }

    func fire() {
        isOpen.withLockedValue { open in
            guard open else { return }
            var byte: UInt8 = 1
            _ = write(writeFD, &byte, 1)
        }
    }

    func close() {
        isOpen.withLockedValue { open in
            guard open else { return }
            open = false
            _ = Glibc.close(readFD)
            _ = Glibc.close(writeFD)
        }
    }
}
