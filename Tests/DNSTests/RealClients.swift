import Foundation
import HeraldTestSupport
import NIOConcurrencyHelpers
import Testing

@testable import DNS

#if canImport(Glibc)
    import Glibc
#endif

/// The clients and forwarders a host really uses, run as they are: `dig` (bind9-dnsutils),
/// `dnspython` (python3-dnspython), `dnsmasq` and `unbound` forwarding the subdomain. `Tests/run.sh`
/// installs them.
enum RealClients {
    static let digPath = "/usr/bin/dig"
    static let pythonPath = "/usr/bin/python3"

    /// `dig`'s full output for one query to 127.0.0.1:`port`.
    static func dig(port: Int, _ name: String, _ type: String = "A", _ options: [String] = []) async throws -> String {
        try require(digPath, package: "bind9-dnsutils")
        let result = try await ChildProcess.run(
            digPath, ["@127.0.0.1", "-p", "\(port)", "+tries=1", "+timeout=3"] + options + [name, type])
        return result.output
    }

    /// The answer section of `dig +short`, sorted.
    static func short(port: Int, _ name: String, _ type: String = "A", _ options: [String] = []) async throws
        -> [String]
    {
        let output = try await dig(port: port, name, type, ["+short"] + options)
        return output.split(separator: "\n").map(String.init).filter { !$0.hasPrefix(";") }.sorted()
    }

    /// Runs a dnspython script with `PORT` set; returns its standard output and error.
    static func python(port: Int, _ script: String) async throws -> String {
        try require(pythonPath, package: "python3")
        let check = try await ChildProcess.run(pythonPath, ["-c", "import dns.resolver"])
        guard check.status == 0 else {
            throw SetupError("dnspython is missing: install Debian's python3-dnspython (Tests/run.sh does)")
        }
        let result = try await ChildProcess.run(pythonPath, ["-c", script], environment: ["PORT": "\(port)"])
        guard result.status == 0 else { throw SetupError("the dnspython script failed: \(result.output)") }
        return result.output
    }

    static func require(_ path: String, package: String) throws {
        guard access(path, X_OK) == 0 else {
            throw SetupError("\(path) not found: install Debian's \(package) (Tests/run.sh does)")
        }
    }

    /// A loopback port that was free a moment ago for both UDP and TCP.
    static func freePort() throws -> Int {
        for _ in 0..<20 {
            let udp = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
            let tcp = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer {
                close(udp)
                close(tcp)
            }
            guard bind(udp, port: 0) else { continue }
            var address = sockaddr_in()
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(udp, $0, &length) }
            }
            let port = Int(UInt16(bigEndian: address.sin_port))
            if bind(tcp, port: port) { return port }
        }
        throw SetupError("no free loopback port for both UDP and TCP")
    }

    private static func bind(_ fd: Int32, port: Int) -> Bool {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}

/// A responder on a free loopback port whose zone the test changes.
final class TestResponder: Sendable {
    let zone: NIOLockedValueBox<DNSZone>
    let responder: DNSResponder
    var port: Int { responder.port }

    private init(zone: NIOLockedValueBox<DNSZone>, responder: DNSResponder) {
        self.zone = zone
        self.responder = responder
    }

    func set(_ zone: DNSZone) { self.zone.withLockedValue { $0 = zone } }

    /// Runs `body` with a responder answering from `zone`; always stops it.
    static func with<T: Sendable>(
        _ zone: DNSZone = Fixture.zone(), _ body: @escaping @Sendable (TestResponder) async throws -> T
    ) async throws -> T {
        let box = NIOLockedValueBox(zone)
        return try await Fixture.serving(zone: { box.withLockedValue { $0 } }) { responder in
            try await body(TestResponder(zone: box, responder: responder))
        }
    }
}

/// dnsmasq or unbound in the foreground on a free port, with its own directory; stopped by
/// `stop()`. The directories are named `/tmp/herald-<program>-<test pid>-…`, so that
/// `Tests/run.sh` can end what a crashed test process left behind.
final class Forwarder: Sendable {
    let program: String
    let port: Int
    let pid: pid_t
    let directory: String

    private init(program: String, port: Int, pid: pid_t, directory: String) {
        self.program = program
        self.port = port
        self.pid = pid
        self.directory = directory
    }

    var log: String { (try? String(contentsOfFile: "\(directory)/\(program).log", encoding: .utf8)) ?? "" }

    /// dnsmasq forwarding `mesos.service.consul` to Herald and the rest of `consul` to Consul,
    /// as the README tells a host to.
    static func dnsmasq(herald: Int, consul: Int) async throws -> Forwarder {
        try await start("dnsmasq", executable: "/usr/sbin/dnsmasq", package: "dnsmasq-base") { port, directory in
            [
                "--keep-in-foreground", "--no-resolv", "--no-hosts", "--conf-file=/dev/null", "--port=\(port)",
                "--listen-address=127.0.0.1", "--bind-interfaces", "--pid-file=\(directory)/dnsmasq.pid",
                "--log-facility=-", "--server=/mesos.service.consul/127.0.0.1#\(herald)",
                "--server=/consul/127.0.0.1#\(consul)",
            ]
        }
    }

    /// unbound with a `forward-zone` for `mesos.service.consul` to Herald, and one for the rest of
    /// `consul` to Consul.
    static func unbound(herald: Int, consul: Int) async throws -> Forwarder {
        try await start("unbound", executable: "/usr/sbin/unbound", package: "unbound") { port, directory in
            let config = """
                server:
                    interface: 127.0.0.1
                    port: \(port)
                    do-daemonize: no
                    username: ""
                    chroot: ""
                    directory: "\(directory)"
                    pidfile: "\(directory)/unbound.pid"
                    use-syslog: no
                    logfile: ""
                    do-ip6: no
                    num-threads: 1
                    access-control: 127.0.0.0/8 allow
                    do-not-query-localhost: no
                    domain-insecure: "consul"
                    module-config: "iterator"
                forward-zone:
                    name: "mesos.service.consul"
                    forward-addr: 127.0.0.1@\(herald)
                forward-zone:
                    name: "consul"
                    forward-addr: 127.0.0.1@\(consul)

                """
            try config.write(toFile: "\(directory)/unbound.conf", atomically: true, encoding: .utf8)
            return ["-d", "-c", "\(directory)/unbound.conf"]
        }
    }

    private static func start(
        _ program: String, executable: String, package: String, arguments: (Int, String) throws -> [String]
    ) async throws -> Forwarder {
        try RealClients.require(executable, package: package)
        let directory = "/tmp/herald-\(program)-\(getpid())-\(UUID().uuidString.prefix(6).lowercased())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var lastLog = ""
        // A free port is only free until someone takes it: a few tries.
        for _ in 0..<5 {
            let port = try RealClients.freePort()
            let pid = try ChildProcess.spawn(
                executable, try arguments(port, directory), output: "\(directory)/\(program).log")
            let forwarder = Forwarder(program: program, port: port, pid: pid, directory: directory)
            do {
                try await forwarder.waitUntilAnswering()
                return forwarder
            } catch {
                lastLog = forwarder.log
                await forwarder.stop(removingDirectory: false)
            }
        }
        try? FileManager.default.removeItem(atPath: directory)
        throw SetupError("\(program) did not start; its log: \(lastLog)")
    }

    /// Until it answers anything at all (a name outside every zone it knows: REFUSED or SERVFAIL
    /// are answers too), within 10 s.
    private func waitUntilAnswering() async throws {
        let port = port
        let pid = pid
        let program = program
        try await within(.seconds(10), "\(program) on port \(port) to answer") {
            while true {
                var status: Int32 = 0
                if waitpid(pid, &status, WNOHANG) == pid { throw SetupError("\(program) exited at start") }
                let output = try await RealClients.dig(port: port, "ready.mesos.service.consul", "A", ["+timeout=1"])
                if output.contains("status:") { return }
                try await Task.sleep(for: .milliseconds(50))
            }
        }
    }

    /// SIGTERM, SIGKILL after 5 s; always reaps.
    func stop(removingDirectory: Bool = true) async {
        kill(pid, SIGTERM)
        let deadline = ContinuousClock.now + .seconds(5)
        var status: Int32 = 0
        while waitpid(pid, &status, WNOHANG) == 0 {
            if ContinuousClock.now >= deadline {
                kill(pid, SIGKILL)
                _ = await ChildProcess.reap(pid)
                break
            }
            try? await Task.sleep(for: .milliseconds(10))
        }
        if removingDirectory { try? FileManager.default.removeItem(atPath: directory) }
    }

    /// Runs `body` with the forwarder; always stops it.
    static func with<T>(_ forwarder: Forwarder, _ body: (Forwarder) async throws -> T) async throws -> T {
        do {
            let result = try await body(forwarder)
            await forwarder.stop()
            return result
        } catch {
            print("---- \(forwarder.program) log:\n\(forwarder.log.suffix(2000))")
            await forwarder.stop()
            throw error
        }
    }
}
