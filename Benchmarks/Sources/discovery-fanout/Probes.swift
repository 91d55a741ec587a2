import Foundation
import NIOConcurrencyHelpers
import NIOCore

#if canImport(Glibc)
    import Glibc
#endif

/// The CLOCK_MONOTONIC time in nanoseconds: comparable across the benchmark's processes.
enum Monotonic {
    static var now: UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}

/// Counts, per revision, how many of `parties` (watchers, or watcher pools) have it, and when
/// the last one got it (CLOCK_MONOTONIC ns).
final class ArrivalTracker: Sendable {
    private struct State {
        var counts: [UInt64: (count: Int, latest: UInt64)] = [:]
        var waiter: (revision: UInt64, continuation: CheckedContinuation<UInt64, any Error>)?
        var completed: [UInt64: UInt64] = [:]
        var failure: (any Error)?
    }

    let parties: Int
    private let state = NIOLockedValueBox(State())
    /// Called with each revision as the last party receives it.
    private let onComplete: @Sendable (UInt64, UInt64) -> Void

    init(parties: Int, onComplete: @escaping @Sendable (_ revision: UInt64, _ at: UInt64) -> Void = { _, _ in }) {
        self.parties = parties
        self.onComplete = onComplete
    }

    /// One party has `revision`, at `time` (now unless given).
    func arrived(revision: UInt64, at time: UInt64 = Monotonic.now) {
        let (resume, completedAt): (CheckedContinuation<UInt64, any Error>?, UInt64?) = state.withLockedValue { state in
            let entry = state.counts[revision, default: (0, 0)]
            let count = entry.count + 1
            let latest = max(entry.latest, time)
            guard count == parties else {
                state.counts[revision] = (count, latest)
                return (nil, nil)
            }
            state.counts[revision] = nil
            guard let waiter = state.waiter, waiter.revision == revision else {
                state.completed[revision] = latest
                return (nil, latest)
            }
            state.waiter = nil
            return (waiter.continuation, latest)
        }
        if let completedAt { onComplete(revision, completedAt) }
        resume?.resume(returning: completedAt ?? time)
    }

    /// Ends every wait with `error` (a party went away).
    func fail(_ error: any Error) {
        let waiter = state.withLockedValue { state in
            state.failure = error
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.continuation.resume(throwing: error)
    }

    /// When the last party received `revision` (CLOCK_MONOTONIC ns).
    @discardableResult
    func waitForAll(revision: UInt64) async throws -> UInt64 {
        try await withCheckedThrowingContinuation { continuation in
            let done: Result<UInt64, any Error>? = state.withLockedValue { state in
                if let failure = state.failure { return .failure(failure) }
                if let time = state.completed.removeValue(forKey: revision) { return .success(time) }
                state.waiter = (revision, continuation)
                return nil
            }
            if let done { continuation.resume(with: done) }
        }
    }
}

/// Reads snapshot lines and reports their revision, without decoding the whole JSON: the
/// benchmark measures the server, not a client's JSON decoder (a generic `firstRange(of:)` here
/// once cost more than the server's whole fan-out).
final class RevisionReader: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    private let tracker: ArrivalTracker
    private var pending: ByteBuffer?
    private static let key = Array("\"revision\":".utf8)

    init(tracker: ArrivalTracker) {
        self.tracker = tracker
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        if var buffered = pending {
            buffered.writeBuffer(&incoming)
            incoming = buffered
        }
        while let newline = incoming.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
            let length = newline - incoming.readerIndex
            if let line = incoming.readSlice(length: length), let revision = Self.revision(in: line) {
                tracker.arrived(revision: revision)
            }
            incoming.moveReaderIndex(forwardBy: 1)
        }
        pending = incoming.readableBytes > 0 ? incoming : nil
    }

    static func revision(in line: ByteBuffer) -> UInt64? {
        line.withUnsafeReadableBytes { bytes -> UInt64? in
            guard let found = find(key, in: bytes) else { return nil }
            var index = found + key.count
            var value: UInt64 = 0
            let start = index
            while index < bytes.count, (48...57).contains(bytes[index]) {
                value = value * 10 + UInt64(bytes[index] - 48)
                index += 1
            }
            return index > start ? value : nil
        }
    }

    /// Naive search on raw bytes: a few thousand comparisons per line.
    static func find(_ needle: [UInt8], in haystack: UnsafeRawBufferPointer) -> Int? {
        guard let first = needle.first, haystack.count >= needle.count else { return nil }
        var index = 0
        while index <= haystack.count - needle.count {
            if haystack[index] == first {
                var matched = 1
                while matched < needle.count, haystack[index + matched] == needle[matched] { matched += 1 }
                if matched == needle.count { return index }
            }
            index += 1
        }
        return nil
    }
}

/// Blocking client sockets: Herald's answer a ping (the idle-memory phase), the floor's are only
/// connected.
enum RawSocket {
    static func connectAndPing(_ path: String) throws -> Int32 {
        let descriptor = try connect(path)
        let ping = Array("{\"op\":\"ping\"}\n".utf8)
        guard write(descriptor, ping, ping.count) == ping.count else { throw BenchmarkError("write failed") }
        var answer = [UInt8](repeating: 0, count: 64)
        var received = 0
        while !answer[..<received].contains(UInt8(ascii: "\n")) {
            let count = answer.withUnsafeMutableBytes { raw -> Int in
                guard let base = raw.baseAddress else { return -1 }
                return read(descriptor, base + received, raw.count - received)
            }
            guard count > 0 else { throw BenchmarkError("no pong") }
            received += count
        }
        return descriptor
    }

    static func connect(_ path: String) throws -> Int32 {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw BenchmarkError("socket: errno \(errno)") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 else {
            close(descriptor)
            throw BenchmarkError("connect: errno \(errno)")
        }
        return descriptor
    }
}

enum Memory {
    /// `/proc/self/statm`'s resident pages, in bytes.
    static var residentBytes: Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}

enum Descriptors {
    /// Raises RLIMIT_NOFILE as far as allowed (root may go past the hard limit); returns the soft limit.
    static func raiseLimit(to wanted: rlim_t = 65_536) -> Int {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        var raised = rlimit(rlim_cur: max(wanted, limit.rlim_cur), rlim_max: max(wanted, limit.rlim_max))
        if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) != 0 {
            limit.rlim_cur = limit.rlim_max
            setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        return Int(limit.rlim_cur)
    }
}
