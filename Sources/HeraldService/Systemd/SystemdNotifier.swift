public import Logging
import NIOConcurrencyHelpers

#if canImport(Glibc)
    import Glibc
#endif

/// Tells systemd how `herald serve` is doing (`Type=notify`): one `sendto` of a datagram on the
/// `AF_UNIX` socket that `$NOTIFY_SOCKET` names, per sd_notify(3).
///
/// Spoken directly rather than through libsystemd: the protocol is a datagram of `KEY=VALUE`
/// lines, so a few lines of `sendto` spare every host (and every container without systemd) a
/// runtime library.
///
/// Without `$NOTIFY_SOCKET` (not started by systemd, or a unit without `Type=notify` or
/// `NotifyAccess=`), `init(environment:logger:)` returns nil and nothing is sent.
public final class SystemdNotifier: Sendable {
    /// `$NOTIFY_SOCKET`: a path, or an abstract name when it starts with `@`.
    public let socketPath: String
    /// Half of what `$WATCHDOG_USEC` allows, when the watchdog is on for this process.
    public let watchdogInterval: Duration?
    private let logger: Logger
    private let stopped = NIOLockedValueBox(false)

    public init?(environment: [String: String], logger: Logger) {
        guard let path = environment["NOTIFY_SOCKET"], path.count > 1, path.hasPrefix("/") || path.hasPrefix("@")
        else { return nil }
        socketPath = path
        self.logger = logger
        // `$WATCHDOG_PID`, when set, names the process the watchdog is for (sd_watchdog_enabled(3)).
        let forUs = environment["WATCHDOG_PID"].map { Int32($0) == getpid() } ?? true
        if forUs, let text = environment["WATCHDOG_USEC"], let usec = Int64(text), usec > 0 {
            watchdogInterval = .microseconds(usec / 2)
        } else {
            watchdogInterval = nil
        }
    }

    /// Whether `STOPPING=1` was sent: nothing but the final status follows it.
    public var isStopping: Bool { stopped.withLockedValue { $0 } }

    /// `STOPPING=1` (once), at the start of a shutdown.
    public func stopping() {
        let first = stopped.withLockedValue { stopped in
            defer { stopped = true }
            return !stopped
        }
        if first { send("STOPPING=1") }
    }

    /// Sends one datagram of `KEY=VALUE` lines. A failure is logged, never thrown: systemd gone
    /// (a `systemctl daemon-reexec` in progress, say) is no reason to stop serving.
    @discardableResult
    public func send(_ message: String) -> Bool {
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else {
            logger.warning("cannot notify systemd: socket: \(String(cString: strerror(errno)))")
            return false
        }
        defer { close(descriptor) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var name = Array(socketPath.utf8)
        if name.first == UInt8(ascii: "@") { name[0] = 0 }  // the abstract namespace
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard name.count < capacity else {
            logger.warning("cannot notify systemd: NOTIFY_SOCKET is too long", metadata: ["socket": "\(socketPath)"])
            return false
        }
        withUnsafeMutableBytes(of: &address.sun_path) { path in
            for (index, byte) in name.enumerated() { path[index] = byte }
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + name.count + (name.first == 0 ? 0 : 1))
        let bytes = Array(message.utf8)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                bytes.withUnsafeBytes {
                    sendto(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL), address, length)
                }
            }
        }
        guard sent == bytes.count else {
            logger.warning(
                "cannot notify systemd: sendto: \(String(cString: strerror(errno)))",
                metadata: ["socket": "\(socketPath)"])
            return false
        }
        logger.debug(
            "notified systemd", metadata: ["message": "\(message.split(separator: "\n").joined(separator: " "))"])
        return true
    }
}
