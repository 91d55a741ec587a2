/// What listeners of an `ElectionGroup` are told, in order.
///
/// Within one change, a contender's `demoted` comes before the view and leader events, and
/// `elected` after them: a listener never sees two of its process' contenders leading at once.
public enum ElectionEvent: Hashable, Sendable {
    /// The published view changed (any field).
    case viewChanged(ElectionView)
    /// The announced leader changed (a different node, or none).
    case leaderChanged(from: Candidate?, to: Candidate?)
    /// A read found fewer valid candidates than required.
    case quorumLost(present: Int, required: Int)
    /// A read found enough valid candidates again.
    case quorumRegained(present: Int, required: Int)
    /// A contender leads, with the fencing epoch of its node.
    case elected(ContenderID, node: String, epoch: Int64)
    /// A contender stopped leading.
    case demoted(ContenderID, reason: ContenderState.Reason)
}
