/// Where Herald keeps its own znodes, and where older versions kept them.
///
/// Nothing of Herald's lives inside the Mesos base path: Mesos and mesos-go skip children without
/// a sequence number, but pymesos' detector takes the smallest name of every child except
/// `log_replicas`, so a `herald` child there hides the leader from every pymesos framework.
/// Herald's bookkeeping therefore sits under a root of its own, by default `/herald/<cluster>`.
public struct HeraldPaths: Hashable, Sendable {
    /// The Mesos base path, e.g. `/mesos`.
    public let mesosBase: String
    /// Herald's own root, e.g. `/herald/mantl`.
    public let root: String

    public init(mesosBase: String, root: String) {
        self.mesosBase = mesosBase
        self.root = root
    }

    /// The default root for a cluster name: `/herald/<cluster>`.
    public static func defaultRoot(cluster: String) -> String { "/herald/" + cluster }

    /// The registered followers: one ephemeral node per follower host.
    public var followers: String { Self.join(root, "followers") }

    /// The node older versions created inside the Mesos base path (`<base>/herald`).
    public var legacyRoot: String { Self.join(mesosBase, Self.legacyName) }

    /// Where older versions registered followers (`<base>/herald/followers`).
    public var legacyFollowers: String { Self.join(legacyRoot, "followers") }

    /// The name of the legacy child of the Mesos base path.
    public static let legacyName = "herald"

    /// The node name of a follower host: its name with `/` (not allowed in a znode name) replaced.
    public static func followerNode(_ hostname: String) -> String {
        String(hostname.map { $0 == "/" ? "_" : $0 })
    }

    /// Whether `path` is `ancestor` or lies below it.
    public static func path(_ path: String, isWithin ancestor: String) -> Bool {
        ancestor == "/" || path == ancestor || path.hasPrefix(ancestor + "/")
    }

    private static func join(_ parent: String, _ child: String) -> String {
        (parent == "/" ? "" : parent) + "/" + child
    }
}
