import Foundation

/// The two layouts' files, turned into Mesos flags (`MesosImport+Flags.swift` maps those).
extension MesosImport {
    /// Mantl 1.x: `/etc/sysconfig/mesos-master` and `/etc/sysconfig/mesos-agent`.
    mutating func readMantl() {
        for (path, role) in [
            ("/etc/sysconfig/mesos-master", Role.master), ("/etc/sysconfig/mesos-agent", .agent),
            ("/etc/sysconfig/mesos-slave", .agent),
        ] {
            guard let text = read(path) else { continue }
            roles.insert(role)
            environmentFile(text, path: path, role: role)
        }
    }

    /// The Mesosphere packages: `/etc/mesos/zk`, `/etc/default/mesos*`, `/etc/mesos-master/`,
    /// `/etc/mesos-slave/`, `/etc/mesos/credentials`.
    mutating func readMesosphere() {
        if let text = read("/etc/mesos/zk") {
            let line = firstValueLine(text)
            zooKeeperURL(line.value, ImportOrigin(file: "/etc/mesos/zk", line: line.number))
        }
        for (path, role) in [
            ("/etc/default/mesos", Role.common), ("/etc/default/mesos-master", .master),
            ("/etc/default/mesos-slave", .agent),
        ] {
            guard let text = read(path) else { continue }
            environmentFile(text, path: path, role: role)
        }
        for (directory, role) in [("/etc/mesos-master", Role.master), ("/etc/mesos-slave", Role.agent)]
        where isDirectory(directory) {
            let entries = list(directory)
            if !entries.isEmpty { roles.insert(role) }
            for name in entries {
                let path = directory + "/" + name
                if isDirectory(path) {
                    keyValueDirectory(path, flag: name, role: role)
                    continue
                }
                if name.hasPrefix("?") {
                    // `?flag` means --flag, `?no-flag` means --no-flag (the init wrapper's booleans).
                    _ = read(path)
                    var flagName = String(name.dropFirst())
                    var value = true
                    if flagName.hasPrefix("no-") {
                        flagName.removeFirst(3)
                        value = false
                    }
                    flag(flagName, "\(value)", ImportOrigin(file: path, line: 1), role: role)
                    continue
                }
                guard let text = read(path) else { continue }
                let line = firstValueLine(text)
                flag(name, line.value, ImportOrigin(file: path, line: line.number), role: role)
            }
        }
        if let text = read("/etc/mesos/credentials") {
            // Read directly too: the packages' default place, named or not by a `credentials` flag.
            let parsed = ImportSource.credentials(text, file: "/etc/mesos/credentials")
            for (origin, problem) in parsed.problems { warn(origin, problem) }
            for entry in parsed.entries where !masterCredentials.contains(where: { $0.principal == entry.principal }) {
                masterCredentials.append(entry)
            }
        }
    }

    /// `attributes/` and `resources/`: one file per name holding its value, joined `name:value`.
    mutating func keyValueDirectory(_ path: String, flag name: String, role: Role) {
        var items: [String] = []
        for entry in list(path) {
            guard let text = read(path + "/" + entry) else { continue }
            items.append("\(entry):\(firstValueLine(text).value)")
        }
        guard !items.isEmpty else { return }
        flag(name, items.joined(separator: ";"), ImportOrigin(file: path + "/", line: 1), role: role)
    }

    /// The first line that is not blank, trimmed, and its number.
    func firstValueLine(_ text: String) -> (value: String, number: Int) {
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if !trimmed.isEmpty { return (trimmed, index + 1) }
        }
        return ("", 1)
    }

    /// `MESOS_*` assignments, and the Mesosphere defaults files' own short names.
    mutating func environmentFile(_ text: String, path: String, role: Role) {
        let parsed = ImportSource.environmentFile(text, file: path)
        for (origin, problem) in parsed.problems { warn(origin, problem) }
        for assignment in parsed.assignments {
            let origin = assignment.origin
            if assignment.isShell {
                let value = assignment.value.replacingOccurrences(of: " ", with: "")
                if ["$(cat/etc/mesos/zk)", "`cat/etc/mesos/zk`"].contains(value) { continue }  // read directly
                warn(origin, "\(assignment.key): a shell expression, not a value: not imported")
                continue
            }
            if assignment.key.hasPrefix("MESOS_") {
                flag(String(assignment.key.dropFirst(6)).lowercased(), assignment.value, origin, role: role)
                continue
            }
            switch assignment.key {
            case "ZK", "MASTER": flag(assignment.key.lowercased(), assignment.value, origin, role: role)
            case "PORT", "IP", "HOSTNAME", "CLUSTER":
                flag(assignment.key.lowercased(), assignment.value, origin, role: role)
            case "LOGS": flag("log_dir", assignment.value, origin, role: role)
            case "EXTRA_OPTS" where assignment.value.isEmpty: continue
            default:
                warn(origin, "\(assignment.key): no Mantl variable for it: not imported")
            }
        }
    }
}
