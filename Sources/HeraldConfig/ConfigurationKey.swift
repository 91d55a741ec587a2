import Yams

/// A value for one key, as it came in: a YAML node from the file, or text from the environment
/// or the command line (where list keys also take YAML flow syntax).
enum RawValue {
    case node(Node)
    case text(String)

    /// The value as one string; sequences and mappings are an error.
    func string() throws(KeyProblem) -> String {
        switch self {
        case .text(let text): return text
        case .node(let node):
            guard let scalar = node.scalar else { throw KeyProblem("expected a single value, got a \(node.kind)") }
            return scalar.string
        }
    }

    func int(_ range: ClosedRange<Int>, what: String) throws(KeyProblem) -> Int {
        let text = try string()
        guard let value = Int(text.trimmed), range.contains(value) else {
            throw KeyProblem("'\(text)' is not \(what) (\(range.lowerBound)-\(range.upperBound))")
        }
        return value
    }

    /// true/false (also yes/no, on/off); `auto` gives nil when `allowAuto`.
    func bool(allowAuto: Bool = false) throws(KeyProblem) -> Bool? {
        let text = try string().trimmed.lowercased()
        switch text {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        case "auto" where allowAuto: return nil
        default:
            throw KeyProblem("'\(text)' is not a boolean (true or false\(allowAuto ? ", or auto" : ""))")
        }
    }

    /// A YAML sequence of scalars, or text split at `separator` (`;` for Mesos' lists, whose
    /// entries contain commas; `,` for host lists). Text in `[…]` flow syntax is read as YAML.
    func list(separator: Character) throws(KeyProblem) -> [String] {
        switch self {
        case .node(let node):
            if let sequence = node.sequence {
                var items: [String] = []
                for item in sequence {
                    guard let scalar = item.scalar else { throw KeyProblem("list items must be single values") }
                    items.append(scalar.string)
                }
                return items
            }
            return try RawValue.text(try string()).list(separator: separator)
        case .text(let text):
            let trimmed = text.trimmed
            if trimmed.hasPrefix("["), let node = try? Yams.compose(yaml: trimmed), node.sequence != nil {
                return try RawValue.node(node).list(separator: separator)
            }
            if trimmed.isEmpty { return [] }
            return trimmed.split(separator: separator).map { $0.trimmed }.filter { !$0.isEmpty }
        }
    }
}

/// Why a value was refused (the key and the source are added by the loader).
struct KeyProblem: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

extension Node {
    var kind: String {
        switch self {
        case .scalar: return "value"
        case .sequence: return "list"
        case .mapping: return "mapping"
        case .alias: return "alias"
        }
    }
}

/// One configuration key: its name, whether it holds a secret, how to apply a raw value and how
/// to show the effective value (secrets redacted).
struct ConfigurationKey: Sendable {
    typealias Apply = @Sendable (inout HeraldConfiguration, RawValue) throws(KeyProblem) -> Void

    let name: String
    let secret: Bool
    let apply: Apply
    let show: @Sendable (HeraldConfiguration) -> String

    /// The environment variable that overrides this key.
    var environmentName: String { "HERALD_" + name.uppercased() }
}
