import Foundation
import NIOConcurrencyHelpers

#if canImport(Glibc)
    import Glibc
#endif

/// Plain blocking Unix-socket connections, for raw clients of the socket protocol: many of them
/// cost a test process little, and they send exactly the bytes they are given.
public enum RawSocket {
    public static func connect(_ path: String) throws -> Int32 {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        let connected = withAddress(path) { Glibc.connect(descriptor, $0, $1) }
        guard descriptor >= 0, connected == 0 else {
            close(descriptor)
            throw SetupError("cannot connect to \(path): errno \(errno)")
        }
        return descriptor
    }

    /// A listening socket that never accepts: connections wait in its backlog, unanswered.
    public static func listen(_ path: String, backlog: Int32 = 8) throws -> Int32 {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        let bound = withAddress(path) { bind(descriptor, $0, $1) }
        guard descriptor >= 0, bound == 0, Glibc.listen(descriptor, backlog) == 0 else {
            close(descriptor)
            throw SetupError("cannot listen on \(path): errno \(errno)")
        }
        return descriptor
    }

    private static func withAddress<T>(
        _ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> T
    ) -> T {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { bytes in
            path.utf8CString.withUnsafeBytes {
                bytes.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0.prefix(bytes.count - 1)))
            }
        }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
    }
}

/// Many raw `watch` connections served by one thread with `poll`: each keeps only the count of
/// lines, their revisions' order and its last line, so that a thousand of them cost this process
/// little (a decoder per pushed snapshot would make it the bottleneck). `stop()` closes them all.
public final class RawWatchers: Sendable {
    public struct State: Sendable {
        public var count = 0
        public var lastRevision: UInt64 = 0
        public var increasing = true
        public var lastLine = ""
        public var open = true
    }

    private let box: NIOLockedValueBox<[State]>
    private let stopped = NIOLockedValueBox(false)
    private let finished = DispatchSemaphore(value: 0)

    public init(socket: String, count: Int) throws {
        var descriptors: [Int32] = []
        do {
            for _ in 0..<count {
                let descriptor = try RawSocket.connect(socket)
                descriptors.append(descriptor)
                let request = Array("{\"op\":\"watch\"}\n".utf8)
                guard write(descriptor, request, request.count) == request.count else {
                    throw SetupError("cannot send watch on \(socket)")
                }
            }
        } catch {
            for descriptor in descriptors { close(descriptor) }
            throw error
        }
        box = NIOLockedValueBox(Array(repeating: State(), count: count))
        let (box, stopped, finished, opened) = (box, stopped, finished, descriptors)
        Thread {
            defer {
                for descriptor in opened { close(descriptor) }
                finished.signal()
            }
            var pending = Array(repeating: [UInt8](), count: opened.count)
            var buffer = [UInt8](repeating: 0, count: 1 << 16)
            var polls = opened.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            while !stopped.withLockedValue({ $0 }) {
                guard poll(&polls, nfds_t(polls.count), 100) > 0 else { continue }
                for index in polls.indices where polls[index].revents != 0 {
                    let got = read(polls[index].fd, &buffer, buffer.count)
                    if got <= 0 {
                        polls[index].fd = -1
                        box.withLockedValue { $0[index].open = false }
                        continue
                    }
                    pending[index] += buffer[0..<got]
                    while let newline = pending[index].firstIndex(of: 10) {
                        let line = String(decoding: pending[index][..<newline], as: UTF8.self)
                        pending[index].removeSubrange(...newline)
                        let revision = Self.revision(line)
                        box.withLockedValue { states in
                            if revision <= states[index].lastRevision { states[index].increasing = false }
                            states[index].lastRevision = revision
                            states[index].count += 1
                            states[index].lastLine = line
                        }
                    }
                }
            }
        }.start()
    }

    public var states: [State] { box.withLockedValue { $0 } }

    /// Stops the reading thread, which then closes every connection; returns once it has. Only the
    /// first call waits.
    public func stop() {
        let first = stopped.withLockedValue { stopped in
            defer { stopped = true }
            return !stopped
        }
        if first { finished.wait() }
    }

    static func revision(_ line: String) -> UInt64 {
        guard let range = line.range(of: "\"revision\":") else { return 0 }
        return UInt64(line[range.upperBound...].prefix { $0.isNumber }) ?? 0
    }
}
