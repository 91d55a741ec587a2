/// Identifies one contender of an `ElectionGroup`.
public struct ContenderID: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let value: Int

    public init(_ value: Int) { self.value = value }

    public var description: String { "contender \(value)" }

    public static func < (lhs: ContenderID, rhs: ContenderID) -> Bool { lhs.value < rhs.value }
}
