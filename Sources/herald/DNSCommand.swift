import ArgumentParser
import Discovery

/// `herald dns`: print the Consul-style DNS mappings of the current snapshot.
struct DNSCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dns",
        abstract: "Print the Consul-style DNS mappings (leader.mesos.service.consul, ...).",
        discussion: """
            Without NAME: one `NAME IP:PORT` line per answer. With NAME: its answers as `IP:PORT` \
            lines (exit 1 when it has none). With --hosts: hosts-file lines `IP NAME` (SRV names, which \
            start with an underscore, are left out). Exit code 3 when the socket cannot be reached.
            """)

    @Argument(help: "Only this name, e.g. leader.mesos.service.consul.")
    var name: String?

    @OptionGroup var socket: SocketOptions

    @Flag(help: "Print hosts-file lines: IP NAME.")
    var hosts = false

    @Option(help: "Seconds to wait for an answer.")
    var timeout: Double = 5

    func run() async throws {
        guard timeout > 0, timeout.isFinite else {
            throw HeraldExit(code: .usage, message: "dns: --timeout must be a positive number")
        }
        let snapshot: Snapshot
        do {
            snapshot = try await socket.client(timeout: .milliseconds(Int64(timeout * 1000))).current()
        } catch {
            throw HeraldExit.socket("dns", error)
        }
        var names = snapshot.dns.keys.sorted()
        if let name {
            let wanted = DNSNames.normalized(name)
            guard snapshot.dns[wanted] != nil else {
                throw HeraldExit(code: .failure, message: "dns: \(name) is not one of \(names.joined(separator: ", "))")
            }
            names = [wanted]
        }
        var lines: [String] = []
        for record in names {
            let answers = snapshot.dns[record] ?? []
            for answer in answers {
                if hosts {
                    if !record.hasPrefix("_") { lines.append("\(answer.ip) \(record)") }
                } else if name != nil {
                    lines.append("\(answer.ip):\(answer.port)")
                } else {
                    lines.append("\(record) \(answer.ip):\(answer.port)")
                }
            }
        }
        if name != nil, lines.isEmpty {
            throw HeraldExit(
                code: .failure, message: "dns: \(names[0]) has no answers (state \(snapshot.state.rawValue))")
        }
        if !lines.isEmpty { StandardOutput.write(lines.joined(separator: "\n") + "\n") }
    }
}
