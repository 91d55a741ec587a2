import Foundation
import MesosLayout

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
        case .follower: return try followerFiles(c, host: host, directory: directory)
        }
    }

    /// The value of MESOS_ZK / MESOS_MASTER: the real URL and its redacted form. IPv6 hosts are
    /// written unbracketed, the only form Mesos' ZooKeeper C client resolves.
    static func zooKeeperURL(_ c: HeraldConfiguration) throws(RenderError) -> (value: String, redacted: String) {
        do {
            let url = try c.zooKeeperURL()
            return (
                url.formatted(includingPassword: true, bracketingIPv6: false),
                url.formatted(includingPassword: false, bracketingIPv6: false)
            )
        } catch {
            throw RenderError(description: "\(error)")
        }
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
        let zk = try zooKeeperURL(c)
        var variables: [(String, String, String?)] = [
            ("MESOS_PORT", "\(c.mesosLeaderPort)", nil),
            ("MESOS_IP", host.ipv4, nil),
            ("MESOS_ADVERTISE_IP", host.ipv4, nil),
            ("MESOS_HOSTNAME", host.hostname, nil),
            ("MESOS_QUORUM", "\(quorum)", nil),
            ("MESOS_WORK_DIR", c.mesosWorkDir, nil),
            ("MESOS_LOG_DIR", c.mesosLogDir, nil),
            ("MESOS_ZK", zk.value, c.heraldZkSecret == nil ? nil : zk.redacted),
            ("MESOS_CLUSTER", c.mesosCluster, nil),
            ("MESOS_LOGGING_LEVEL", c.mesosLoggingLevel.rawValue, nil),
        ]
        var files: [File] = []
        var credentials = c.mesosCredentials
        if c.authenticateFollowers, let secret = c.mesosFollowerSecret {
            credentials.append(.init(principal: c.mesosFollowerPrincipal, secret: secret))
        }
        if c.authenticateFrameworks || c.authenticateFollowers {
            variables.append(("MESOS_AUTHENTICATE_FRAMEWORKS", "\(c.authenticateFrameworks)", nil))
            variables.append(("MESOS_AUTHENTICATE_AGENTS", "\(c.authenticateFollowers)", nil))
        }
        if !credentials.isEmpty {
            let name = "mesos-master-credentials.json"
            variables.append(("MESOS_CREDENTIALS", "file://\(join(directory, name))", nil))
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

    private static func followerFiles(
        _ c: HeraldConfiguration, host: HostFacts, directory: String
    ) throws(RenderError) -> [File] {
        let zk = try zooKeeperURL(c)
        var variables: [(String, String, String?)] = [
            ("MESOS_PORT", "\(c.mesosFollowerPort)", nil),
            ("MESOS_IP", host.ipv4, nil),
            ("MESOS_ADVERTISE_IP", host.ipv4, nil),
            ("MESOS_HOSTNAME", host.hostname, nil),
            ("MESOS_MASTER", zk.value, c.heraldZkSecret == nil ? nil : zk.redacted),
            ("MESOS_ATTRIBUTES", c.attributes(hostname: host.hostname).joined(separator: ";"), nil),
            ("MESOS_RESOURCES", c.mesosResources.joined(separator: ";"), nil),
            ("MESOS_ISOLATION", c.mesosIsolation, nil),
            ("MESOS_WORK_DIR", c.mesosWorkDir, nil),
            ("MESOS_LOG_DIR", c.mesosLogDir, nil),
            ("MESOS_LOGGING_LEVEL", c.mesosLoggingLevel.rawValue, nil),
        ]
        var files: [File] = []
        if c.authenticateFollowers, let secret = c.mesosFollowerSecret {
            let name = "mesos-agent-credential.json"
            variables.append(("MESOS_CREDENTIAL", "file://\(join(directory, name))", nil))
            files.append(
                File(
                    name: name, contents: credentialJSON(c.mesosFollowerPrincipal, secret) + "\n",
                    redacted: credentialJSON(c.mesosFollowerPrincipal, redaction) + "\n", mode: 0o600))
        }
        files.insert(environmentFile("mesos-agent", variables), at: 0)
        return files
    }

    /// `KEY="value"` lines, readable by systemd's EnvironmentFile= and by a POSIX shell.
    private static func environmentFile(_ name: String, _ variables: [(String, String, String?)]) -> File {
        let header = "# Written by herald render. Changes are overwritten.\n"
        let lines = variables.map { "\($0.0)=\(shellQuote($0.1))" }
        let redactedLines = variables.map { key, value, redacted in "\(key)=\(shellQuote(redacted ?? value))" }
        let hasSecret = variables.contains { $0.2 != nil }
        return File(
            name: name, contents: header + lines.joined(separator: "\n") + "\n",
            redacted: header + redactedLines.joined(separator: "\n") + "\n", mode: hasSecret ? 0o600 : 0o644)
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
