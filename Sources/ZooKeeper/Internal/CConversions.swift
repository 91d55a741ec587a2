import CZooKeeper
import Foundation

// Copies between the C client's structures and the module's value types. Everything read from
// C is copied before the callback returns; everything handed to C is freed by the caller.

extension Stat {
    init(_ c: CZooKeeper.Stat) {
        self.init(
            czxid: c.czxid, mzxid: c.mzxid, ctime: c.ctime, mtime: c.mtime,
            version: c.version, cversion: c.cversion, aversion: c.aversion,
            ephemeralOwner: c.ephemeralOwner, dataLength: c.dataLength,
            numChildren: c.numChildren, pzxid: c.pzxid
        )
    }
}

extension CreateMode {
    var cFlags: Int32 {
        switch self {
        case .persistent: return ZOO_PERSISTENT
        case .ephemeral: return ZOO_EPHEMERAL
        case .persistentSequential: return ZOO_PERSISTENT_SEQUENTIAL
        case .ephemeralSequential: return ZOO_EPHEMERAL_SEQUENTIAL
        }
    }
}

extension WatchEvent.Kind {
    init?(cType: Int32) {
        switch cType {
        case ZOO_CREATED_EVENT: self = .created
        case ZOO_DELETED_EVENT: self = .deleted
        case ZOO_CHANGED_EVENT: self = .dataChanged
        case ZOO_CHILD_EVENT: self = .childrenChanged
        case ZOO_NOTWATCHING_EVENT: self = .notWatching
        default: return nil
        }
    }
}

enum CVectors {
    /// Copies a C ACL list (owned by the C client) into values.
    static func acls(_ vector: UnsafePointer<ACL_vector>?) -> [ACL] {
        guard let vector, vector.pointee.count > 0, let data = vector.pointee.data else { return [] }
        return (0..<Int(vector.pointee.count)).map { index in
            let entry = data[index]
            return ACL(
                permissions: ACL.Permissions(rawValue: entry.perms),
                scheme: entry.id.scheme.map { String(cString: $0) } ?? "",
                id: entry.id.id.map { String(cString: $0) } ?? ""
            )
        }
    }

    /// Copies a C string list (owned by the C client) into values.
    static func strings(_ vector: UnsafePointer<String_vector>?) -> [String] {
        guard let vector, vector.pointee.count > 0, let data = vector.pointee.data else { return [] }
        return (0..<Int(vector.pointee.count)).map { data[$0].map { String(cString: $0) } ?? "" }
    }
}

/// An ACL list laid out for C, alive as long as this object. `pointer` stays valid for the
/// object's lifetime (a `multi` create op keeps it until `zoo_amulti` serialises the request).
final class CACLVector {
    private let entries: UnsafeMutablePointer<CZooKeeper.ACL>
    private var strings: [UnsafeMutablePointer<CChar>] = []
    let pointer: UnsafeMutablePointer<ACL_vector>

    init(_ acls: [ACL]) {
        entries = .allocate(capacity: max(acls.count, 1))
        pointer = .allocate(capacity: 1)
        pointer.initialize(to: ACL_vector(count: Int32(acls.count), data: entries))
        for (index, acl) in acls.enumerated() {
            let scheme = strdup(acl.scheme)!
            let id = strdup(acl.id)!
            strings.append(scheme)
            strings.append(id)
            (entries + index).initialize(
                to: CZooKeeper.ACL(perms: acl.permissions.rawValue, id: Id(scheme: scheme, id: id))
            )
        }
    }

    deinit {
        for string in strings { free(string) }
        entries.deallocate()
        pointer.deallocate()
    }

    func withPointer<R>(_ body: (UnsafePointer<ACL_vector>) -> R) -> R {
        body(pointer)
    }
}
