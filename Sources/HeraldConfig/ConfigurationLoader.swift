import Foundation
import MesosLayout
import Yams

/// Builds a `HeraldConfiguration` from the YAML file, then `HERALD_<KEY>` environment variables,
/// then `--set KEY=VALUE` overrides, each layer replacing the one before. Every mistake is
/// collected (one line each) before anything touches ZooKeeper.
public enum ConfigurationLoader {
    /// Loads and validates; throws `ConfigurationErrors` listing every problem.
    public static func load(
        file: String?, environment: [String: String],
        overrides: [String] = []
    ) throws(ConfigurationErrors) -> HeraldConfiguration {
        var configuration = HeraldConfiguration()
        var errors: [ConfigurationError] = []

        if let file {
            loadFile(file, into: &configuration, errors: &errors)
        }
        let prefix = "HERALD_"
        for (name, value) in environment.sorted(by: { $0.key < $1.key }) where name.hasPrefix(prefix) {
            let key = String(name.dropFirst(prefix.count)).lowercased()
            guard ConfigurationKey.byName[key] != nil else { continue }
            apply(key, .text(value), source: name, into: &configuration, errors: &errors)
        }
        for override in overrides {
            guard let equals = override.firstIndex(of: "=") else {
                errors.append(.init(source: "--set", key: "", message: "'\(override)' is not KEY=VALUE"))
                continue
            }
            let key = String(override[..<equals]).trimmed
            let value = String(override[override.index(after: equals)...])
            if let known = ConfigurationKey.byName[key], known.secret {
                // A secret on the command line would be visible to every user in `ps`.
                errors.append(
                    .init(
                        source: "--set", key: key,
                        message: "secrets cannot be given on the command line; use the file or \(known.environmentName)"
                    ))
                continue
            }
            apply(key, .text(value), source: "--set", into: &configuration, errors: &errors)
        }
        errors += crossChecks(configuration)
        guard errors.isEmpty else { throw ConfigurationErrors(errors: errors) }
        return configuration
    }

    private static func loadFile(
        _ file: String, into configuration: inout HeraldConfiguration,
        errors: inout [ConfigurationError]
    ) {
        let text: String
        do {
            text = try String(contentsOfFile: file, encoding: .utf8)
        } catch {
            errors.append(.init(source: file, key: "", message: "cannot read the configuration file"))
            return
        }
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            let detail = "\(error)".split(separator: "\n").first.map(String.init) ?? "syntax error"
            errors.append(.init(source: file, key: "", message: "not valid YAML: \(detail)"))
            return
        }
        guard let root else { return }  // an empty file: all defaults
        guard let mapping = root.mapping else {
            errors.append(.init(source: file, key: "", message: "expected a mapping of key: value at the top level"))
            return
        }
        // Yams itself refuses duplicate keys (reported above as a YAML error).
        for (keyNode, value) in mapping {
            let key = keyNode.scalar?.string ?? "\(keyNode)"
            let source = keyNode.mark.map { "\(file):\($0.line)" } ?? file
            apply(key, .node(value), source: source, into: &configuration, errors: &errors)
        }
    }

    private static func apply(
        _ key: String, _ value: RawValue, source: String, into configuration: inout HeraldConfiguration,
        errors: inout [ConfigurationError]
    ) {
        guard let definition = ConfigurationKey.byName[key] else {
            let suggestion = Suggestion.closest(to: key, in: ConfigurationKey.all.map(\.name))
            let hint = suggestion.map { " (did you mean '\($0)'?)" } ?? ""
            errors.append(.init(source: source, key: key, message: "unknown key\(hint)"))
            return
        }
        do {
            try definition.apply(&configuration, value)
        } catch {
            var message = error.message
            if definition.secret {
                // Refusals quote values; a secret's value is never quoted back.
                message =
                    "invalid value (not shown: it is a secret): \(message.components(separatedBy: "'").first ?? "")"
            }
            errors.append(.init(source: source, key: key, message: message))
        }
    }

    /// Rules that involve more than one key.
    static func crossChecks(_ configuration: HeraldConfiguration) -> [ConfigurationError] {
        var errors: [ConfigurationError] = []
        let user = configuration.heraldZkUser
        let secret = configuration.heraldZkSecret
        if (user == nil) != (secret == nil) {
            errors.append(
                .init(
                    source: "configuration", key: user == nil ? "herald_zk_user" : "herald_zk_secret",
                    message: "herald_zk_user and herald_zk_secret must be set together"))
        }
        if configuration.mesosAuthenticateFollowers == true, configuration.mesosFollowerSecret == nil {
            errors.append(
                .init(
                    source: "configuration", key: "mesos_authenticate_followers",
                    message: "true needs mesos_follower_secret"))
        }
        if configuration.mesosAuthenticateFrameworks == true, configuration.mesosCredentials.isEmpty {
            errors.append(
                .init(
                    source: "configuration", key: "mesos_authenticate_frameworks",
                    message: "true needs at least one entry in mesos_credentials"))
        }
        if let quorum = configuration.heraldQuorum, let leaders = configuration.mesosLeaders, quorum > leaders.count {
            errors.append(
                .init(
                    source: "configuration", key: "herald_quorum",
                    message: "\(quorum) is more than the \(leaders.count) hosts in mesos_leaders"))
        }
        do {
            _ = try configuration.zooKeeperURL()
        } catch {
            let key = configuration.mesosZkHosts == nil ? "mesos_zk_dns" : "mesos_zk_hosts"
            errors.append(.init(source: "configuration", key: key, message: "\(error)"))
        }
        errors += pathChecks(configuration)
        if configuration.mesosLeaderPort == configuration.mesosFollowerPort, configuration.mesosMode == .mixed {
            errors.append(
                .init(
                    source: "configuration", key: "mesos_follower_port",
                    message: "must differ from mesos_leader_port in mixed mode (both run on this host)"))
        }
        return errors
    }

    /// Herald's own path must be a usable znode path outside the Mesos base path, where every
    /// child is read as a leader candidate by someone (see `HeraldPaths`).
    static func pathChecks(_ configuration: HeraldConfiguration) -> [ConfigurationError] {
        let paths = configuration.heraldPaths
        guard configuration.heraldZkPath != nil else {
            let cluster = configuration.mesosCluster
            let unusable =
                cluster.contains("/") || cluster == "." || cluster == ".."
                || cluster.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7f }
            guard unusable else { return [] }
            return [
                .init(
                    source: "configuration", key: "mesos_cluster",
                    message: "'\(cluster)' cannot name Herald's ZooKeeper path \(paths.root); set herald_zk_path")
            ]
        }
        if HeraldPaths.path(paths.root, isWithin: paths.mesosBase)
            || HeraldPaths.path(paths.mesosBase, isWithin: paths.followers)
        {
            return [
                .init(
                    source: "configuration", key: "herald_zk_path",
                    message: "'\(paths.root)' overlaps the Mesos base path \(paths.mesosBase) (mesos_zk_chroot); "
                        + "nothing but Mesos candidates may live there")
            ]
        }
        return []
    }

    /// The effective configuration as YAML, every secret redacted (`herald config`).
    public static func describe(_ configuration: HeraldConfiguration) -> String {
        ConfigurationKey.all.map { "\($0.name): \($0.show(configuration))" }.joined(separator: "\n")
    }

    /// Every key name, for documentation and completion.
    public static var keyNames: [String] { ConfigurationKey.all.map(\.name) }
}
