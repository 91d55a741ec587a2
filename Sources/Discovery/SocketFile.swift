import NIOConcurrencyHelpers

#if canImport(Glibc)
    import Glibc
#endif

/// Why the server cannot listen on its socket path. Each description is one line that names the
/// path and says what to do.
public enum DiscoveryServerError: Error, Hashable, Sendable, CustomStringConvertible {
    /// `sun_path` holds 108 bytes on Linux; 103 is the portable limit (macOS' 104 minus the NUL).
    case pathTooLong(path: String, bytes: Int)
    /// Something other than a socket is at the path; it is never deleted.
    case notASocket(path: String)
    /// Another process accepts connections on the path.
    case inUse(path: String)
    /// The parent directory is missing or the path cannot be examined or set up.
    case cannotPrepare(path: String, reason: String)
    /// The socket was created but its mode is not the one configured.
    case wrongMode(path: String, expected: UInt32, actual: UInt32)

    public var description: String {
        switch self {
        case .pathTooLong(let path, let bytes):
            "socket path is \(bytes) bytes, longer than the limit of \(SocketFile.maximumPathLength): \(path)"
        case .notASocket(let path):
            "\(path) exists and is not a socket; refusing to replace it (remove it or choose another herald_socket)"
        case .inUse(let path):
            "\(path) is in use: another process is listening on it (is another herald running?)"
        case .cannotPrepare(let path, let reason):
            "cannot set up socket \(path): \(reason)"
        case .wrongMode(let path, let expected, let actual):
            "socket \(path) has mode \(String(actual, radix: 8)), expected \(String(expected, radix: 8))"
        }
    }
}

/// The checks and file-system steps around the listening socket's path.
enum SocketFile {
    /// Bytes, not characters: the limit is the size of `sockaddr_un.sun_path` less the NUL on the
    /// strictest platform Herald's clients may share code with.
    static let maximumPathLength = 103

    /// Checks the path and removes a stale socket, so that the bind that follows can succeed:
    /// - longer than 103 bytes: refused;
    /// - nothing there: fine;
    /// - a socket nobody accepts on (a crashed Herald's leftover): removed;
    /// - a socket somebody accepts on: refused, the other process keeps it;
    /// - anything else (a file, a directory, a link): refused and left alone.
    static func prepare(path: String) throws(DiscoveryServerError) {
        let bytes = path.utf8.count
        guard bytes <= maximumPathLength else { throw .pathTooLong(path: path, bytes: bytes) }
        guard !path.isEmpty else { throw .cannotPrepare(path: path, reason: "the path is empty") }
        var status = stat()
        guard lstat(path, &status) == 0 else {
            let code = errno
            if code == ENOENT { return }
            throw .cannotPrepare(path: path, reason: String(cString: strerror(code)))
        }
        guard status.st_mode & S_IFMT == S_IFSOCK else { throw .notASocket(path: path) }
        if isListening(path: path) { throw .inUse(path: path) }
        guard unlink(path) == 0 || errno == ENOENT else {
            throw .cannotPrepare(path: path, reason: "cannot remove stale socket: \(String(cString: strerror(errno)))")
        }
    }

    /// Whether a process accepts connections on the socket at `path`. A non-blocking connect
    /// answers at once: refused means stale; success or "try again" (backlog full) means alive.
    static func isListening(path: String) -> Bool {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        let copied = withUnsafeMutableBytes(of: &address.sun_path) { raw -> Bool in
            let bytes = Array(path.utf8)
            guard bytes.count < capacity else { return false }
            raw.copyBytes(from: bytes)
            return true
        }
        guard copied else { return false }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        return result == 0 || errno == EAGAIN || errno == EINPROGRESS
    }

    /// Runs `body` (the bind) with a umask that leaves at most `mode`'s permission bits, so the
    /// socket never exists with a wider mode, not even between bind and chmod.
    ///
    /// The umask is process-wide. Overlapping windows (several servers binding at once, as in
    /// tests) share one: the first saves the process's umask, each adds its mask, the last
    /// restores the saved one. A file another thread creates meanwhile can only come out stricter.
    static func withCreationMode<Result>(_ mode: mode_t, _ body: () async throws -> Result) async rethrows -> Result {
        let mask = ~mode & 0o777
        umaskWindow.withLockedValue { window in
            if window.holders == 0 {
                window.saved = umask(mask)
                window.mask = mask
            } else {
                window.mask |= mask
                umask(window.mask)
            }
            window.holders += 1
        }
        defer {
            umaskWindow.withLockedValue { window in
                window.holders -= 1
                if window.holders == 0 { umask(window.saved) }
            }
        }
        return try await body()
    }

    private struct UmaskWindow {
        var holders = 0
        var saved: mode_t = 0
        var mask: mode_t = 0
    }

    private static let umaskWindow = NIOLockedValueBox(UmaskWindow())

    /// Sets `mode` explicitly (a umask cannot add bits) and confirms it, returning the inode for
    /// `removeIfOurs`.
    static func confirm(path: String, mode: mode_t) throws(DiscoveryServerError) -> ino_t {
        guard chmod(path, mode) == 0 else {
            throw .cannotPrepare(path: path, reason: "chmod: \(String(cString: strerror(errno)))")
        }
        var status = stat()
        guard lstat(path, &status) == 0 else {
            throw .cannotPrepare(path: path, reason: "stat: \(String(cString: strerror(errno)))")
        }
        let actual = status.st_mode & 0o7777
        guard actual == mode else { throw .wrongMode(path: path, expected: mode, actual: actual) }
        return status.st_ino
    }

    /// Removes the socket at shutdown only if it is still the one this server created: a newer
    /// Herald that replaced it (after this one looked stale) keeps its socket.
    static func removeIfOurs(path: String, inode: ino_t) {
        var status = stat()
        guard lstat(path, &status) == 0, status.st_mode & S_IFMT == S_IFSOCK, status.st_ino == inode else { return }
        unlink(path)
    }
}
