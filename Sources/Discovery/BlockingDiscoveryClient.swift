import NIOCore

#if canImport(Glibc)
    import Glibc
#endif

/// One `get` over a plain blocking socket, for one-shot commands (`herald leader`): no event
/// loop group, no threads, no tasks. A process that asks once and exits would otherwise spend
/// more on starting NIO's event loops than on the exchange itself.
///
/// It answers exactly as `DiscoveryClient.current()` does, with the same errors for the same
/// failures: `unreachable` when connecting fails (with the `strerror` reason), `closed` when the
/// connection ends or fails before a whole line, `timedOut` when connecting, sending and reading
/// together take longer than `timeout`, `protocolViolation` for a line longer than
/// `maximumLineLength` or one that is not a snapshot, `server` for an error line.
///
/// Creating one costs nothing (unlike `DiscoveryClient`, which takes NIO's singleton group).
public struct BlockingDiscoveryClient: Sendable {
    public var socketPath: String
    /// Bounds connecting, sending and reading together.
    public var timeout: Duration
    /// The longest snapshot line accepted (as `DiscoveryClient`).
    public var maximumLineLength: Int

    public init(
        socketPath: String = DiscoveryServer.defaultSocketPath, timeout: Duration = .seconds(5),
        maximumLineLength: Int = 16 * 1024 * 1024
    ) {
        self.socketPath = socketPath
        self.timeout = timeout
        self.maximumLineLength = maximumLineLength
    }

    /// The current snapshot (one `get`).
    public func current() throws(DiscoveryClientError) -> Snapshot {
        let line = try exchange(DiscoveryRequest.get.line)
        switch try DiscoveryResponse.decode(line) {
        case .snapshot(let snapshot): return snapshot
        case .pong: throw .protocolViolation("a pong in answer to get")
        case .error(let error): throw .server(error)
        }
    }

    /// Connects, sends `request` and returns the first line of the answer (without `\n` and a
    /// trailing `\r`).
    private func exchange(_ request: String) throws(DiscoveryClientError) -> [UInt8] {
        let deadline = ContinuousClock.now + timeout
        let address: SocketAddress
        do {
            address = try SocketAddress(unixDomainSocketPath: socketPath)
        } catch {
            throw .unreachable(path: socketPath, reason: DiscoveryClient.reason(error))
        }
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else {
            throw .unreachable(path: socketPath, reason: String(cString: strerror(errno)))
        }
        defer { close(descriptor) }

        // A Unix-domain connect only waits when the listener's backlog is full; SO_SNDTIMEO bounds that.
        try arm(descriptor, SO_SNDTIMEO, until: deadline)
        var connected: Int32 = -1
        repeat {
            connected = address.withSockAddr { connect(descriptor, $0, socklen_t($1)) }
        } while connected != 0 && errno == EINTR
        if connected != 0 {
            if errno == EAGAIN || errno == EINPROGRESS { throw timedOut }
            throw .unreachable(path: socketPath, reason: String(cString: strerror(errno)))
        }

        var bytes = Array(request.utf8)
        var sent = 0
        while sent < bytes.count {
            try arm(descriptor, SO_SNDTIMEO, until: deadline)
            let count = bytes.withUnsafeMutableBytes {
                send(descriptor, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL))
            }
            if count > 0 {
                sent += count
            } else if count < 0, errno == EINTR {
                continue
            } else if count < 0, errno == EAGAIN {
                throw timedOut
            } else {
                throw .closed(path: socketPath)
            }
        }

        bytes = []
        var searched = 0
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            if let newline = bytes[searched...].firstIndex(of: UInt8(ascii: "\n")) {
                guard newline <= maximumLineLength else { throw .protocolViolation("line too long") }
                var end = newline
                if end > 0, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
                return Array(bytes[..<end])
            }
            searched = bytes.count
            guard bytes.count <= maximumLineLength else { throw .protocolViolation("line too long") }
            try arm(descriptor, SO_RCVTIMEO, until: deadline)
            let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                bytes.append(contentsOf: chunk[..<count])
            } else if count < 0, errno == EINTR {
                continue
            } else if count < 0, errno == EAGAIN {
                throw timedOut
            } else {
                throw .closed(path: socketPath)
            }
        }
    }

    private var timedOut: DiscoveryClientError { .timedOut(path: socketPath, after: timeout) }

    /// Sets the send or receive timeout to what is left until `deadline`; throws `timedOut` when
    /// nothing is left.
    private func arm(_ descriptor: Int32, _ option: Int32, until deadline: ContinuousClock.Instant)
        throws(DiscoveryClientError)
    {
        let left = ContinuousClock.now.duration(to: deadline)
        guard left > .zero else { throw timedOut }
        let (seconds, attoseconds) = left.components
        // A zero timeval means "wait forever": never round a positive remainder down to it.
        let micros = Int(attoseconds / 1_000_000_000_000)
        var value = timeval(tv_sec: Int(seconds), tv_usec: seconds == 0 ? max(1, micros) : micros)
        _ = setsockopt(descriptor, SOL_SOCKET, option, &value, socklen_t(MemoryLayout<timeval>.size))
    }
}
