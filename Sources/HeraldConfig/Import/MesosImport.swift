import Foundation
import MesosLayout

/// `herald import`: the `herald.yaml` equivalent to the Mesos configuration a Mantl host (or an
/// older Mesosphere-packaged host) already has.
///
/// Reads, under `root`:
/// - Mantl 1.x: `/etc/sysconfig/mesos-master`, `/etc/sysconfig/mesos-agent` (`MESOS_*` lines)
///   and the credentials files they name (`/etc/sysconfig/mesos-credentials`, the agent's);
/// - Mesosphere: `/etc/mesos/zk`, `/etc/default/mesos{,-master,-slave}`, the one-value-per-file
///   directories `/etc/mesos-master/` and `/etc/mesos-slave/` (with `attributes/`, `resources/`
///   and `?flag` / `?no-flag` booleans), `/etc/mesos/credentials` (text or JSON).
///
/// Every value lands in the Mantl variable that `herald render` turns back into the same
/// `MESOS_*` value; a value with no such variable, or two files that disagree, is a warning
/// naming the file and the line (the first value is kept). Secrets are never part of a warning.
public struct MesosImport {
    public enum Role: String, Hashable, Sendable {
        case master
        case agent
        case common
    }

    /// One line for the operator: where, and what was not imported or was inferred.
    public struct Warning: Hashable, Sendable, CustomStringConvertible {
        public var origin: ImportOrigin?
        public var message: String
        public var description: String { origin.map { "\($0): \(message)" } ?? message }
    }

    /// A value for one key, and where it was read.
    enum Value: Hashable {
        case text(String)
        case number(Int)
        case flag(Bool)
        case list([String])
        case credentials([HeraldConfiguration.Credential])
    }

    public struct Result: Sendable {
        /// The YAML to write, secrets included.
        public var yaml: String
        /// The same with every secret replaced by `<redacted>` (for `--stdout`).
        public var redactedYAML: String
        public var warnings: [Warning]
        /// The files that were read, as paths on the host.
        public var sources: [String]
        /// Nil when no Mesos role was found: nothing usable.
        public var mode: HeraldConfiguration.Mode?

        /// 0 everything mapped, 1 with warnings, 2 nothing usable.
        public var exitCode: Int32 { mode == nil ? 2 : (warnings.isEmpty ? 0 : 1) }
    }

    let root: String
    var values: [String: (value: Value, origin: ImportOrigin)] = [:]
    var warnings: [Warning] = []
    var sources: [String] = []
    var roles: Set<Role> = []
    /// The master's credentials file entries and the agent's credential, sorted out at the end.
    var masterCredentials: [(principal: String, secret: String, origin: ImportOrigin)] = []
    var agentCredential: (principal: String, secret: String, origin: ImportOrigin)?

    static let secretKeys: Set<String> = ["herald_zk_secret", "mesos_follower_secret", "mesos_credentials"]

    /// Reads the host's files under `root` (`/` on the host itself; a copy of its `/etc` for tests).
    public static func run(root: String = "/") -> Result {
        var importer = MesosImport(root: root)
        importer.readMantl()
        importer.readMesosphere()
        importer.settleCredentials()
        return importer.result()
    }

    init(root: String) {
        self.root = root.hasSuffix("/") ? String(root.dropLast()) : root
    }

    // MARK: Files

    /// The contents of `path` (a host path) under the root, or nil when it does not exist.
    mutating func read(_ path: String) -> String? {
        guard let text = try? String(contentsOfFile: root + path, encoding: .utf8) else {
            if FileManager.default.fileExists(atPath: root + path) {
                warn(ImportOrigin(file: path, line: 1), "cannot be read as UTF-8 text: skipped")
            }
            return nil
        }
        sources.append(path)
        return text
    }

    func isDirectory(_ path: String) -> Bool {
        var directory: ObjCBool = false
        return FileManager.default.fileExists(atPath: root + path, isDirectory: &directory) && directory.boolValue
    }

    func list(_ path: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: root + path)) ?? []).sorted()
    }

    // MARK: Recording

    mutating func warn(_ origin: ImportOrigin?, _ message: String) {
        warnings.append(Warning(origin: origin, message: message))
    }

    /// Records `key`; a different value for a key already set is a conflict (the first stays).
    mutating func set(_ key: String, _ value: Value, _ origin: ImportOrigin) {
        guard let existing = values[key] else {
            values[key] = (value, origin)
            return
        }
        guard existing.value != value else { return }
        let shown =
            Self.secretKeys.contains(key)
            ? "a different value (not shown: a secret)"
            : "\(Self.describe(value)), not \(Self.describe(existing.value))"
        warn(origin, "\(key): \(shown) as \(existing.origin) says; keeping \(existing.origin)")
    }

    static func describe(_ value: Value) -> String {
        switch value {
        case .text(let text): return "'\(text)'"
        case .number(let number): return "\(number)"
        case .flag(let flag): return "\(flag)"
        case .list(let items): return "'\(items.joined(separator: ";"))'"
        case .credentials(let list): return "\(list.count) credentials"
        }
    }

    mutating func result() -> Result {
        var mode: HeraldConfiguration.Mode?
        switch (roles.contains(.master), roles.contains(.agent)) {
        case (true, true): mode = .mixed
        case (true, false): mode = .leader
        case (false, true): mode = .follower
        case (false, false):
            mode = nil
            warn(nil, "no Mesos configuration found under \(root.isEmpty ? "/" : root): nothing to import")
        }
        if let mode {
            values["mesos_mode"] = (.text(mode.rawValue), ImportOrigin(file: "(inferred)", line: 0))
            if values["mesos_zk_hosts"] == nil {
                warn(nil, "no ZooKeeper URL found (MESOS_ZK, MESOS_MASTER, /etc/mesos/zk): set mesos_zk_hosts by hand")
            }
        }
        let (yaml, redacted) = render()
        return Result(yaml: yaml, redactedYAML: redacted, warnings: warnings, sources: sources, mode: mode)
    }
}
