import Foundation
import MesosLayout
import Testing

@testable import HeraldConfig

@Suite("Configuration: Mantl variables, layers, one-line errors")
struct ConfigurationTests {
    /// Writes `yaml` to a temporary file and loads it with the given environment and overrides.
    func load(
        _ yaml: String, environment: [String: String] = [:], overrides: [String] = []
    ) throws(ConfigurationErrors) -> HeraldConfiguration {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("herald-\(UUID()).yml").path
        _ = FileManager.default.createFile(atPath: path, contents: Data(yaml.utf8))
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try ConfigurationLoader.load(file: path, environment: environment, overrides: overrides)
    }

    /// The error lines of a load that must fail, without the temporary file's name.
    func errors(_ yaml: String, environment: [String: String] = [:], overrides: [String] = []) -> [String] {
        do {
            _ = try load(yaml, environment: environment, overrides: overrides)
            return []
        } catch {
            return error.errors.map { "\($0.key): \($0.message)" }
        }
    }

    @Test("an empty file gives Mantl's defaults")
    func defaults() throws {
        let c = try load("")
        #expect(c.mesosMode == .follower)
        #expect(c.mesosLogDir == "/var/log/mesos")
        #expect(c.mesosWorkDir == "/var/run/mesos")
        #expect(c.mesosLeaderPort == 5050)
        #expect(c.mesosFollowerPort == 5051)
        #expect(c.mesosLeaderCmd == "mesos-master")
        #expect(c.mesosFollowerCmd == "mesos-slave")
        #expect(c.mesosIsolation == "cgroups/cpu,cgroups/mem")
        #expect(c.attributes(hostname: "h1") == ["node_id:h1"])
        #expect(c.mesosResources == ["ports(*):[4000-5000, 7000-8000, 9000-10000, 25000-26000, 31000-32000]"])
        #expect(c.mesosCluster == "mantl")
        #expect(c.mesosZkHosts == nil)
        #expect(c.mesosZkDns == "zookeeper.service.consul")
        #expect(c.mesosZkPort == 2181)
        #expect(c.mesosZkChroot == "mesos")
        #expect(c.basePath == "/mesos")
        #expect(c.mesosCredentials.isEmpty)
        #expect(!c.authenticateFrameworks)
        #expect(!c.authenticateFollowers)
        #expect(c.mesosFollowerPrincipal == "follower")
        #expect(c.mesosLoggingLevel == .warning)
        #expect(!c.contends)
        #expect(c.heraldSocket == "/run/herald/herald.sock")
        #expect(c.heraldSocketMaxConnections == 512)
        #expect(c.heraldSocketIdleTimeoutMs == 30000)
        #expect(c.heraldSessionTimeoutMs == 10000)
        #expect(c.heraldMetricsListen == "127.0.0.1:9150")
        #expect(c.heraldDnsListen.isEmpty)
        #expect(c.heraldHookTimeoutMs == 10000)
        #expect(c.quorum(zooKeeperHostCount: 3) == 2)
        #expect(c.quorum(zooKeeperHostCount: 5) == 3)
        #expect(c.quorum(zooKeeperHostCount: 1) == 1)
    }

    @Test("the automatic settings follow the credentials and the mode")
    func automaticSettings() throws {
        let c = try load(
            """
            mesos_mode: mixed
            mesos_follower_port: 5052
            mesos_credentials:
              - principal: marathon
                secret: abc
            mesos_follower_secret: xyz
            mesos_leaders: [m1, m2, m3, m4, m5]
            """)
        #expect(c.contends)
        #expect(c.registersFollower)
        #expect(c.authenticateFrameworks)
        #expect(c.authenticateFollowers)
        #expect(c.quorum(zooKeeperHostCount: 1) == 3)
        let observer = try load("mesos_mode: leader\nherald_contend: false")
        #expect(!observer.contends)
    }

    @Test("environment variables override the file and --set overrides both")
    func layers() throws {
        let yaml = "mesos_cluster: from-file\nmesos_leader_port: 5000"
        let c = try load(
            yaml,
            environment: ["HERALD_MESOS_CLUSTER": "from-env", "HERALD_MESOS_LEADER_PORT": "6000", "PATH": "/bin"],
            overrides: ["mesos_leader_port=7000"])
        #expect(c.mesosCluster == "from-env")
        #expect(c.mesosLeaderPort == 7000)
        let lists = try load(
            "", environment: ["HERALD_MESOS_ZK_HOSTS": "a:2181,b:2181", "HERALD_MESOS_ATTRIBUTES": "rack:r1;zone:z2"])
        #expect(lists.mesosZkHosts == ["a:2181", "b:2181"])
        #expect(lists.mesosAttributes == ["rack:r1", "zone:z2"])
        let flow = try load("", overrides: [#"mesos_resources=["cpus:4", "ports(*):[1-2, 5-9]"]"#])
        #expect(flow.mesosResources == ["cpus:4", "ports(*):[1-2, 5-9]"])
    }

    @Test(
        "each kind of mistake gives one line naming the key, the value and what is allowed",
        arguments: [
            ("mesos_mode: boss", "mesos_mode: 'boss' is not one of leader, follower, mixed"),
            ("mesos_leader_port: 70000", "mesos_leader_port: '70000' is not a port (1-65535)"),
            ("mesos_follower_port: http", "mesos_follower_port: 'http' is not a port (1-65535)"),
            ("mesos_logging_level: DEBUG", "mesos_logging_level: 'DEBUG' is not one of INFO, WARNING, ERROR"),
            ("mesos_log_dir: var/log", "mesos_log_dir: 'var/log' is not an absolute path"),
            (
                "mesos_zk_chroot: /mesos/",
                "mesos_zk_chroot: 'mesos/' is not a znode path below / (no empty segments, no trailing /)"
            ),
            ("mesos_zk_chroot: zookeeper/x", "mesos_zk_chroot: 'zookeeper/x': /zookeeper is reserved by ZooKeeper"),
            ("mesos_zk_hosts: zk1:99999", "mesos_zk_hosts: 'zk1:99999': '99999' is not a port (1-65535)"),
            (
                "mesos_zk_hosts: [zk_1!:2181]",
                "mesos_zk_hosts: 'zk_1!:2181': 'zk_1!' is not a host name or IPv4 address"
            ),
            ("mesos_attributes: [rack]", "mesos_attributes: 'rack': expected name:value"),
            (
                "mesos_attributes: ['rack:r 1']",
                "mesos_attributes: 'rack:r 1': attribute value 'r 1' must be a number, ranges [a-b, …] or text (letters, digits, _ / . -)"
            ),
            (
                "mesos_resources: ['ports(*):[5-1]']",
                "mesos_resources: 'ports(*):[5-1]': range '5-1' in '[5-1]' begins after it ends"
            ),
            (
                "mesos_resources: ['cpus:-1']",
                "mesos_resources: 'cpus:-1': resource value '-1' must be a non-negative number, ranges [a-b, …] or a set {a,b}"
            ),
            (
                "mesos_resources: ['disks(role:{a,}']",
                "mesos_resources: 'disks(role:{a,}': role in 'disks(role' must be closed with ')'"
            ),
            (
                "mesos_resources: ['disks:{a,}']",
                "mesos_resources: 'disks:{a,}': set item '' in '{a,}' must be letters, digits and _ / . -"
            ),
            ("herald_quorum: 0", "herald_quorum: '0' is not a quorum size (1-99)"),
            ("herald_contend: maybe", "herald_contend: 'maybe' is not a boolean (true or false, or auto)"),
            (
                "herald_advertise_ip: 10.0.0.256",
                "herald_advertise_ip: '10.0.0.256' is not an IPv4 address like 10.0.0.1"
            ),
            ("herald_metrics_listen: localhost", "herald_metrics_listen: 'localhost' needs a :port (or empty for off)"),
            (
                "herald_zk_dns_server: '[::1'",
                "herald_zk_dns_server: invalid DNS server '[::1': an IPv6 address needs a closing ], e.g. [::1]:53"
            ),
            (
                "herald_zk_dns_server: consul:8600",
                "herald_zk_dns_server: invalid DNS server 'consul:8600': 'consul' is not an IPv4 address (a host name cannot be used here; write IPv6 as [::1]:53)"
            ),
            (
                "herald_session_timeout_ms: 10",
                "herald_session_timeout_ms: '10' is not a session timeout in milliseconds (1000-600000)"
            ),
            (
                "herald_socket_max_connections: 0",
                "herald_socket_max_connections: '0' is not a connection limit (1-1048576)"
            ),
            (
                "herald_socket_max_connections: lots",
                "herald_socket_max_connections: 'lots' is not a connection limit (1-1048576)"
            ),
            (
                "herald_socket_idle_timeout_ms: 99",
                "herald_socket_idle_timeout_ms: '99' is not an idle timeout in milliseconds (100-86400000)"
            ),
            (
                "herald_socket_idle_timeout_ms: 1.5",
                "herald_socket_idle_timeout_ms: '1.5' is not an idle timeout in milliseconds (100-86400000)"
            ),
            ("herald_zk_user: 'a:b'", "herald_zk_user: 'a:b' may not contain ':', '@' or '/'"),
            ("mesos_zk_chrot: mesos", "mesos_zk_chrot: unknown key (did you mean 'mesos_zk_chroot'?)"),
            ("totally_unrelated: 1", "totally_unrelated: unknown key"),
            ("mesos_cluster: [a, b]", "mesos_cluster: expected a single value, got a list"),
            ("herald_zk_user: herald", "herald_zk_secret: herald_zk_user and herald_zk_secret must be set together"),
            ("mesos_authenticate_followers: true", "mesos_authenticate_followers: true needs mesos_follower_secret"),
            ("mesos_leaders: [a, b]\nherald_quorum: 3", "herald_quorum: 3 is more than the 2 hosts in mesos_leaders"),
            (
                "mesos_credentials: [{principal: p}]",
                "mesos_credentials: invalid value (not shown: it is a secret): entry 1 must have exactly a principal and a secret, both non-empty"
            ),
        ])
    func mistakes(yaml: String, expected: String) {
        #expect(errors(yaml) == [expected])
    }

    @Test("the follower list is read by leader and mixed hosts and by DNS responders, unless set")
    func followerList() throws {
        #expect(try load("mesos_mode: leader").listsFollowers)
        #expect(try load("mesos_mode: mixed").listsFollowers)
        #expect(try !load("mesos_mode: follower").listsFollowers)
        #expect(try load("mesos_mode: follower\nherald_dns_listen: 127.0.0.1:8653").listsFollowers)
        #expect(try load("mesos_mode: follower\nherald_follower_list: true").listsFollowers)
        #expect(try !load("mesos_mode: leader\nherald_follower_list: false").listsFollowers)
        #expect(ConfigurationLoader.describe(try load("mesos_mode: follower")).contains("herald_follower_list: auto"))
        #expect(errors("herald_follower_list: sometimes").count == 1)
    }

    @Test("Herald's own path: /herald/<mesos_cluster> by default, configurable, never inside the Mesos chroot")
    func heraldPath() throws {
        let defaults = try load("")
        #expect(defaults.heraldZkPath == nil)
        #expect(defaults.heraldPaths.root == "/herald/mantl")
        #expect(defaults.heraldPaths.followers == "/herald/mantl/followers")
        #expect(defaults.heraldPaths.legacyFollowers == "/mesos/herald/followers")
        let named = try load("mesos_cluster: prod\nmesos_zk_chroot: clusters/prod/mesos")
        #expect(named.heraldPaths.root == "/herald/prod")
        #expect(named.heraldPaths.legacyRoot == "/clusters/prod/mesos/herald")
        let set = try load("herald_zk_path: /clusters/prod/herald\nmesos_zk_chroot: clusters/prod/mesos")
        #expect(set.heraldPaths.root == "/clusters/prod/herald")
        #expect(ConfigurationLoader.describe(set).contains("herald_zk_path: /clusters/prod/herald\n"))
        #expect(ConfigurationLoader.describe(defaults).contains("herald_zk_path: null  # /herald/mantl\n"))
        #expect(
            errors("herald_zk_path: mesos/herald") == [
                "herald_zk_path: '/mesos/herald' overlaps the Mesos base path /mesos (mesos_zk_chroot); "
                    + "nothing but Mesos candidates may live there"
            ])
        #expect(errors("herald_zk_path: mesos").count == 1)
        #expect(errors("herald_zk_path: x\nmesos_zk_chroot: x/followers").count == 1)
        #expect(errors("herald_zk_path: mesos2").isEmpty)
        #expect(
            errors("herald_zk_path: zookeeper/h") == [
                "herald_zk_path: 'zookeeper/h': /zookeeper is reserved by ZooKeeper"
            ])
        #expect(
            errors("mesos_cluster: a/b") == [
                "mesos_cluster: 'a/b' cannot name Herald's ZooKeeper path /herald/a/b; set herald_zk_path"
            ])
        #expect(errors("mesos_cluster: a/b\nherald_zk_path: herald/ab").isEmpty)
    }

    @Test("the socket limits take their smallest values and larger ones, from each layer")
    func socketLimits() throws {
        let smallest = try load("herald_socket_max_connections: 1\nherald_socket_idle_timeout_ms: 100")
        #expect(smallest.heraldSocketMaxConnections == 1)
        #expect(smallest.heraldSocketIdleTimeoutMs == 100)
        let layered = try load(
            "herald_socket_max_connections: 64",
            environment: ["HERALD_HERALD_SOCKET_MAX_CONNECTIONS": "4096"],
            overrides: ["herald_socket_idle_timeout_ms=120000"])
        #expect(layered.heraldSocketMaxConnections == 4096)
        #expect(layered.heraldSocketIdleTimeoutMs == 120_000)
        let described = ConfigurationLoader.describe(layered)
        #expect(described.contains("herald_socket_max_connections: 4096\n"))
        #expect(described.contains("herald_socket_idle_timeout_ms: 120000\n"))
    }

    @Test("a bad socket limit from the environment or --set is one line naming the variable")
    func socketLimitSources() {
        do {
            _ = try ConfigurationLoader.load(
                file: nil, environment: ["HERALD_HERALD_SOCKET_IDLE_TIMEOUT_MS": "50"],
                overrides: ["herald_socket_max_connections=-1"])
            Issue.record("both values must be refused")
        } catch {
            #expect(
                error.description.split(separator: "\n") == [
                    "HERALD_HERALD_SOCKET_IDLE_TIMEOUT_MS: herald_socket_idle_timeout_ms: '50' is not an idle timeout in milliseconds (100-86400000)",
                    "--set: herald_socket_max_connections: '-1' is not a connection limit (1-1048576)",
                ])
        }
    }

    @Test("every mistake in one file is reported, each with its file line")
    func allMistakes() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("herald-\(UUID()).yml").path
        FileManager.default.createFile(
            atPath: path, contents: Data("mesos_mode: x\nmesos_cluster: ok\nmesos_zk_port: 0\n".utf8))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: ConfigurationErrors.self) { try ConfigurationLoader.load(file: path, environment: [:]) }
        do {
            _ = try ConfigurationLoader.load(file: path, environment: [:])
        } catch {
            #expect(error.description.split(separator: "\n").count == 2)
            #expect(error.errors[0].description.hasPrefix("\(path):1: mesos_mode: "))
            #expect(error.errors[1].description.hasPrefix("\(path):3: mesos_zk_port: "))
        }
    }

    @Test("files that are not a YAML mapping, or missing, fail with one line")
    func badFiles() {
        #expect(errors("- a\n- b") == [": expected a mapping of key: value at the top level"])
        #expect(errors("mesos_mode: [unclosed").first?.contains("not valid YAML") == true)
        let duplicate = errors("mesos_cluster: a\nmesos_cluster: b")
        #expect(duplicate.count == 1)
        #expect(duplicate.first?.contains("duplicated key(s): 'mesos_cluster'") == true)
        do {
            _ = try ConfigurationLoader.load(file: "/nonexistent/herald.yml", environment: [:])
            Issue.record("a missing file must fail")
        } catch {
            #expect(error.description == "/nonexistent/herald.yml: cannot read the configuration file")
        }
    }

    @Test("secrets never appear in errors, descriptions or the effective configuration")
    func secretsStayHidden() throws {
        let secret = "Sup3r-S3cret"
        let lines = errors("", overrides: ["herald_zk_secret=\(secret)"])
        #expect(
            lines == [
                "herald_zk_secret: secrets cannot be given on the command line; use the file or HERALD_HERALD_ZK_SECRET"
            ])
        let viaEnvironment = try load(
            "herald_zk_user: herald\nmesos_credentials: [{principal: p, secret: \(secret)}]\nmesos_follower_secret: \(secret)",
            environment: ["HERALD_HERALD_ZK_SECRET": secret])
        #expect(viaEnvironment.heraldZkSecret == secret)
        let described = ConfigurationLoader.describe(viaEnvironment)
        #expect(!described.contains(secret))
        #expect(described.contains("herald_zk_secret: <redacted>"))
        #expect(!"\(viaEnvironment.mesosCredentials)".contains(secret))
        let bad = errors("mesos_credentials: [{principal: p, secret: \(secret), extra: 1}]")
        #expect(bad.count == 1)
        #expect(!bad.joined().contains(secret))
    }

    @Test("the effective configuration lists every key once")
    func describeListsEveryKey() throws {
        let lines = ConfigurationLoader.describe(try load("")).split(separator: "\n")
        #expect(lines.count == ConfigurationLoader.keyNames.count)
        #expect(lines.map { String($0.prefix { $0 != ":" }) } == ConfigurationLoader.keyNames)
        #expect(Set(ConfigurationLoader.keyNames).count == ConfigurationLoader.keyNames.count)
    }

    @Test(
        "Mesos attribute and resource syntax",
        arguments: [
            ("attr", "rack:r1", true), ("attr", "node_id:m1.example.com", true), ("attr", "level:10.5", true),
            ("attr", "ports:[1-2, 5-10]", true), ("attr", "rack", false), ("attr", ":x", false),
            ("attr", "a:b;c:d", false), ("attr", "bad name:x", false),
            ("res", "cpus:4", true), ("res", "mem(*):1024.5", true), ("res", "ports(*):[31000-32000]", true),
            ("res", "disks(role_a):{sda,sdb}", true), ("res", "ports:[1-2,3]", false), ("res", "cpus:x", false),
            ("res", "cpus():1", false), ("res", "ports:[]", false), ("res", "set:{}", false),
        ])
    func mesosSyntax(kind: String, entry: String, valid: Bool) {
        let problem = kind == "attr" ? MesosSyntax.attributeProblem(entry) : MesosSyntax.resourceProblem(entry)
        #expect((problem == nil) == valid, "\(entry): \(problem ?? "valid")")
    }
}
