import MesosLayout

/// Every key Herald accepts, in the order DESIGN.md lists them. Adding a key means adding it here.
extension ConfigurationKey {
    static let all: [ConfigurationKey] = mantl + herald

    static let byName: [String: ConfigurationKey] = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })

    private static let mantl: [ConfigurationKey] = [
        .init(
            name: "mesos_mode", secret: false, apply: { c, v throws(KeyProblem) in c.mesosMode = try choice(v) },
            show: { $0.mesosMode.rawValue }),
        .init(
            name: "mesos_log_dir", secret: false, apply: { c, v throws(KeyProblem) in c.mesosLogDir = try path(v) },
            show: { quote($0.mesosLogDir) }),
        .init(
            name: "mesos_work_dir", secret: false, apply: { c, v throws(KeyProblem) in c.mesosWorkDir = try path(v) },
            show: { quote($0.mesosWorkDir) }),
        .init(
            name: "mesos_leader_port", secret: false,
            apply: { c, v throws(KeyProblem) in c.mesosLeaderPort = try v.int(1...65535, what: "a port") },
            show: { "\($0.mesosLeaderPort)" }),
        .init(
            name: "mesos_follower_port", secret: false,
            apply: { c, v throws(KeyProblem) in c.mesosFollowerPort = try v.int(1...65535, what: "a port") },
            show: { "\($0.mesosFollowerPort)" }),
        .init(
            name: "mesos_leader_cmd", secret: false,
            apply: { c, v throws(KeyProblem) in c.mesosLeaderCmd = try nonEmpty(v) }, show: { quote($0.mesosLeaderCmd) }
        ),
        .init(
            name: "mesos_follower_cmd", secret: false,
            apply: { c, v throws(KeyProblem) in c.mesosFollowerCmd = try nonEmpty(v) },
            show: { quote($0.mesosFollowerCmd) }),
        .init(
            name: "mesos_isolation", secret: false,
            apply: { c, v throws(KeyProblem) in c.mesosIsolation = try isolation(v) },
            show: { quote($0.mesosIsolation) }),
        .init(
            name: "mesos_attributes", secret: false,
            apply: { c, v throws(KeyProblem) in c.mesosAttributes = try mesosList(v, MesosSyntax.attributeProblem) },
            show: { $0.mesosAttributes.map(list) ?? "[node_id:HOSTNAME]  # default: this host's name" }),
        .init(
            name: "mesos_resources", secret: false,
            apply: { c, v throws(KeyProblem) in c.mesosResources = try mesosList(v, MesosSyntax.resourceProblem) },
            show: { list($0.mesosResources) }),
        .init(
            name: "mesos_cluster", secret: false,
            apply: { c, v throws(KeyProblem) in c.mesosCluster = try nonEmpty(v) }, show: { quote($0.mesosCluster) }),
        .init(
            name: "mesos_zk_hosts", secret: false, apply: { c, v throws(KeyProblem) in c.mesosZkHosts = try hosts(v) },
            show: { $0.mesosZkHosts.map(list) ?? "null  # resolve mesos_zk_dns" }),
        .init(
            name: "mesos_zk_dns", secret: false, apply: { c, v throws(KeyProblem) in c.mesosZkDns = try dnsName(v) },
            show: { quote($0.mesosZkDns) }),
        .init(
            name: "mesos_zk_port", secret: false,
            apply: { c, v throws(KeyProblem) in c.mesosZkPort = try v.int(1...65535, what: "a port") },
            show: { "\($0.mesosZkPort)" }),
        .init(
            name: "mesos_zk_chroot", secret: false,
            apply: { c, v throws(KeyProblem) in c.mesosZkChroot = try chroot(v) }, show: { quote($0.mesosZkChroot) }),
        .init(
            name: "mesos_credentials", secret: true,
            apply: { c, v throws(KeyProblem) in c.mesosCredentials = try credentials(v) },
            show: { credentials in
                "["
                    + credentials.mesosCredentials.map { "{principal: \(quote($0.principal)), secret: <redacted>}" }
                    .joined(separator: ", ") + "]"
            }),
        .init(
            name: "mesos_authenticate_frameworks", secret: false,
            apply: { c, v throws(KeyProblem) in c.mesosAuthenticateFrameworks = try v.bool(allowAuto: true) },
            show: { auto($0.mesosAuthenticateFrameworks, $0.authenticateFrameworks) }),
        .init(
            name: "mesos_authenticate_followers", secret: false,
            apply: { c, v throws(KeyProblem) in c.mesosAuthenticateFollowers = try v.bool(allowAuto: true) },
            show: { auto($0.mesosAuthenticateFollowers, $0.authenticateFollowers) }),
        .init(
            name: "mesos_follower_principal", secret: false,
            apply: { c, v throws(KeyProblem) in c.mesosFollowerPrincipal = try nonEmpty(v) },
            show: { quote($0.mesosFollowerPrincipal) }),
        .init(
            name: "mesos_follower_secret", secret: true,
            apply: { c, v throws(KeyProblem) in c.mesosFollowerSecret = try optional(v) },
            show: { redacted($0.mesosFollowerSecret) }),
        .init(
            name: "mesos_logging_level", secret: false,
            apply: { c, v throws(KeyProblem) in c.mesosLoggingLevel = try choice(v, uppercased: true) },
            show: { $0.mesosLoggingLevel.rawValue }),
    ]

    private static let herald: [ConfigurationKey] = [
        .init(
            name: "mesos_leaders", secret: false, apply: { c, v throws(KeyProblem) in c.mesosLeaders = try leaders(v) },
            show: { $0.mesosLeaders.map(list) ?? "null  # count the ZooKeeper hosts" }),
        .init(
            name: "herald_quorum", secret: false,
            apply: { c, v throws(KeyProblem) in c.heraldQuorum = try optionalInt(v, 1...99, what: "a quorum size") },
            show: { $0.heraldQuorum.map { "\($0)" } ?? "null  # floor(leaders/2)+1" }),
        .init(
            name: "herald_contend", secret: false,
            apply: { c, v throws(KeyProblem) in c.heraldContend = try v.bool(allowAuto: true) },
            show: { auto($0.heraldContend, $0.contends) }),
        .init(
            name: "herald_socket", secret: false,
            apply: { c, v throws(KeyProblem) in c.heraldSocket = try socketPath(v) }, show: { quote($0.heraldSocket) }),
        .init(
            name: "herald_socket_max_connections", secret: false,
            apply: { c, v throws(KeyProblem) in
                c.heraldSocketMaxConnections = try v.int(1...1_048_576, what: "a connection limit")
            }, show: { "\($0.heraldSocketMaxConnections)" }),
        .init(
            name: "herald_socket_idle_timeout_ms", secret: false,
            apply: { c, v throws(KeyProblem) in
                c.heraldSocketIdleTimeoutMs = try v.int(100...86_400_000, what: "an idle timeout in milliseconds")
            }, show: { "\($0.heraldSocketIdleTimeoutMs)" }),
        .init(
            name: "herald_advertise_ip", secret: false,
            apply: { c, v throws(KeyProblem) in c.heraldAdvertiseIp = try ipv4(v) },
            show: { $0.heraldAdvertiseIp.map(quote) ?? "null  # first non-loopback IPv4" }),
        .init(
            name: "herald_hostname", secret: false,
            apply: { c, v throws(KeyProblem) in c.heraldHostname = try optionalDNSName(v) },
            show: { $0.heraldHostname.map(quote) ?? "null  # this host's name" }),
        .init(
            name: "herald_session_timeout_ms", secret: false,
            apply: { c, v throws(KeyProblem) in
                c.heraldSessionTimeoutMs = try v.int(1000...600_000, what: "a session timeout in milliseconds")
            }, show: { "\($0.heraldSessionTimeoutMs)" }),
        .init(
            name: "herald_zk_user", secret: false,
            apply: { c, v throws(KeyProblem) in c.heraldZkUser = try optionalUser(v) },
            show: { $0.heraldZkUser.map(quote) ?? "null" }),
        .init(
            name: "herald_zk_secret", secret: true,
            apply: { c, v throws(KeyProblem) in c.heraldZkSecret = try optional(v) },
            show: { redacted($0.heraldZkSecret) }),
        .init(
            name: "herald_follower_list", secret: false,
            apply: { c, v throws(KeyProblem) in c.heraldFollowerList = try v.bool(allowAuto: true) },
            show: { auto($0.heraldFollowerList, $0.listsFollowers) }),
        .init(
            name: "herald_zk_path", secret: false,
            apply: { c, v throws(KeyProblem) in c.heraldZkPath = try optionalChroot(v) },
            show: { c in c.heraldZkPath.map { quote("/" + $0) } ?? "null  # \(c.heraldPaths.root)" }),
        .init(
            name: "herald_zk_dns_server", secret: false,
            apply: { c, v throws(KeyProblem) in c.heraldZkDnsServer = try dnsServer(v) },
            show: { $0.heraldZkDnsServer.map(quote) ?? "null  # system resolver" }),
        .init(
            name: "herald_dns_domain", secret: false,
            apply: { c, v throws(KeyProblem) in c.heraldDnsDomain = try dnsName(v) },
            show: { quote($0.heraldDnsDomain) }),
        .init(
            name: "herald_dns_service", secret: false,
            apply: { c, v throws(KeyProblem) in c.heraldDnsService = try dnsName(v) },
            show: { quote($0.heraldDnsService) }),
        .init(
            name: "herald_dns_listen", secret: false,
            apply: { c, v throws(KeyProblem) in c.heraldDnsListen = try dnsListen(v) },
            show: { quote($0.heraldDnsListen) }),
        .init(
            name: "herald_dns_ttl", secret: false,
            apply: { c, v throws(KeyProblem) in
                c.heraldDnsTtl = try v.int(0...86400, what: "a DNS TTL in seconds")
            }, show: { "\($0.heraldDnsTtl)" }),
        .init(
            name: "herald_metrics_listen", secret: false,
            apply: { c, v throws(KeyProblem) in c.heraldMetricsListen = try listenAddress(v) },
            show: { quote($0.heraldMetricsListen) }),
        .init(
            name: "herald_on_elected", secret: false,
            apply: { c, v throws(KeyProblem) in c.heraldOnElected = try optional(v) },
            show: { $0.heraldOnElected.map(quote) ?? "null" }),
        .init(
            name: "herald_on_demoted", secret: false,
            apply: { c, v throws(KeyProblem) in c.heraldOnDemoted = try optional(v) },
            show: { $0.heraldOnDemoted.map(quote) ?? "null" }),
        .init(
            name: "herald_on_leader_change", secret: false,
            apply: { c, v throws(KeyProblem) in c.heraldOnLeaderChange = try optional(v) },
            show: { $0.heraldOnLeaderChange.map(quote) ?? "null" }),
        .init(
            name: "herald_hook_timeout_ms", secret: false,
            apply: { c, v throws(KeyProblem) in
                c.heraldHookTimeoutMs = try v.int(100...3_600_000, what: "a hook timeout in milliseconds")
            }, show: { "\($0.heraldHookTimeoutMs)" }),
        .init(
            name: "herald_log_file", secret: false,
            apply: { c, v throws(KeyProblem) in c.heraldLogFile = try optionalPath(v) },
            show: { $0.heraldLogFile.map(quote) ?? "null  # stderr only" }),
    ]
}
