import Crypto
import Foundation

/// One entry of a node's access control list: a scheme, an id within it, and permissions.
public struct ACL: Hashable, Sendable, CustomStringConvertible {
    /// What an ACL entry allows; the raw values are ZooKeeper's own bits.
    public struct Permissions: OptionSet, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }

        public static let read = Permissions(rawValue: 1 << 0)
        public static let write = Permissions(rawValue: 1 << 1)
        public static let create = Permissions(rawValue: 1 << 2)
        public static let delete = Permissions(rawValue: 1 << 3)
        public static let admin = Permissions(rawValue: 1 << 4)
        public static let all: Permissions = [.read, .write, .create, .delete, .admin]

        /// ZooKeeper's shell spelling, in `cdrwa` order.
        public var description: String {
            var letters = ""
            if contains(.create) { letters += "c" }
            if contains(.delete) { letters += "d" }
            if contains(.read) { letters += "r" }
            if contains(.write) { letters += "w" }
            if contains(.admin) { letters += "a" }
            return letters
        }
    }

    public var permissions: Permissions
    public var scheme: String
    public var id: String

    public init(permissions: Permissions, scheme: String, id: String) {
        self.permissions = permissions
        self.scheme = scheme
        self.id = id
    }

    /// `scheme:id:perms`, as ZooKeeper's shell prints it. Digest ids hold only a hash.
    public var description: String { "\(scheme):\(id):\(permissions)" }

    /// `world:anyone` with the given permissions.
    public static func world(_ permissions: Permissions) -> ACL {
        ACL(permissions: permissions, scheme: "world", id: "anyone")
    }

    /// The session's authenticated identities (the creator) with the given permissions.
    public static func auth(_ permissions: Permissions) -> ACL {
        ACL(permissions: permissions, scheme: "auth", id: "")
    }

    /// A digest identity: `user:base64(sha1("user:secret"))`, computed as ZooKeeper does.
    public static func digest(user: String, secret: String, _ permissions: Permissions) -> ACL {
        ACL(permissions: permissions, scheme: "digest", id: digestID(user: user, secret: secret))
    }

    /// The id ZooKeeper's digest provider stores for `user` with `secret`.
    public static func digestID(user: String, secret: String) -> String {
        let hash = Insecure.SHA1.hash(
            data: ZooKeeperConfiguration.DigestCredentials(user: user, secret: secret).authData)
        return "\(user):\(Data(hash).base64EncodedString())"
    }

    /// Anyone may do anything (`ZOO_OPEN_ACL_UNSAFE`).
    public static let openUnsafe: [ACL] = [.world(.all)]
    /// Anyone may read (`ZOO_READ_ACL_UNSAFE`).
    public static let readUnsafe: [ACL] = [.world(.read)]
    /// The creator may do anything (`ZOO_CREATOR_ALL_ACL`).
    public static let creatorAll: [ACL] = [.auth(.all)]
}
