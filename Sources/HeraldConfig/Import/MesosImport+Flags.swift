import Foundation
import MesosLayout

/// Mesos flags (by their flag name: `MESOS_WORK_DIR` and `/etc/mesos-master/work_dir` are both
/// `work_dir`) to Mantl variables.
extension MesosImport {
    /// Maps one flag of `role`'s configuration.
    mutating func flag(_ name: String, _ value: String, _ origin: ImportOrigin, role: Role) {
        let agent = role == .agent
        switch name {
        case "port":
            guard role != .common else { return warn(origin, "port: for which role? not imported") }
            number(agent ? "mesos_follower_port" : "mesos_leader_port", value, origin, 1...65535)
        case "ip", "advertise_ip":
            set("herald_advertise_ip", .text(value), origin)
        case "hostname":
            set("herald_hostname", .text(value), origin)
        case "quorum":
            number("herald_quorum", value, origin, 1...99)
        case "work_dir":
            set("mesos_work_dir", .text(value), origin)
        case "log_dir":
            set("mesos_log_dir", .text(value), origin)
        case "zk", "master":
            zooKeeperURL(value, origin)
        case "cluster":
            set("mesos_cluster", .text(value), origin)
        case "logging_level":
            guard let level = HeraldConfiguration.LoggingLevel(rawValue: value.uppercased()) else {
                return warn(origin, "logging_level '\(value)': Mantl allows INFO, WARNING or ERROR: not imported")
            }
            set("mesos_logging_level", .text(level.rawValue), origin)
        case "authenticate", "authenticate_frameworks":
            boolean("mesos_authenticate_frameworks", value, origin)
        case "authenticate_slaves", "authenticate_agents":
            boolean("mesos_authenticate_followers", value, origin)
        case "authenticators" where value == "crammd5":
            return  // Mesos' default and only built-in authenticator
        case "credentials" where !agent:
            readCredentials(value, origin, agent: false)
        case "credential" where agent:
            readCredentials(value, origin, agent: true)
        case "attributes":
            set("mesos_attributes", .list(Self.split(value)), origin)
        case "resources":
            set("mesos_resources", .list(Self.split(value)), origin)
        case "isolation":
            set("mesos_isolation", .text(value), origin)
        default:
            warn(origin, "\(name) (--\(name)): no Mantl variable for it: not imported")
        }
    }

    static func split(_ value: String) -> [String] {
        value.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    mutating func number(_ key: String, _ value: String, _ origin: ImportOrigin, _ range: ClosedRange<Int>) {
        guard let number = Int(value), range.contains(number) else {
            return warn(origin, "\(key): '\(value)' is not a number in \(range.lowerBound)...\(range.upperBound)")
        }
        set(key, .number(number), origin)
    }

    mutating func boolean(_ key: String, _ value: String, _ origin: ImportOrigin) {
        switch value.lowercased() {
        case "true", "1", "yes": set(key, .flag(true), origin)
        case "false", "0", "no": set(key, .flag(false), origin)
        default: warn(origin, "\(key): '\(value)' is not true or false: not imported")
        }
    }

    /// `zk://[user:pass@]h1:p1,h2:p2/path` → `mesos_zk_hosts`, `mesos_zk_chroot`, and the digest
    /// credentials `herald_zk_user` / `herald_zk_secret`. A refusal never shows the password.
    mutating func zooKeeperURL(_ value: String, _ origin: ImportOrigin) {
        let url: ZooKeeperURL
        do {
            url = try ZooKeeperURL(parsing: value)
        } catch {
            return warn(origin, "not a ZooKeeper URL: \(error)")
        }
        let redacted = url.formatted(includingPassword: false)
        if let (existing, where_) = values["zk_url"].map({ ($0.value, $0.origin) }),
            existing != .text(url.formatted(includingPassword: true))
        {
            return warn(origin, "ZooKeeper URL \(redacted) differs from the one in \(where_); keeping \(where_)")
        }
        values["zk_url"] = (.text(url.formatted(includingPassword: true)), origin)
        set("mesos_zk_hosts", .list(url.hosts.map(\.description)), origin)
        set("mesos_zk_chroot", .text(String(url.path.dropFirst())), origin)
        if let credentials = url.credentials {
            set("herald_zk_user", .text(credentials.user), origin)
            set("herald_zk_secret", .text(credentials.password), origin)
        }
    }

    /// A credentials flag's value: a path, or a `file://` URL, of a credentials file.
    mutating func readCredentials(_ value: String, _ origin: ImportOrigin, agent: Bool) {
        let path = value.hasPrefix("file://") ? String(value.dropFirst(7)) : value
        guard path.hasPrefix("/") else {
            return warn(origin, "credential\(agent ? "" : "s"): not a file path: not imported")
        }
        guard let text = read(path) else {
            return warn(origin, "credential\(agent ? "" : "s"): \(path) does not exist under the root: not imported")
        }
        let parsed = ImportSource.credentials(text, file: path)
        for (origin, problem) in parsed.problems { warn(origin, problem) }
        if agent {
            guard let first = parsed.entries.first else { return }
            if parsed.entries.count > 1 {
                warn(parsed.entries[1].origin, "an agent has one credential: only the first is imported")
            }
            agentCredential = first
        } else {
            for entry in parsed.entries where !masterCredentials.contains(where: { $0.principal == entry.principal }) {
                masterCredentials.append(entry)
            }
        }
    }

    /// Sorts the credentials into `mesos_credentials` and the follower's principal and secret.
    ///
    /// Mantl wrote the follower's credential both into the agent's file and, on the masters,
    /// at the end of the masters' file. So: the agent's credential is the follower's; on a
    /// master-only host that authenticates agents, the entry named like Mantl's default
    /// principal `follower` is, and failing that the last entry is (with a warning: an inference).
    mutating func settleCredentials() {
        let isMaster = roles.contains(.master)
        var follower = agentCredential
        if isMaster, follower == nil, values["mesos_authenticate_followers"]?.value == .flag(true) {
            if let named = masterCredentials.last(where: { $0.principal == "follower" }) {
                follower = named
            } else if let last = masterCredentials.last {
                follower = last
                warn(
                    last.origin,
                    "agents authenticate but no agent credential is on this host: taking the last entry "
                        + "(principal '\(last.principal)') as the follower's, as Mantl's template wrote it")
            } else {
                warn(values["mesos_authenticate_followers"]?.origin, "agents authenticate but no credential was found")
                values["mesos_authenticate_followers"] = nil
            }
        }
        if let follower {
            set("mesos_follower_principal", .text(follower.principal), follower.origin)
            set("mesos_follower_secret", .text(follower.secret), follower.origin)
            let required = values["mesos_authenticate_followers"]?.value == .flag(true)
            if isMaster, !required, agentCredential != nil {
                warn(
                    follower.origin,
                    "this host's master does not authenticate agents, so the variables cannot say that its agent "
                        + "does: rendered again, the agent gets no MESOS_CREDENTIAL")
            }
            if required, let same = masterCredentials.firstIndex(where: { $0.principal == follower.principal }) {
                if masterCredentials[same].secret != follower.secret {
                    warn(
                        masterCredentials[same].origin,
                        "principal '\(follower.principal)' has another secret than in \(follower.origin)")
                }
                masterCredentials.remove(at: same)
            }
        }
        let frameworks = masterCredentials.map {
            HeraldConfiguration.Credential(principal: $0.principal, secret: $0.secret)
        }
        if !frameworks.isEmpty, let first = masterCredentials.first {
            set("mesos_credentials", .credentials(frameworks), first.origin)
        }
        if isMaster {
            // Mesos' defaults, said explicitly: Herald's `auto` would follow the credentials.
            let unset = ImportOrigin(file: "(Mesos default)", line: 0)
            if values["mesos_authenticate_frameworks"] == nil {
                values["mesos_authenticate_frameworks"] = (.flag(false), unset)
            }
            if values["mesos_authenticate_followers"] == nil {
                values["mesos_authenticate_followers"] = (.flag(false), unset)
            }
        }
        if values["mesos_authenticate_frameworks"]?.value == .flag(true), frameworks.isEmpty {
            warn(
                values["mesos_authenticate_frameworks"]?.origin, "frameworks authenticate but no credentials were found"
            )
            values["mesos_authenticate_frameworks"] = nil
        }
    }
}
