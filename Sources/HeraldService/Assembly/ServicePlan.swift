public import Discovery
import Foundation
public import HeraldConfig
import HeraldSupport
public import MesosLayout
import MesosZooKeeper
public import ZooKeeper

/// What `herald serve` runs, derived once from the configuration: a pure value, so that every
/// mode's assembly is unit-tested without starting anything (DESIGN.md "Modes").
public struct ServicePlan: Sendable {
    public var mode: HeraldConfiguration.Mode
    /// This host writes a candidate node (`leader`/`mixed`, unless `herald_contend: false`).
    public var candidate: MasterInfo?
    /// This host registers under `paths.followers` (`follower`/`mixed`).
    public var registration: FollowerDirectory.Registration?
    public var hostname: String
    public var zooKeeper: ZooKeeperConfiguration
    /// The ensemble as published under `zookeeper.service.<domain>`: the `ip:port` entries of
    /// the server list (names are published as given).
    public var zooKeeperHosts: [Snapshot.Endpoint]
    public var basePath: String
    /// Herald's own znodes, outside the base path (`herald_zk_path`).
    public var paths: HeraldPaths
    /// Whether this host reads the follower list (`herald_follower_list`).
    public var listsFollowers: Bool
    /// Whether the follower directory runs: not on a host that contends (where it would open a
    /// session of its own) and has nothing to do there, neither registering nor reading the list.
    public var runsFollowerDirectory: Bool { candidate == nil || registration != nil || listsFollowers }
    public var required: Int
    /// The ACL of the base path and of Herald's nodes (Mesos': open, or world-read plus the
    /// digest identity).
    public var acl: [ACL]
    public var socketPath: String
    /// `herald_socket_max_connections`.
    public var socketMaximumConnections: Int
    /// `herald_socket_idle_timeout_ms`.
    public var socketIdleTimeout: Duration
    /// `herald_metrics_listen` split, nil when off.
    public var metrics: (host: String, port: Int)?
    public var cluster: String
    public var names: DNSNames
    public var hooks: Hooks
    public var sessionTimeout: Duration

    public struct Hooks: Hashable, Sendable {
        public var onElected: String?
        public var onDemoted: String?
        public var onLeaderChange: String?
        public var timeout: Duration
    }

    /// - Parameters:
    ///   - servers: the connect string (`mesos_zk_hosts`, or the resolved `mesos_zk_dns`).
    ///   - candidateID: the MasterInfo id of this process' candidate (a fresh UUID per process,
    ///     as a Mesos master has).
    public init(
        configuration: HeraldConfiguration, host: HostFacts, servers: String,
        candidateID: String? = nil
    ) {
        let candidateID = candidateID ?? UUID().uuidString.lowercased()
        mode = configuration.mesosMode
        hostname = host.hostname
        let timeout = Duration.milliseconds(configuration.heraldSessionTimeoutMs)
        sessionTimeout = timeout
        zooKeeper = ZooKeeperConfiguration(
            servers: servers, sessionTimeout: timeout, credentials: configuration.zooKeeperCredentials)
        let entries = servers.split(separator: ",").map(String.init)
        zooKeeperHosts = entries.compactMap(Self.endpoint)
        basePath = configuration.basePath
        paths = configuration.heraldPaths
        listsFollowers = configuration.listsFollowers
        required = configuration.quorum(zooKeeperHostCount: max(entries.count, 1))
        acl = ChrootBootstrap.desiredACL(user: configuration.heraldZkUser, secret: configuration.heraldZkSecret)
        candidate =
            configuration.contends
            ? MasterInfo(
                id: candidateID, ipv4: host.ipv4, port: configuration.mesosLeaderPort, hostname: host.hostname,
                version: nil)
            : nil
        registration =
            configuration.registersFollower
            ? FollowerDirectory.Registration(
                hostname: host.hostname, ip: host.ipv4, port: configuration.mesosFollowerPort,
                attributes: configuration.attributes(hostname: host.hostname), resources: configuration.mesosResources)
            : nil
        socketPath = configuration.heraldSocket
        socketMaximumConnections = configuration.heraldSocketMaxConnections
        socketIdleTimeout = .milliseconds(configuration.heraldSocketIdleTimeoutMs)
        metrics = Self.listenAddress(configuration.heraldMetricsListen)
        cluster = configuration.mesosCluster
        names = DNSNames(domain: configuration.heraldDnsDomain, service: configuration.heraldDnsService)
        hooks = Hooks(
            onElected: configuration.heraldOnElected, onDemoted: configuration.heraldOnDemoted,
            onLeaderChange: configuration.heraldOnLeaderChange,
            timeout: .milliseconds(configuration.heraldHookTimeoutMs))
    }

    /// The `self.mode` of snapshots.
    public var publisherMode: Snapshot.Publisher.Mode {
        switch mode {
        case .leader: .leader
        case .follower: .follower
        case .mixed: .mixed
        }
    }

    /// `host:port` → its parts; IPv6 in brackets. Nil for empty (off) or malformed (the loader
    /// has validated the value already).
    static func listenAddress(_ value: String) -> (host: String, port: Int)? {
        guard !value.isEmpty, let parts = try? HostPort.split(value), let port = parts.port(in: 0...65535) else {
            return nil
        }
        return (parts.host, port)
    }

    /// `ip:port` → an endpoint; `[v6]:port` too.
    static func endpoint(_ entry: String) -> Snapshot.Endpoint? {
        listenAddress(entry.trimmingCharacters(in: .whitespaces)).map { Snapshot.Endpoint(ip: $0.host, port: $0.port) }
    }
}
