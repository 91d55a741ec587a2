public import ZooKeeper

extension ElectionGroup {
    /// What a group needs: the ensemble, the base path, the quorum, the ACL of its nodes, the retry delays.
    public struct Configuration: Sendable {
        /// Servers, session timeout, digest credentials (resume and read-only are not used).
        public var zooKeeper: ZooKeeperConfiguration
        /// The Mesos base path, e.g. `/mesos`.
        public var basePath: String
        /// `required` of DESIGN.md.
        public var required: Int
        /// The ACL of candidate nodes (and of the base path when a contender has to create it).
        public var nodeACL: [ACL]
        /// First delay before opening a new session or retrying a failed create; doubles up to
        /// `maximumRetryDelay`.
        public var retryDelay: Duration
        public var maximumRetryDelay: Duration

        public init(
            zooKeeper: ZooKeeperConfiguration, basePath: String, required: Int, nodeACL: [ACL]? = nil,
            retryDelay: Duration = .milliseconds(100), maximumRetryDelay: Duration = .seconds(5)
        ) {
            self.zooKeeper = zooKeeper
            self.basePath = basePath
            self.required = max(required, 1)
            self.nodeACL = nodeACL ?? Self.nodeACL(authenticated: zooKeeper.credentials != nil)
            self.retryDelay = retryDelay
            self.maximumRetryDelay = maximumRetryDelay
        }

        /// Mesos' ACL for its nodes: world-open, or world:read plus creator-all with credentials.
        public static func nodeACL(authenticated: Bool) -> [ACL] {
            authenticated ? [.world(.read), .auth(.all)] : ACL.openUnsafe
        }
    }
}
