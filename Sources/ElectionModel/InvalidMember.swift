/// A numbered child of the base path that is not a valid candidate: skipped for the decision,
/// reported, never deleted (it may belong to someone else).
public struct InvalidMember: Hashable, Sendable, CustomStringConvertible {
    public var node: String
    public var reason: String

    public init(node: String, reason: String) {
        self.node = node
        self.reason = reason
    }

    public var description: String { "\(node): \(reason)" }
}
