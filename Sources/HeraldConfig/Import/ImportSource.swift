import Foundation

/// One value read from a Mesos configuration file on the host, with where it came from: the
/// unit of `herald import`'s bookkeeping, so that every refusal can name a file and a line.
public struct ImportOrigin: Hashable, Sendable, CustomStringConvertible {
    /// The path as it is on the host (without `--root`).
    public var file: String
    public var line: Int

    public init(file: String, line: Int) {
        self.file = file
        self.line = line
    }

    public var description: String { "\(file):\(line)" }
}

/// The readers of the formats Mantl's role and the Mesosphere packages wrote. They only parse;
/// `MesosImport` decides what the values mean.
enum ImportSource {
    /// One `KEY=VALUE` assignment of an environment file.
    struct Assignment: Hashable {
        var key: String
        var value: String
        var origin: ImportOrigin
        /// The value was a shell expansion (`$(...)`, `` `...` ``, `$VAR`) that cannot be evaluated.
        var isShell: Bool
    }

    /// An environment file as systemd's `EnvironmentFile=` and a POSIX shell read it: `KEY=VALUE`
    /// lines, `export ` allowed, single or double quotes, `#` comments. A line that is none of
    /// these is returned as a problem.
    static func environmentFile(
        _ text: String, file: String
    ) -> (assignments: [Assignment], problems: [(ImportOrigin, String)]) {
        var assignments: [Assignment] = []
        var problems: [(ImportOrigin, String)] = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let origin = ImportOrigin(file: file, line: index + 1)
            var line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") { line = String(line.dropFirst(7)).trimmingCharacters(in: .whitespaces) }
            guard let equals = line.firstIndex(of: "="),
                line[..<equals].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }), equals != line.startIndex
            else {
                problems.append((origin, "not a KEY=VALUE line"))
                continue
            }
            let key = String(line[..<equals])
            var value = String(line[line.index(after: equals)...])
            var quoted = false
            if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                quoted = first == "'"
                value = String(value.dropFirst().dropLast())
                if first == "\"" { value = unescapeDoubleQuoted(value) }
            } else if let hash = value.range(of: " #") {
                value = String(value[..<hash.lowerBound])
            }
            value = value.trimmingCharacters(in: .whitespaces)
            let isShell = !quoted && (value.contains("$") || value.contains("`"))
            assignments.append(Assignment(key: key, value: value, origin: origin, isShell: isShell))
        }
        return (assignments, problems)
    }

    private static func unescapeDoubleQuoted(_ value: String) -> String {
        var out = ""
        var escaping = false
        for character in value {
            if escaping {
                if !"\\\"$`".contains(character) { out.append("\\") }
                out.append(character)
                escaping = false
            } else if character == "\\" {
                escaping = true
            } else {
                out.append(character)
            }
        }
        return out
    }

    /// A Mesos credentials file: JSON (`{"credentials":[…]}` for masters, one object for an
    /// agent) or the old text format, one `principal secret` per line. Never echoes a secret in
    /// a problem.
    static func credentials(
        _ text: String, file: String
    ) -> (entries: [(principal: String, secret: String, origin: ImportOrigin)], problems: [(ImportOrigin, String)]) {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasPrefix("{") || trimmed.hasPrefix("[") {
            let origin = ImportOrigin(file: file, line: 1)
            guard let data = trimmed.data(using: .utf8), let json = try? JSONSerialization.jsonObject(with: data)
            else { return ([], [(origin, "not valid JSON")]) }
            var objects: [[String: Any]] = []
            if let object = json as? [String: Any], let list = object["credentials"] as? [[String: Any]] {
                objects = list
            } else if let object = json as? [String: Any] {
                objects = [object]
            } else if let list = json as? [[String: Any]] {
                objects = list
            }
            var entries: [(String, String, ImportOrigin)] = []
            var problems: [(ImportOrigin, String)] = []
            for (index, object) in objects.enumerated() {
                guard let principal = object["principal"] as? String, let secret = object["secret"] as? String,
                    !principal.isEmpty, !secret.isEmpty
                else {
                    problems.append((origin, "credential \(index + 1) has no principal and secret strings"))
                    continue
                }
                entries.append((principal, secret, origin))
            }
            if objects.isEmpty { problems.append((origin, "no credentials in this JSON")) }
            return (entries, problems)
        }
        var entries: [(String, String, ImportOrigin)] = []
        var problems: [(ImportOrigin, String)] = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            let origin = ImportOrigin(file: file, line: index + 1)
            guard fields.count == 2 else {
                problems.append((origin, "not a 'principal secret' line (\(fields.count) fields)"))
                continue
            }
            entries.append((String(fields[0]), String(fields[1]), origin))
        }
        return (entries, problems)
    }
}
