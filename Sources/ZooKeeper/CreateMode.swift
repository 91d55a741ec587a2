/// How a node is created: whether it outlives its session and whether the server appends a
/// 10-digit sequence number to its name.
public enum CreateMode: Hashable, Sendable, CaseIterable {
    case persistent
    case ephemeral
    case persistentSequential
    case ephemeralSequential

    public var isEphemeral: Bool { self == .ephemeral || self == .ephemeralSequential }
    public var isSequential: Bool { self == .persistentSequential || self == .ephemeralSequential }
}
