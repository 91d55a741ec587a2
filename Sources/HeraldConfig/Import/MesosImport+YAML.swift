/// The imported values as `herald.yaml`: the keys in `herald config`'s order, every string
/// double-quoted (JSON's escapes are YAML's), a header naming the files read.
extension MesosImport {
    func render() -> (yaml: String, redacted: String) {
        var header = "# herald.yaml written by `herald import` from:\n"
        var seen: Set<String> = []
        for source in sources where seen.insert(source).inserted { header += "#   \(source)\n" }
        var lines: [String] = []
        var redacted: [String] = []
        for key in ConfigurationKey.all.map(\.name) {
            guard let (value, _) = values[key] else { continue }
            let secret = Self.secretKeys.contains(key)
            lines.append(Self.line(key, value, redact: false))
            redacted.append(Self.line(key, value, redact: secret))
        }
        return (
            header + lines.joined(separator: "\n") + "\n", header + redacted.joined(separator: "\n") + "\n"
        )
    }

    static func line(_ key: String, _ value: Value, redact: Bool) -> String {
        let hidden = MesosRender.jsonString(MesosRender.redaction)
        switch value {
        case .text(let text): return "\(key): \(redact ? hidden : MesosRender.jsonString(text))"
        case .number(let number): return "\(key): \(number)"
        case .flag(let flag): return "\(key): \(flag)"
        case .list(let items): return "\(key): [\(items.map(MesosRender.jsonString).joined(separator: ", "))]"
        case .credentials(let list):
            let entries = list.map {
                "  - principal: \(MesosRender.jsonString($0.principal))\n"
                    + "    secret: \(redact ? hidden : MesosRender.jsonString($0.secret))"
            }
            return "\(key):\n" + entries.joined(separator: "\n")
        }
    }
}
