/// One configuration mistake, as one line that names the key, the value and what is allowed.
public struct ConfigurationError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Where the value came from: `FILE`, `HERALD_KEY`, `--set`.
    public var source: String
    public var key: String
    public var message: String

    public init(source: String, key: String, message: String) {
        self.source = source
        self.key = key
        self.message = message
    }

    public var description: String {
        key.isEmpty ? "\(source): \(message)" : "\(source): \(key): \(message)"
    }
}

/// Every mistake found while loading, so an operator fixes them all in one go.
public struct ConfigurationErrors: Error, Sendable, CustomStringConvertible {
    public var errors: [ConfigurationError]

    public var description: String { errors.map(\.description).joined(separator: "\n") }
}
