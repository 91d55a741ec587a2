import Foundation
import Logging
import NIOCore
import NIOPosix
import Testing

@testable import Discovery

#if canImport(Glibc)
    import Glibc
#endif

/// A fresh short directory under /tmp (socket paths must stay under 104 bytes), removed after.
func withTemporaryDirectory<Result>(_ body: (String) async throws -> Result) async throws -> Result {
    var template = Array("/tmp/hd-XXXXXX".utf8CString)
    guard let created = mkdtemp(&template) else { throw TestFailure("mkdtemp failed: errno \(errno)") }
    let path = String(cString: created)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try await body(path)
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

let quietLogger = Logger(label: "discovery.test", factory: { _ in SwiftLogNoOpLogHandler() })

/// Runs a server on `<temporary directory>/s.sock` for the duration of `body`, then cancels it
/// and waits for it to finish (so every test also exercises shutdown). `configuration` gives the
/// limits; its socket path is replaced by that one (or `path`).
func withServer<Result>(
    initial: SnapshotInput = Fixtures.input(), path: String? = nil,
    configuration: DiscoveryServer.Configuration = .init(), logger: Logger = quietLogger,
    _ body: (DiscoveryServer, String) async throws -> Result
) async throws -> Result {
    try await withTemporaryDirectory { directory in
        var configuration = configuration
        configuration.socketPath = path ?? directory + "/s.sock"
        let socketPath = configuration.socketPath
        let server = DiscoveryServer(configuration: configuration, initial: initial, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }
            do {
                try await server.waitUntilListening()
                let result = try await body(server, socketPath)
                group.cancelAll()
                try await group.waitForAll()
                return result
            } catch {
                group.cancelAll()
                throw error
            }
        }
    }
}

/// A raw protocol client for tests: sends arbitrary bytes, reads lines with a time limit, and can
/// refuse to read at all (`autoRead: false`) to play a stalled watcher.
struct TestClient {
    enum Event: Sendable {
        case line(String)
        case tooLong
        case closed
        case timeout(Int)
    }

    let channel: any Channel
    private let continuation: AsyncStream<Event>.Continuation
    private var events: AsyncStream<Event>.AsyncIterator
    private var waits = 0

    static func connect(_ path: String, autoRead: Bool = true) async throws -> TestClient {
        let (stream, continuation) = AsyncStream.makeStream(of: Event.self)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.autoRead, value: autoRead)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(LineFrameDecoder(maximumLength: 16 << 20)))
                    try channel.pipeline.syncOperations.addHandler(Collector(continuation: continuation))
                }
            }
            .connect(unixDomainSocketPath: path).get()
        return TestClient(channel: channel, continuation: continuation, events: stream.makeAsyncIterator())
    }

    func send(_ text: String) async throws {
        try await send(bytes: Array(text.utf8))
    }

    func send(bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(ByteBuffer(bytes: bytes)).get()
    }

    /// The next line; nil when the server closed the connection. Throws after `limit`.
    mutating func nextLine(within limit: TimeAmount = .seconds(10)) async throws -> String? {
        switch await nextEvent(within: limit) {
        case .line(let line): return line
        case .closed, nil: return nil
        case .tooLong: throw TestFailure("line too long")
        case .timeout: throw TestFailure("no line within \(limit)")
        }
    }

    /// True when nothing arrives for `limit`: no line and no close. Proves an absence, so it
    /// always waits the whole `limit`.
    mutating func staysQuiet(for limit: TimeAmount) async -> Bool {
        if case .timeout = await nextEvent(within: limit) { return true }
        return false
    }

    /// The next event, or `.timeout` after `limit` (a timer of an earlier wait is skipped); nil
    /// when the event stream ended.
    private mutating func nextEvent(within limit: TimeAmount) async -> Event? {
        waits += 1
        let id = waits
        let continuation = self.continuation
        let timer = channel.eventLoop.scheduleTask(in: limit) { continuation.yield(.timeout(id)) }
        defer { timer.cancel() }
        while let event = await events.next() {
            if case .timeout(let waited) = event, waited != id { continue }
            return event
        }
        return nil
    }

    mutating func nextSnapshot(within limit: TimeAmount = .seconds(10)) async throws -> Snapshot {
        guard let line = try await nextLine(within: limit) else { throw TestFailure("closed instead of a snapshot") }
        return try Snapshot.decode(line: Array(line.utf8))
    }

    /// The next line as a JSON object.
    mutating func nextObject(within limit: TimeAmount = .seconds(10)) async throws -> [String: Any] {
        guard let line = try await nextLine(within: limit) else { throw TestFailure("closed instead of a line") }
        guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw TestFailure("not a JSON object: \(line)")
        }
        return object
    }

    func close() async {
        try? await channel.close()
    }

    private final class Collector: ChannelInboundHandler {
        typealias InboundIn = LineFrame
        let continuation: AsyncStream<Event>.Continuation

        init(continuation: AsyncStream<Event>.Continuation) {
            self.continuation = continuation
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .line(let line): continuation.yield(.line(String(buffer: line)))
            case .tooLong: continuation.yield(.tooLong)
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            continuation.yield(.closed)
        }
    }
}

/// Figures about this test process, from /proc.
enum ProcessFigures {
    /// Resident set size in bytes (`/proc/self/statm`, second field, in pages), after handing
    /// memory the allocator holds but no longer uses back to the kernel (`malloc_trim`): what
    /// is left is memory still in use, so a queue that grows shows and allocator caching does not.
    static var residentBytes: Int {
        trimAllocator?(0)
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// glibc's `malloc_trim`, which the Glibc module does not export; looked up at run time.
    private static let trimAllocator: (@convention(c) (Int) -> Int32)? = {
        guard let symbol = dlsym(nil, "malloc_trim") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int) -> Int32).self)
    }()

    static var openDescriptors: Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0
    }

    /// Raises the soft descriptor limit to the hard one: thousands of connections have two ends here.
    static func raiseDescriptorLimit() {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return }
        limit.rlim_cur = limit.rlim_max
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }

    /// Polls a figure that settles after asynchronous closes (there is no event to await for a
    /// descriptor the server closes), until `done` holds or `limit` passes.
    static func settle(within limit: Duration = .seconds(10), until done: () -> Bool) async throws {
        let deadline = ContinuousClock.now + limit
        while !done(), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
    }
}
