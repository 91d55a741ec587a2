import ArgumentParser
import DNS
import HeraldConfig
import HeraldService
import Logging
import MesosLayout
import MesosZooKeeper
import ZooKeeper

/// `herald bootstrap`: create and secure the Mesos chroot and Herald's own path, report what
/// would break Mesos or its other readers, and (`--migrate`) remove what older versions left
/// inside the chroot.
struct BootstrapCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bootstrap",
        abstract: "Create the Mesos chroot and Herald's own path with Mesos' ACLs; report children that break readers.",
        discussion: """
            Idempotent. It creates the Mesos base path (mesos_zk_chroot) and Herald's path \
            (herald_zk_path, default /herald/<mesos_cluster>) with the same ACL. An existing node whose \
            ACL differs is reported and left alone unless --fix-acl is given. It deletes nothing unless \
            --migrate is given: then the <base>/herald node that older versions kept inside the Mesos \
            chroot is removed, once no host is registered there any more. Exit codes: 0 as wanted, 1 an \
            ACL differs (not fixed) or --migrate could not remove the old node yet, 2 configuration \
            error, 3 ZooKeeper unreachable or refused the change.
            """)

    @OptionGroup var options: ConfigOptions

    @Flag(help: "Replace a differing ACL on the existing chroot and on Herald's path.")
    var fixACL = false

    @Flag(
        help: "Remove <base>/herald, left inside the Mesos chroot by older versions, once no host is registered there.")
    var migrate = false

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
        let credentials = configuration.zooKeeperCredentials
        let acl = ChrootBootstrap.desiredACL(user: configuration.heraldZkUser, secret: configuration.heraldZkSecret)
        let report: ChrootBootstrap.Report
        var migration: ChrootBootstrap.Migration?
        let paths = configuration.heraldPaths
        do {
            let client = try await ZooKeeperClient.connect(
                ZooKeeperConfiguration(
                    servers: servers, sessionTimeout: .milliseconds(configuration.heraldSessionTimeoutMs),
                    connectTimeout: .seconds(timeout), credentials: credentials),
                logger: logger)
            do {
                if migrate { migration = try await ChrootBootstrap.migrate(client: client, paths: paths) }
                report = try await ChrootBootstrap.run(client: client, paths: paths, acl: acl, fixACL: fixACL)
            } catch {
                await client.close()
                throw error
            }
            await client.close()
        } catch {
            throw HeraldExit(code: ExitCode(3), message: "bootstrap \(configuration.basePath): \(error)")
        }
        for path in report.created { print("created \(path)") }
        for path in [configuration.basePath, paths.followers] where !report.created.contains(path) {
            print("exists  \(path)")
        }
        print(Self.aclLine(configuration.basePath, report.acl, acl))
        print(Self.aclLine(paths.root, report.heraldACL, acl))
        var unfinished = false
        switch migration {
        case nil, .nothingToDo?:
            break
        case .removed(let nodes)?:
            for node in nodes { print("removed \(node)") }
        case .stillRegistered(let hosts)?:
            unfinished = true
            print(
                "kept    \(paths.legacyRoot): \(hosts.count) host(s) still registered by an older version "
                    + "(\(hosts.joined(separator: ", "))); upgrade them, then run --migrate again")
        case .foreign(let nodes)?:
            unfinished = true
            print("kept    \(paths.legacyRoot): it holds nodes Herald never wrote (\(nodes.joined(separator: ", ")))")
        }
        for hazard in report.hazards { print("hazard  \(hazard)") }
        if case .differs = report.acl { throw ExitCode.failure }
        if case .differs = report.heraldACL { throw ExitCode.failure }
        if unfinished { throw ExitCode.failure }
    }

    private static func aclLine(_ path: String, _ state: ChrootBootstrap.ACLState, _ acl: [ACL]) -> String {
        let want = acl.map(\.description).joined(separator: ",")
        switch state {
        case .matches:
            return "acl     \(path) \(want)"
        case .fixed(let previous):
            return "acl     \(path) fixed: was \(previous.map(\.description).joined(separator: ",")), now \(want)"
        case .differs(let current, _):
            return
                "acl     \(path) DIFFERS: is \(current.map(\.description).joined(separator: ",")), want \(want) (run with --fix-acl to change it)"
        }
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
