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
    /// the ACL names them).
    public static func run(
        client: ZooKeeperClient, basePath: String, acl: [ACL], fixACL: Bool
    ) async throws -> Report {
        let created = try await client.ensurePath(basePath, acl: acl)
        let (current, stat) = try await client.getACL(basePath)
        var state = ACLState.matches
        if Set(current) != Set(acl) {
            if fixACL {
                try await client.setACL(basePath, acl: acl, version: stat.aversion)
                state = .fixed(previous: current)
            } else {
                state = .differs(current: current, desired: acl)
            }
        }
        let (children, _) = try await client.children(basePath)
        let view = GroupView(children: children)
        var lowestData: [UInt8]?
        if let lowest = view.mesosLowestChild {
            do {
                lowestData = try await client.get("\(basePath)/\(lowest)").data
            } catch let error as ZooKeeperError where error.code == .noNode {
                lowestData = nil  // vanished between the listing and the read: no leader yet
            }
        }
        return Report(
            created: created, acl: state, nonMembers: view.nonMembers, hazards: view.hazards(lowestData: lowestData))
    }
}
