import Foundation
import HeraldTestSupport
import NIOConcurrencyHelpers

#if canImport(Glibc)
    import Glibc
#endif

/// Where `Tests/interop/setup.sh` put the detector harnesses (`HERALD_INTEROP_DIR`, which
/// `Tests/run.sh` sets); the suite is skipped without it.
enum Interop {
    static var directory: String? {
        guard let value = ProcessInfo.processInfo.environment["HERALD_INTEROP_DIR"], !value.isEmpty else { return nil }
        return value
    }

    static var enabled: Bool { directory != nil && ProcessInfo.processInfo.environment["HERALD_TEST_ZK"] != nil }

    static func program(_ name: String) throws -> String {
        guard let directory else { throw SetupError("HERALD_INTEROP_DIR is not set: run the tests with Tests/run.sh") }
        return directory + "/" + name
    }
}

/// One line a detector harness printed: `leader hostname=… ip=… packed_ip=… port=… id=…`,
/// `none`, or (pymesos) `unusable node=…` when its driver could not use the leader's data.
struct Decision: Hashable, Sendable, CustomStringConvertible {
    enum Kind: String, Sendable {
        case leader
        case none
        case unusable
    }

    var kind: Kind
    var fields: [String: String]
    var line: String

    init?(line: String) {
        let words = line.split(separator: " ").map(String.init)
        guard let first = words.first, let kind = Kind(rawValue: first) else { return nil }
        self.kind = kind
        self.line = line
        var fields: [String: String] = [:]
        for word in words.dropFirst() {
            guard let equals = word.firstIndex(of: "=") else { return nil }
            let value = String(word[word.index(after: equals)...])
            fields[String(word[..<equals])] = value == "-" ? nil : value
        }
        self.fields = fields
    }

    var description: String { line }
}

/// A real third-party detector, run by its harness as a child process for as long as a test
/// needs it; its decisions are the decision lines of its output, in order.
///
/// The harness writes into a FIFO that a thread of this process reads, so a test awaits each new
/// line (`changes()`) rather than polling a file; the lines are copied to `log` as they come.
final class Detector: Sendable {
    enum Kind: String, Sendable, CaseIterable {
        case mesosGo = "mesos-go"
        case pymesos

        var program: String { self == .mesosGo ? "mesos-go-detect" : "pymesos-detect" }
    }

    let kind: Kind
    let pid: pid_t
    let log: String
    private let state = NIOLockedValueBox(State())

    private struct State {
        var output = ""
        var watchers: [Int: AsyncStream<Void>.Continuation] = [:]
        var nextWatcher = 0
    }

    init(_ kind: Kind, url: String, directory: String) throws {
        self.kind = kind
        log = directory + "/\(kind.rawValue).log"
        let fifo = directory + "/\(kind.rawValue).fifo"
        unlink(fifo)
        guard mkfifo(fifo, 0o600) == 0 else { throw SetupError("mkfifo \(fifo): \(String(cString: strerror(errno)))") }
        let state = state
        let log = log
        Thread {
            // Blocks until the harness opens its end; ends at its exit (EOF).
            let input = open(fifo, O_RDONLY | O_CLOEXEC)
            let copy = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
            defer {
                if input >= 0 { close(input) }
                if copy >= 0 { close(copy) }
            }
            var buffer = [UInt8](repeating: 0, count: 4096)
            while input >= 0 {
                let count = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
                if count < 0, errno == EINTR { continue }
                guard count > 0 else { break }
                _ = buffer.withUnsafeBytes { write(copy, $0.baseAddress, count) }
                let watchers = state.withLockedValue { state in
                    state.output += String(decoding: buffer[0..<count], as: UTF8.self)
                    return Array(state.watchers.values)
                }
                for watcher in watchers { watcher.yield() }
            }
            let watchers = state.withLockedValue { Array($0.watchers.values) }
            for watcher in watchers { watcher.finish() }
        }.start()
        do {
            pid = try ChildProcess.spawn(try Interop.program(kind.program), [url], output: fifo)
        } catch {
            // The reader waits for a writer: be that writer, so that it ends.
            close(open(fifo, O_WRONLY | O_CLOEXEC))
            throw error
        }
    }

    /// Every decision so far, oldest first.
    var decisions: [Decision] {
        output.split(separator: "\n").compactMap { Decision(line: String($0)) }
    }

    var last: Decision? { decisions.last }

    /// Everything the harness printed (decisions and its own log lines).
    var output: String { state.withLockedValue { $0.output } }

    /// One element each time the harness printed something more; finishes when it exits.
    func changes() -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let id = state.withLockedValue { state in
            defer { state.nextWatcher += 1 }
            state.watchers[state.nextWatcher] = continuation
            return state.nextWatcher
        }
        continuation.onTermination = { [state] _ in _ = state.withLockedValue { $0.watchers.removeValue(forKey: id) } }
        return stream
    }

    func stop() async {
        kill(pid, SIGTERM)
        _ = await ChildProcess.reap(pid)
    }

    /// The first decision of a fresh detector on `url` (`--once`), nil when it decided nothing
    /// within the harness' own 10 s.
    static func once(_ kind: Kind, url: String) async throws -> (Decision?, String) {
        let result = try await ChildProcess.run(try Interop.program(kind.program), ["--once", url])
        let decision = result.output.split(separator: "\n").lazy.compactMap { Decision(line: String($0)) }.first
        return (decision, result.output)
    }
}

/// A stand-in Mesos master written with kazoo (`Tests/interop/mesos-master.py`): one
/// `json.info_` node with its MasterInfo, held until SIGTERM (node deleted at once) or SIGKILL
/// (node left until its session expires).
final class FakeMaster: Sendable {
    let hostname: String
    let pid: pid_t
    let log: String

    init(servers: String, basePath: String, hostname: String, ip: String, port: Int, directory: String) throws {
        self.hostname = hostname
        log = directory + "/\(hostname).log"
        pid = try ChildProcess.spawn(
            try Interop.program("mesos-master"), [servers, basePath, hostname, ip, "\(port)"], output: log)
    }

    /// Its node's name, once it printed it.
    var node: String? {
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").first { $0.hasPrefix("node ") }.map { String($0.dropFirst(5)) }
    }

    func stop(_ signal: Int32 = SIGTERM) async {
        kill(pid, signal)
        _ = await ChildProcess.reap(pid)
    }
}
