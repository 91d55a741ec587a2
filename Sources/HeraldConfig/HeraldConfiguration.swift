public import MesosLayout

/// Herald's configuration: the Mantl variables (same names, same defaults) plus Herald's own
/// `herald_` keys. Built once at start-up by `ConfigurationLoader` and handed down as a value.
public struct HeraldConfiguration: Hashable, Sendable {
    public enum Mode: String, Hashable, Sendable, CaseIterable {
        case leader
        case follower
        case mixed
    }

    /// `mesos_logging_level`: the levels Mantl allowed (Mesos' glog levels).
    public enum LoggingLevel: String, Hashable, Sendable, CaseIterable {
        case info = "INFO"
        case warning = "WARNING"
        case error = "ERROR"
    }

    /// One entry of `mesos_credentials`.
    public struct Credential: Hashable, Sendable, CustomStringConvertible {
        public var principal: String
        public var secret: String

        public init(principal: String, secret: String) {
            self.principal = principal
            self.secret = secret
        }

        public var description: String { "\(principal):<redacted>" }
    }

    // MARK: Mantl variables
    public var mesosMode: Mode = .follower
    public var mesosLogDir = "/var/log/mesos"
    public var mesosWorkDir = "/var/run/mesos"
    public var mesosLeaderPort = 5050
    public var mesosFollowerPort = 5051
    public var mesosLeaderCmd = "mesos-master"
    public var mesosFollowerCmd = "mesos-slave"
    public var mesosIsolation = "cgroups/cpu,cgroups/mem"
    /// Nil means Mantl's default, `node_id:<host name>`.
    public var mesosAttributes: [String]?
    public var mesosResources = [
        "ports(*):[4000-5000, 7000-8000, 9000-10000, 25000-26000, 31000-32000]"
    ]
    public var mesosCluster = "mantl"
    /// `host:port` entries; nil means "resolve `mesos_zk_dns`".
    public var mesosZkHosts: [String]?
    public var mesosZkDns = "zookeeper.service.consul"
    public var mesosZkPort = 2181
    public var mesosZkChroot = "mesos"
    public var mesosCredentials: [Credential] = []
    /// Nil means automatic: true exactly when `mesos_credentials` is not empty.
    public var mesosAuthenticateFrameworks: Bool?
    /// Nil means automatic: true exactly when `mesos_follower_secret` is set.
    public var mesosAuthenticateFollowers: Bool?
    public var mesosFollowerPrincipal = "follower"
    public var mesosFollowerSecret: String?
    public var mesosLoggingLevel: LoggingLevel = .warning

    // MARK: Herald's keys
    public var mesosLeaders: [String]?
    public var heraldQuorum: Int?
    public var heraldContend: Bool?
    public var heraldSocket = "/run/herald/herald.sock"
    /// Most local socket connections open at once; more are refused.
    public var heraldSocketMaxConnections = 512
    /// How long a local connection that is not watching may stay silent before it is closed.
    public var heraldSocketIdleTimeoutMs = 30000
    /// Nil means the first non-loopback IPv4 address of this host.
    public var heraldAdvertiseIp: String?
    /// Nil means this host's name.
    public var heraldHostname: String?
    public var heraldSessionTimeoutMs = 10000
    public var heraldZkUser: String?
    public var heraldZkSecret: String?
    /// Nil means automatic: read the follower list unless this is a follower host without a DNS
    /// responder (see `listsFollowers`).
    public var heraldFollowerList: Bool?
    /// Herald's own znodes, without the leading `/`; nil means `herald/<mesos_cluster>`.
    public var heraldZkPath: String?
    public var heraldZkDnsServer: String?
    public var heraldDnsDomain = "consul"
    public var heraldDnsService = "mesos"
    public var heraldDnsListen = ""
    /// TTL in seconds of the DNS responder's answers (0, as Consul's for services).
    public var heraldDnsTtl = 0
    public var heraldMetricsListen = "127.0.0.1:9150"
    public var heraldOnElected: String?
    public var heraldOnDemoted: String?
    public var heraldOnLeaderChange: String?
    public var heraldHookTimeoutMs = 10000
    public var heraldLogFile: String?

    public init() {}
}

extension HeraldConfiguration {
    /// Whether this host contends for leadership (`herald_contend`, default by mode).
    public var contends: Bool { heraldContend ?? (mesosMode != .follower) }

    /// Whether this host registers itself as a follower.
    public var registersFollower: Bool { mesosMode != .leader }

    public var authenticateFrameworks: Bool { mesosAuthenticateFrameworks ?? !mesosCredentials.isEmpty }

    public var authenticateFollowers: Bool { mesosAuthenticateFollowers ?? (mesosFollowerSecret != nil) }

    /// Whether this host reads and follows the follower list (`herald_follower_list`): by
    /// default leader and mixed hosts do, and so does a host that answers DNS; a follower host
    /// without a local use for the list only registers, so that a join costs the cluster a read
    /// on a few hosts, not on every host.
    public var listsFollowers: Bool { heraldFollowerList ?? (mesosMode != .follower || !heraldDnsListen.isEmpty) }

    /// The chroot as an absolute znode path, e.g. `/mesos`.
    public var basePath: String { "/" + mesosZkChroot }

    /// Herald's own znodes (`herald_zk_path`, default `/herald/<mesos_cluster>`), outside the
    /// Mesos base path, and the legacy location inside it.
    public var heraldPaths: HeraldPaths {
        HeraldPaths(
            mesosBase: basePath,
            root: heraldZkPath.map { "/" + $0 } ?? HeraldPaths.defaultRoot(cluster: mesosCluster))
    }

    /// `mesos_attributes` with Mantl's default filled in for `hostname`.
    public func attributes(hostname: String) -> [String] {
        mesosAttributes ?? ["node_id:\(hostname)"]
    }

    /// The quorum of leader hosts: `herald_quorum`, else floor(N/2)+1 with N the number of
    /// leader hosts (`mesos_leaders`, else the ZooKeeper hosts, which Mantl co-locates).
    public func quorum(zooKeeperHostCount: Int) -> Int {
        if let heraldQuorum { return heraldQuorum }
        let leaders = mesosLeaders?.count ?? zooKeeperHostCount
        return max(leaders, 1) / 2 + 1
    }
}
