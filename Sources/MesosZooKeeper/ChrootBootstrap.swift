public import MesosLayout
public import ZooKeeper

/// Creates and secures the Mesos chroot the way Mesos expects it, and reports what would break
/// Mesos. Idempotent; never deletes anything; changes an existing ACL only when asked.
public enum ChrootBootstrap {
    /// How the chroot's ACL compares with the one Herald wants.
    public enum ACLState: Hashable, Sendable {
        case matches
        /// Left alone (pass `fixACL` to replace it).
        case differs(current: [ACL], desired: [ACL])
        /// Replaced; `previous` is what was there.
        case fixed(previous: [ACL])
    }

    public struct Report: Hashable, Sendable {
        /// Nodes this run created (parents first); empty when everything existed.
        public var created: [String]
        public var acl: ACLState
        /// The same comparison for Herald's own root (`HeraldPaths.root`).
        public var heraldACL: ACLState
        /// Children of the base path that are not Mesos members (e.g. `log_replicas`, `herald`).
        public var nonMembers: [String]
        /// Children that would make a Mesos master or agent exit.
        public var hazards: [MesosHazard]
    }

    /// Mesos' ACL for the chroot (MESOS-WIRE.md): world-open without credentials; with digest
    /// credentials world:read plus all rights for that digest identity (Mantl's
    /// `world:anyone:r,digest:USER:DIGEST:cdraw`).
    public static func desiredACL(user: String?, secret: String?) -> [ACL] {
        guard let user, let secret else { return ACL.openUnsafe }
        return [.world(.read), .digest(user: user, secret: secret, .all)]
    }

    /// Runs the bootstrap on a connected client (authenticated with the digest credentials when
    /// the ACL names them): the Mesos base path, and Herald's own root and follower directory
    /// with the same ACL.
    public static func run(
        client: ZooKeeperClient, paths: HeraldPaths, acl: [ACL], fixACL: Bool
    ) async throws -> Report {
        let basePath = paths.mesosBase
        var created = try await client.ensurePath(basePath, acl: acl)
        let state = try await checkACL(client: client, path: basePath, acl: acl, fix: fixACL)
        created += try await client.ensurePath(paths.followers, acl: acl)
        let heraldState = try await checkACL(client: client, path: paths.root, acl: acl, fix: fixACL)
        let (children, _) = try await client.children(basePath)
        let listing = GroupListing(children: children)
        var lowestData: [UInt8]?
        if let lowest = listing.mesosLowestChild {
            do {
                lowestData = try await client.get("\(basePath)/\(lowest)").data
            } catch let error as ZooKeeperError where error.code == .noNode {
                lowestData = nil  // vanished between the listing and the read: no leader yet
            }
        }
        return Report(
            created: created, acl: state, heraldACL: heraldState, nonMembers: listing.nonMembers,
            hazards: listing.hazards(lowestData: lowestData) + listing.readerHazards)
    }

    private static func checkACL(client: ZooKeeperClient, path: String, acl: [ACL], fix: Bool) async throws -> ACLState
    {
        let (current, stat) = try await client.getACL(path)
        guard Set(current) != Set(acl) else { return .matches }
        guard fix else { return .differs(current: current, desired: acl) }
        try await client.setACL(path, acl: acl, version: stat.aversion)
        return .fixed(previous: current)
    }

    /// What `migrate` found in the legacy location inside the Mesos base path.
    public enum Migration: Hashable, Sendable {
        /// There is no `<base>/herald`.
        case nothingToDo
        /// These nodes were removed (children first).
        case removed([String])
        /// Hosts still registered there (older versions running): nothing was removed.
        case stillRegistered([String])
        /// `<base>/herald` holds nodes Herald never wrote there: nothing was removed.
        case foreign([String])
    }

    /// Removes the legacy `<base>/herald/followers` and `<base>/herald` once no host is
    /// registered there. ZooKeeper deletes only empty nodes, so a host that registers at the same
    /// moment makes this report `stillRegistered` rather than lose its entry.
    public static func migrate(client: ZooKeeperClient, paths: HeraldPaths) async throws -> Migration {
        let legacyChildren: [String]
        do {
            legacyChildren = try await client.children(paths.legacyRoot).children
        } catch let error as ZooKeeperError where error.code == .noNode {
            return .nothingToDo
        }
        let foreign = legacyChildren.filter { $0 != "followers" }.sorted()
        if !foreign.isEmpty { return .foreign(foreign.map { paths.legacyRoot + "/" + $0 }) }
        var removed: [String] = []
        if legacyChildren.contains("followers") {
            do {
                let registered = try await client.children(paths.legacyFollowers).children
                if !registered.isEmpty { return .stillRegistered(registered.sorted()) }
                try await client.delete(paths.legacyFollowers)
                removed.append(paths.legacyFollowers)
            } catch let error as ZooKeeperError where error.code == .noNode {
            } catch let error as ZooKeeperError where error.code == .notEmpty {
                let registered = (try? await client.children(paths.legacyFollowers).children) ?? []
                return .stillRegistered(registered.sorted())
            }
        }
        do {
            try await client.delete(paths.legacyRoot)
            removed.append(paths.legacyRoot)
        } catch let error as ZooKeeperError where error.code == .noNode {
        } catch let error as ZooKeeperError where error.code == .notEmpty {
            // Someone created a child in between (an older host recreating the directory): judge again.
            return try await migrate(client: client, paths: paths)
        }
        return .removed(removed)
    }
}
