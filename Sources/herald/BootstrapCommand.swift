import ArgumentParser
import DNS
import HeraldConfig
import Logging
import MesosLayout
import ZooKeeper

/// `herald bootstrap`: create and secure the Mesos chroot, report what would break Mesos.
struct BootstrapCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bootstrap",
        abstract: "Create the Mesos chroot with Mesos' ACLs and report children that would break Mesos.",
        discussion: """
            Idempotent and never deletes anything. An existing chroot whose ACL differs is reported \
            and left alone unless --fix-acl is given. Exit codes: 0 the chroot is as wanted, 1 its ACL \
            differs (not fixed), 2 configuration error, 3 ZooKeeper unreachable or refused the change.
            """)

    @OptionGroup var options: ConfigOptions

    @Flag(help: "Replace a differing ACL on the existing chroot.")
    var fixACL = false

    @Option(help: "Seconds to wait for a ZooKeeper session.")
    var timeout = 15

    func run() async throws {
        let configuration = try options.load()
        var logger = Logger(label: "herald.bootstrap")
        logger.logLevel = .warning
        // A one-shot command reports its own outcome in one line; the C client's retry chatter
        // (one line per refused connection) would bury it.
        var cLogger = logger
        cLogger.logLevel = .critical
        ZooKeeperClient.bootstrapLogging(cLogger)
        let servers = try await Self.servers(configuration)
        var credentials: ZooKeeperConfiguration.DigestCredentials?
        if let user = configuration.heraldZkUser, let secret = configuration.heraldZkSecret {
            credentials = .init(user: user, secret: secret)
        }
        let acl = ChrootBootstrap.desiredACL(user: configuration.heraldZkUser, secret: configuration.heraldZkSecret)
        let report: ChrootBootstrap.Report
        do {
            let client = try await ZooKeeperClient.connect(
                ZooKeeperConfiguration(
                    servers: servers, sessionTimeout: .milliseconds(configuration.heraldSessionTimeoutMs),
                    connectTimeout: .seconds(timeout), credentials: credentials),
                logger: logger)
            do {
                report = try await ChrootBootstrap.run(
                    client: client, basePath: configuration.basePath, acl: acl, fixACL: fixACL)
            } catch {
                await client.close()
                throw error
            }
            await client.close()
        } catch {
            throw HeraldExit(code: ExitCode(3), message: "bootstrap \(configuration.basePath): \(error)")
        }
        for path in report.created { print("created \(path)") }
        if report.created.isEmpty { print("exists  \(configuration.basePath)") }
        switch report.acl {
        case .matches:
            print("acl     \(acl.map(\.description).joined(separator: ","))")
        case .fixed(let previous):
            print(
                "acl     fixed: was \(previous.map(\.description).joined(separator: ",")), now \(acl.map(\.description).joined(separator: ","))"
            )
        case .differs(let current, let desired):
            print(
                "acl     DIFFERS: is \(current.map(\.description).joined(separator: ",")), want \(desired.map(\.description).joined(separator: ",")) (run with --fix-acl to change it)"
            )
        }
        for hazard in report.hazards { print("hazard  \(hazard)") }
        if case .differs = report.acl { throw ExitCode.failure }
    }

    /// The ensemble to connect to: `mesos_zk_hosts`, else `mesos_zk_dns` resolved by the C client
    /// (system resolver) or, with `herald_zk_dns_server`, by that DNS server.
    static func servers(_ configuration: HeraldConfiguration) async throws -> String {
        guard configuration.mesosZkHosts == nil, let server = configuration.heraldZkDnsServer else {
            // The loader has validated the URL, so it builds here.
            return (try? configuration.zooKeeperURL().connectString) ?? ""
        }
        do {
            let list = ZooKeeperHostList(
                hosts: nil, dnsName: configuration.mesosZkDns, port: configuration.mesosZkPort,
                resolver: try DNSResolver(server: server))
            return try await list.connectString()
        } catch {
            throw HeraldExit(code: ExitCode(3), message: "bootstrap: cannot resolve ZooKeeper hosts: \(error)")
        }
    }
}
