import ZooKeeper

/// What a contender's create needs; `findFirst` after an ambiguous failure in this session.
struct CreateRequest: Sendable {
    var basePath: String
    var data: [UInt8]
    var acl: [ACL]
    var marker: String
    var sessionID: Int64
    var findFirst: Bool
    /// MasterInfo ids of members already read, to skip their gets.
    var knownIDs: [String: String]
}
