import Foundation
import NIOConcurrencyHelpers

#if canImport(Glibc)
    import Glibc
#endif

/// The floor that Herald's fan-out is compared with: a minimal writer that holds N accepted
/// Unix-domain connections and pushes one line with a plain blocking `write(2)` per socket, in a
/// loop on one thread. No framing, no event loop, no per-connection state: what any server must at
/// least pay to put the same bytes into the same number of sockets.
///
/// It runs in a child process of its own (`FloorProcess`, `--floor-socket`), so that the server
/// process holds only Herald's N descriptors (10,000 of each fit a 20,000 descriptor limit).
final class FloorWriter: Sendable {
    let path: String
    private let listener: Int32
    private let accepted = NIOLockedValueBox<[Int32]>([])

    /// Listens on `path` (backlog 4096) and accepts connections on a thread of its own until
    /// `close()`.
    init(path: String) throws {
        self.path = path
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw BenchmarkError("floor socket: errno \(errno)") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0, listen(descriptor, 4096) == 0 else {
            Glibc.close(descriptor)
            throw BenchmarkError("floor bind/listen: errno \(errno)")
        }
        listener = descriptor
        let accepted = self.accepted
        Thread {
            while true {
                let connection = accept(descriptor, nil, nil)
                if connection < 0 {
                    if errno == EINTR || errno == ECONNABORTED { continue }
                    return
                }
                accepted.withLockedValue { $0.append(connection) }
            }
        }.start()
    }

    /// Connections accepted so far.
    var count: Int { accepted.withLockedValue { $0.count } }

    /// Writes `line` to every accepted connection, in accept order; returns when the last byte is
    /// in the last socket.
    func push(_ line: [UInt8]) {
        let descriptors = accepted.withLockedValue { $0 }
        line.withUnsafeBytes { bytes in
            guard let base = bytes.baseAddress else { return }
            for descriptor in descriptors {
                var offset = 0
                while offset < bytes.count {
                    let written = write(descriptor, base + offset, bytes.count - offset)
                    if written < 0, errno == EINTR { continue }
                    guard written > 0 else { break }
                    offset += written
                }
            }
        }
    }

    /// Stops accepting and closes every connection.
    func close() {
        shutdown(listener, Int32(SHUT_RDWR))
        Glibc.close(listener)
        for descriptor in accepted.withLockedValue({ $0 }) { Glibc.close(descriptor) }
    }
}

/// The child side of `--floor-socket PATH`: listens, prints `listening`, then for every line read
/// on stdin prints the CLOCK_MONOTONIC time just before its first `write` and pushes that line
/// (with its newline) to every accepted connection. Exits at EOF on stdin.
enum FloorMain {
    static func run(path: String) throws {
        let writer = try FloorWriter(path: path)
        defer { writer.close() }
        WatcherPool.emit("listening")
        while let line = readLine(strippingNewline: false) {
            if line == "count\n" {
                WatcherPool.emit("\(writer.count)")
                continue
            }
            let bytes = Array(line.utf8)
            let start = Monotonic.now
            writer.push(bytes)
            WatcherPool.emit("\(start)")
        }
    }
}

/// The parent's handle on the floor child process.
final class FloorProcess {
    let path: String
    private let process: Process
    private let input: FileHandle
    private let output: UnsafeMutablePointer<FILE>

    init(path: String) throws {
        self.path = path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = ["--floor-socket", path]
        let stdin = Pipe()
        let stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        try process.run()
        self.process = process
        input = stdin.fileHandleForWriting
        guard let stream = fdopen(dup(stdout.fileHandleForReading.fileDescriptor), "r") else {
            throw BenchmarkError("fdopen failed")
        }
        output = stream
        guard readLine() == "listening" else { throw BenchmarkError("the floor writer did not start") }
    }

    /// Connections the floor has accepted.
    var count: Int {
        try? input.write(contentsOf: Data("count\n".utf8))
        return readLine().flatMap { Int($0) } ?? 0
    }

    /// Has the floor push `line` (which ends in a newline); returns the time just before its first
    /// `write` (CLOCK_MONOTONIC ns).
    func push(_ line: [UInt8]) throws -> UInt64 {
        try input.write(contentsOf: Data(line))
        guard let start = readLine().flatMap({ UInt64($0) }) else { throw BenchmarkError("the floor writer ended") }
        return start
    }

    func finish() {
        try? input.close()
        process.waitUntilExit()
        fclose(output)
    }

    private func readLine() -> String? {
        var line: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(line) }
        guard getline(&line, &capacity, output) > 0, let line else { return nil }
        return String(cString: line).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
