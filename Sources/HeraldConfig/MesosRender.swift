import Foundation

/// The files `herald render` writes: the mesos-master or mesos-agent environment file with the
/// MESOS_* variables Mantl's role set (in today's flag names), and the JSON credentials files
/// that Mesos 1.11+ reads.
public enum MesosRender {
    public enum Role: String, Sendable, CaseIterable {
        case leader
        case follower
    }

    public struct File: Hashable, Sendable {
        public var name: String
        public var contents: String
        /// The same contents with every secret replaced, for `--stdout` and logs.
        public var redacted: String
        /// 0600 when the file holds a secret, else 0644.
        public var mode: UInt32
    }

    public struct RenderError: Error, CustomStringConvertible {
        public var description: String
    }

    static let redaction = "<redacted>"

    /// Renders the files for `role`; `directory` is where they will live (file:// references).
    public static func files(
        role: Role, configuration c: HeraldConfiguration, host: HostFacts, directory: String
    ) throws(RenderError) -> [File] {
        switch role {
        case .leader: return try leaderFiles(c, host: host, directory: directory)
        case .follower: return followerFiles(c, host: host, directory: directory)
        }
    }

    /// `zk://[user:secret@]hosts/chroot`; hosts are `mesos_zk_hosts`, else the DNS name and port.
    static func zooKeeperURL(_ c: HeraldConfiguration, secret: String?) -> String {
        let hosts = c.mesosZkHosts ?? ["\(c.mesosZkDns):\(c.mesosZkPort)"]
        var credentials = ""
        if let user = c.heraldZkUser, let secret { credentials = "\(user):\(secret)@" }
        return "zk://\(credentials)\(hosts.joined(separator: ","))\(c.basePath)"
    }

    private static func leaderFiles(
        _ c: HeraldConfiguration, host: HostFacts, directory: String
    ) throws(RenderError) -> [File] {
        guard c.heraldQuorum != nil || c.mesosLeaders != nil || c.mesosZkHosts != nil else {
            throw RenderError(
                description:
                    "the Mesos quorum cannot be computed from the DNS name mesos_zk_dns: set mesos_leaders or herald_quorum"
            )
        }
        let quorum = c.quorum(zooKeeperHostCount: c.mesosZkHosts?.count ?? 0)
        var variables: [(String, String, Bool)] = [
            ("MESOS_PORT", "\(c.mesosLeaderPort)", false),
            ("MESOS_IP", host.ipv4, false),
            ("MESOS_ADVERTISE_IP", host.ipv4, false),
            ("MESOS_HOSTNAME", host.hostname, false),
            ("MESOS_QUORUM", "\(quorum)", false),
            ("MESOS_WORK_DIR", c.mesosWorkDir, false),
            ("MESOS_LOG_DIR", c.mesosLogDir, false),
            ("MESOS_ZK", zooKeeperURL(c, secret: c.heraldZkSecret), c.heraldZkSecret != nil),
            ("MESOS_CLUSTER", c.mesosCluster, false),
            ("MESOS_LOGGING_LEVEL", c.mesosLoggingLevel.rawValue, false),
        ]
        var files: [File] = []
        var credentials = c.mesosCredentials
        if c.authenticateFollowers, let secret = c.mesosFollowerSecret {
            credentials.append(.init(principal: c.mesosFollowerPrincipal, secret: secret))
        }
        if c.authenticateFrameworks || c.authenticateFollowers {
            variables.append(("MESOS_AUTHENTICATE_FRAMEWORKS", "\(c.authenticateFrameworks)", false))
            variables.append(("MESOS_AUTHENTICATE_AGENTS", "\(c.authenticateFollowers)", false))
        }
        if !credentials.isEmpty {
            let name = "mesos-master-credentials.json"
            variables.append(("MESOS_CREDENTIALS", "file://\(join(directory, name))", false))
            let entries = credentials.map { credentialJSON($0.principal, $0.secret) }
            let redactedEntries = credentials.map { credentialJSON($0.principal, redaction) }
            files.append(
                File(
                    name: name, contents: "{\"credentials\":[\(entries.joined(separator: ","))]}\n",
                    redacted: "{\"credentials\":[\(redactedEntries.joined(separator: ","))]}\n", mode: 0o600))
        }
        files.insert(environmentFile("mesos-master", variables), at: 0)
        return files
    }

    private static func followerFiles(_ c: HeraldConfiguration, host: HostFacts, directory: String) -> [File] {
        var variables: [(String, String, Bool)] = [
            ("MESOS_PORT", "\(c.mesosFollowerPort)", false),
            ("MESOS_IP", host.ipv4, false),
            ("MESOS_ADVERTISE_IP", host.ipv4, false),
            ("MESOS_HOSTNAME", host.hostname, false),
            ("MESOS_MASTER", zooKeeperURL(c, secret: c.heraldZkSecret), c.heraldZkSecret != nil),
            ("MESOS_ATTRIBUTES", c.attributes(hostname: host.hostname).joined(separator: ";"), false),
            ("MESOS_RESOURCES", c.mesosResources.joined(separator: ";"), false),
            ("MESOS_ISOLATION", c.mesosIsolation, false),
            ("MESOS_WORK_DIR", c.mesosWorkDir, false),
            ("MESOS_LOG_DIR", c.mesosLogDir, false),
            ("MESOS_LOGGING_LEVEL", c.mesosLoggingLevel.rawValue, false),
        ]
        var files: [File] = []
        if c.authenticateFollowers, let secret = c.mesosFollowerSecret {
            let name = "mesos-agent-credential.json"
            variables.append(("MESOS_CREDENTIAL", "file://\(join(directory, name))", false))
            files.append(
                File(
                    name: name, contents: credentialJSON(c.mesosFollowerPrincipal, secret) + "\n",
                    redacted: credentialJSON(c.mesosFollowerPrincipal, redaction) + "\n", mode: 0o600))
        }
        files.insert(environmentFile("mesos-agent", variables), at: 0)
        return files
    }

    /// `KEY="value"` lines, readable by systemd's EnvironmentFile= and by a POSIX shell.
    private static func environmentFile(_ name: String, _ variables: [(String, String, Bool)]) -> File {
        let header = "# Written by herald render. Changes are overwritten.\n"
        let lines = variables.map { "\($0.0)=\(shellQuote($0.1))" }
        let redactedLines = variables.map { key, value, secret in
            "\(key)=\(shellQuote(secret ? redactURL(value) : value))"
        }
        let hasSecret = variables.contains { $0.2 }
        return File(
            name: name, contents: header + lines.joined(separator: "\n") + "\n",
            redacted: header + redactedLines.joined(separator: "\n") + "\n", mode: hasSecret ? 0o600 : 0o644)
    }

    /// Replaces the password of a `zk://user:password@…` URL.
    static func redactURL(_ url: String) -> String {
        guard let schemeEnd = url.range(of: "://"), let at = url.lastIndex(of: "@"),
            let colon = url[schemeEnd.upperBound..<at].firstIndex(of: ":")
        else { return url }
        return String(url[..<url.index(after: colon)]) + redaction + String(url[at...])
    }

    static func shellQuote(_ value: String) -> String {
        var escaped = ""
        for character in value {
            if "\\\"$`".contains(character) { escaped.append("\\") }
            escaped.append(character)
        }
        return "\"\(escaped)\""
    }

    static func credentialJSON(_ principal: String, _ secret: String) -> String {
        "{\"principal\":\(jsonString(principal)),\"secret\":\(jsonString(secret))}"
    }

    static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    private static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }
}
