/// Mesos' own syntax for `--attributes` and `--resources` entries, checked at start-up so that
/// a typo fails here with its reason instead of making mesos-agent exit later.
///
/// attribute: `text ":" (scalar | range | text)`
/// resource:  `text ["(" role ")"] ":" (scalar | ranges | set)`
/// ranges: `[a-b, c-d]` with a ≤ b; set: `{x,y}`; text: letters, digits and `_ / . -`.
public enum MesosSyntax {
    /// Nil when valid, else what is wrong.
    public static func attributeProblem(_ entry: String) -> String? {
        guard let (name, value) = split(entry) else { return "expected name:value" }
        if !isText(name) { return "attribute name '\(name)' may only use letters, digits and _ / . -" }
        if value.hasPrefix("[") { return rangesProblem(value) }
        if isScalar(value) || isText(value) { return nil }
        return "attribute value '\(value)' must be a number, ranges [a-b, …] or text (letters, digits, _ / . -)"
    }

    /// Nil when valid, else what is wrong.
    public static func resourceProblem(_ entry: String) -> String? {
        guard let (key, value) = split(entry) else { return "expected name:value or name(role):value" }
        var name = Substring(key)
        if let open = key.firstIndex(of: "(") {
            guard key.hasSuffix(")") else { return "role in '\(key)' must be closed with ')'" }
            let role = key[key.index(after: open)..<key.index(before: key.endIndex)]
            if role.isEmpty || !(role == "*" || isText(role)) {
                return "role '\(role)' must be * or letters, digits and _ / . -"
            }
            name = key[..<open]
        }
        if !isText(name) { return "resource name '\(name)' may only use letters, digits and _ / . -" }
        if value.hasPrefix("[") { return rangesProblem(value) }
        if value.hasPrefix("{") { return setProblem(value) }
        if let number = Double(value), number >= 0, number.isFinite { return nil }
        return "resource value '\(value)' must be a non-negative number, ranges [a-b, …] or a set {a,b}"
    }

    private static func split(_ entry: String) -> (String, String)? {
        guard !entry.contains(";"), let colon = entry.firstIndex(of: ":") else { return nil }
        let name = String(entry[..<colon]).trimmed
        let value = String(entry[entry.index(after: colon)...]).trimmed
        guard !name.isEmpty, !value.isEmpty else { return nil }
        return (name, value)
    }

    private static func rangesProblem(_ value: String) -> String? {
        guard value.hasSuffix("]"), value.count >= 2 else { return "ranges '\(value)' must end with ']'" }
        let body = value.dropFirst().dropLast()
        if body.trimmed.isEmpty { return "ranges '\(value)' are empty" }
        for part in body.split(separator: ",", omittingEmptySubsequences: false) {
            let bounds = part.trimmed.split(separator: "-", omittingEmptySubsequences: false)
            guard bounds.count == 2, let low = UInt64(bounds[0]), let high = UInt64(bounds[1]) else {
                return "range '\(part.trimmed)' in '\(value)' must be begin-end with whole numbers"
            }
            if low > high { return "range '\(part.trimmed)' in '\(value)' begins after it ends" }
        }
        return nil
    }

    private static func setProblem(_ value: String) -> String? {
        guard value.hasSuffix("}"), value.count >= 2 else { return "set '\(value)' must end with '}'" }
        let items = value.dropFirst().dropLast().split(separator: ",", omittingEmptySubsequences: false)
        for item in items where item.trimmed.isEmpty || !isText(item.trimmed) {
            return "set item '\(item.trimmed)' in '\(value)' must be letters, digits and _ / . -"
        }
        return nil
    }

    private static func isScalar(_ value: String) -> Bool {
        Double(value).map { $0.isFinite } ?? false
    }

    static func isText<S: StringProtocol>(_ value: S) -> Bool {
        !value.isEmpty
            && value.unicodeScalars.allSatisfy {
                ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0)
                    || "_/.-".unicodeScalars.contains($0)
            }
    }
}

extension StringProtocol {
    var trimmed: String {
        String(
            self.drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed()
        )
    }
}
