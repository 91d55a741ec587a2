import ElectionModel
import ZooKeeper

/// A read of the base path: the listing, and the gets of members not known yet.
struct ReadResult: Sendable {
    var children: [String]
    var pzxid: Int64
    /// Gets of the numbered children that were not in the cache (vanished ones are absent).
    var fetched: [String: GroupMembers.Entry]
    /// The watch left by this read (children, or existence of a missing base path).
    var watch: Watch?
    /// When the listing was sent: the server heard from the session after this.
    var sentAt: ContinuousClock.Instant

    init(
        children: [String], pzxid: Int64, fetched: [String: GroupMembers.Entry], watch: Watch? = nil,
        sentAt: ContinuousClock.Instant
    ) {
        self.children = children
        self.pzxid = pzxid
        self.fetched = fetched
        self.watch = watch
        self.sentAt = sentAt
    }
}
