import Dispatch
import Foundation
import HeraldTestSupport
import Testing

@testable import DNS
@testable import HeraldConfig

#if canImport(Glibc)
    import Glibc
#endif

/// A real dnsmasq on 127.0.0.1 serving the names of a hosts file, authoritative for
/// `herald.test` (an unknown name there is NXDOMAIN). Started as a child process with
/// `posix_spawn` (not Foundation's `Process`, see `ChildProcess`); `setRecords` rewrites the
/// file and sends SIGHUP, which makes dnsmasq read it again.
final class Dnsmasq: Sendable {
    static let executable = "/usr/sbin/dnsmasq"
    /// Always in the hosts file, so that readiness can be seen by asking for it.
    static let readyName = "ready.herald.test"

    let port: Int
    let directory: String
    let pid: pid_t

    var server: String { "127.0.0.1:\(port)" }
    var hostsFile: String { "\(directory)/hosts" }
    var logFile: String { "\(directory)/dnsmasq.log" }

    /// A resolver that asks this dnsmasq.
    func resolver(timeout: Duration = .seconds(2), attempts: Int = 2) throws -> DNSResolver {
        try DNSResolver(server: server, timeout: timeout, attempts: attempts)
    }

    private init(port: Int, directory: String, pid: pid_t) {
        self.port = port
        self.directory = directory
        self.pid = pid
    }

    /// Starts dnsmasq with `records` (name → addresses) and waits until it answers.
    static func start(_ records: [String: [String]], arguments: [String] = []) async throws -> Dnsmasq {
        guard access(executable, X_OK) == 0 else {
            throw SetupError(
                "\(executable) not found: install Debian's dnsmasq-base (Tests/run.sh does)")
        }
        let directory = try makeDirectory()
        try writeHosts(records, to: "\(directory)/hosts")
        var lastLog = ""
        // The free port is only free until someone takes it: a few tries.
        for _ in 0..<5 {
            let port = try DNSTestSupport.freePort()
            let pid = try spawn(port: port, directory: directory, arguments: arguments)
            let dnsmasq = Dnsmasq(port: port, directory: directory, pid: pid)
            do {
                try await dnsmasq.waitUntilAnswering()
                return dnsmasq
            } catch {
                lastLog = (try? String(contentsOfFile: dnsmasq.logFile, encoding: .utf8)) ?? ""
                await dnsmasq.stop(removingDirectory: false)
            }
        }
        try? FileManager.default.removeItem(atPath: directory)
        throw SetupError("dnsmasq did not start; its log: \(lastLog)")
    }

    /// Replaces the records and waits until dnsmasq answers `name` with the new set (or with
    /// NXDOMAIN when `name` is no longer there).
    func setRecords(_ records: [String: [String]], waitingFor name: String) async throws {
        try Self.writeHosts(records, to: hostsFile)
        guard kill(pid, SIGHUP) == 0 else {
            throw SetupError("cannot send SIGHUP to dnsmasq (pid \(pid))")
        }
        let resolver = try resolver(timeout: .milliseconds(300), attempts: 1)
        let expected = IPv4.sortedUnique((records[name] ?? []).compactMap { IPv4.parse($0) })
        try await within(.seconds(10), "dnsmasq to serve the new records of \(name)") {
            while true {
                do {
                    if try await resolver.resolveIPv4(name) == expected { return }
                } catch let error as DNSError where error.kind == .noRecords && expected.isEmpty {
                    return
                } catch {}
                try await Task.sleep(for: .milliseconds(20))
            }
        }
    }

    /// SIGTERM, then SIGKILL if it is still there after 5 s (or at once when the task is
    /// cancelled); always reaps the child.
    func stop(removingDirectory: Bool = true) async {
        kill(pid, SIGTERM)
        let deadline = ContinuousClock.now + .seconds(5)
        var status: Int32 = 0
        // waitpid is polled, not awaited: a blocked waitpid cannot be cancelled.
        while waitpid(pid, &status, WNOHANG) == 0 {
            if Task.isCancelled || ContinuousClock.now >= deadline {
                kill(pid, SIGKILL)
                await Self.reap(pid)
                break
            }
            try? await Task.sleep(for: .milliseconds(10))
        }
        if removingDirectory { try? FileManager.default.removeItem(atPath: directory) }
    }

    private func waitUntilAnswering() async throws {
        let resolver = try resolver(timeout: .milliseconds(200), attempts: 1)
        let pid = pid
        try await within(.seconds(10), "dnsmasq on \(server) to answer") {
            while true {
                var status: Int32 = 0
                if waitpid(pid, &status, WNOHANG) == pid {
                    throw SetupError("dnsmasq exited at start (status \(status))")
                }
                if (try? await resolver.resolveIPv4(Self.readyName)) != nil { return }
                try await Task.sleep(for: .milliseconds(20))
            }
        }
    }

    private static func reap(_ pid: pid_t) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                var status: Int32 = 0
                while waitpid(pid, &status, 0) == -1, errno == EINTR {}
                continuation.resume()
            }
        }
    }

    /// A directory that dnsmasq can read after it drops root (to `nobody`), named after this
    /// test process so that `Tests/run.sh` can stop a dnsmasq that outlived a crashed one.
    private static func makeDirectory() throws -> String {
        let path = "/tmp/herald-dnsmasq-\(getpid())-\(UUID().uuidString.prefix(8).lowercased())"
        try FileManager.default.createDirectory(
            atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        return path
    }

    /// Writes the hosts file next to its final name and renames it over, so that dnsmasq never
    /// reads half a file.
    private static func writeHosts(_ records: [String: [String]], to path: String) throws {
        var lines = ["127.0.0.1 \(readyName)"]
        for (name, addresses) in records.sorted(by: { $0.key < $1.key }) {
            for address in addresses { lines.append("\(address) \(name)") }
        }
        let temporary = path + ".new"
        try (lines.joined(separator: "\n") + "\n").write(toFile: temporary, atomically: false, encoding: .utf8)
        chmod(temporary, 0o644)
        guard rename(temporary, path) == 0 else {
            throw SetupError("cannot rename \(temporary): \(String(cString: strerror(errno)))")
        }
    }

    private static func spawn(port: Int, directory: String, arguments extra: [String]) throws -> pid_t {
        let arguments =
            [
                executable, "--keep-in-foreground", "--no-resolv", "--no-hosts", "--conf-file=/dev/null",
                "--port=\(port)", "--listen-address=127.0.0.1", "--bind-interfaces",
                "--addn-hosts=\(directory)/hosts", "--local=/herald.test/", "--pid-file=\(directory)/dnsmasq.pid",
                "--log-facility=-",
            ] + extra
        return try ChildProcess.spawn(executable, Array(arguments.dropFirst()), output: "\(directory)/dnsmasq.log")
    }
}

/// Runs `body` with a dnsmasq serving `records`; always stops it.
func withDnsmasq<T>(
    _ records: [String: [String]], arguments: [String] = [], _ body: (Dnsmasq) async throws -> T
) async throws -> T {
    let dnsmasq = try await Dnsmasq.start(records, arguments: arguments)
    do {
        let result = try await body(dnsmasq)
        await dnsmasq.stop()
        return result
    } catch {
        await dnsmasq.stop()
        throw error
    }
}
