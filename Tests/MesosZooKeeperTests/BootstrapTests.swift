import Foundation
import HeraldTestSupport
import Logging
import MesosLayout
import MesosZooKeeper
import Testing
import ZooKeeper

/// `ChrootBootstrap` against the shared real ensemble; each test uses its own chroot.
@Suite("Chroot bootstrap against a real ensemble")
struct BootstrapTests {
    /// A top-level parent per test: a secured bootstrap creates its parents with its own ACL, so a
    /// shared parent would lock the other tests out depending on which ran first.
    func uniqueBase() -> String { "/herald-bootstrap-test-\(UUID().uuidString.prefix(8).lowercased())/mesos" }

    /// Herald's path beside the test's chroot: `/herald-bootstrap-test-X/herald`.
    func paths(_ base: String) -> HeraldPaths {
        HeraldPaths(mesosBase: base, root: String(base.dropLast("/mesos".count)) + "/herald")
    }

    @Test("creates the chroot and its parents with world:read plus the digest identity, idempotently")
    func createsSecuredChroot() async throws {
        let base = uniqueBase()
        let credentials = ZooKeeperConfiguration.DigestCredentials(user: "herald", secret: "s3cret")
        let acl = ChrootBootstrap.desiredACL(user: credentials.user, secret: credentials.secret)
        #expect(acl == [.world(.read), .digest(user: "herald", secret: "s3cret", .all)])
        try await withClient(credentials: credentials) { zk in
            let first = try await ChrootBootstrap.run(client: zk, paths: paths(base), acl: acl, fixACL: false)
            #expect(first.created.contains(base))
            #expect(first.created.suffix(2) == [paths(base).root, paths(base).followers])
            #expect(first.acl == .matches)
            #expect(first.heraldACL == .matches)
            #expect(first.hazards.isEmpty)
            #expect(Set(try await zk.getACL(base).acl) == Set(acl))
            #expect(Set(try await zk.getACL(paths(base).root).acl) == Set(acl))
            #expect(Set(try await zk.getACL(paths(base).followers).acl) == Set(acl))
            // Nothing of Herald's inside the chroot.
            #expect(try await zk.children(base).children.isEmpty)
            let second = try await ChrootBootstrap.run(client: zk, paths: paths(base), acl: acl, fixACL: false)
            #expect(second.created.isEmpty)
            #expect(second.acl == .matches)
        }
        // Mesos' own rule: others may read the chroot, not write into it.
        try await withClient { stranger in
            let children = try await stranger.children(base).children
            #expect(children.isEmpty)
            do {
                try await stranger.create("\(base)/json.info_", mode: .ephemeralSequential)
                Issue.record("an unauthenticated session must not create members")
            } catch let error as ZooKeeperError {
                #expect(error.code == .noAuth)
            }
        }
    }

    @Test("a differing ACL is reported and kept, and replaced only with fixACL")
    func differingACL() async throws {
        let base = uniqueBase()
        let wanted: [ACL] = [.world(.read), .digest(user: "u", secret: "p", .all)]
        try await withClient { zk in
            // World-open, as an older setup may have left them.
            try await zk.ensurePath(base)
            try await zk.ensurePath(paths(base).followers)
            let report = try await ChrootBootstrap.run(client: zk, paths: paths(base), acl: wanted, fixACL: false)
            #expect(report.acl == .differs(current: ACL.openUnsafe, desired: wanted))
            #expect(report.heraldACL == .differs(current: ACL.openUnsafe, desired: wanted))
            #expect(try await zk.getACL(base).acl == ACL.openUnsafe)
            let fixed = try await ChrootBootstrap.run(client: zk, paths: paths(base), acl: wanted, fixACL: true)
            #expect(fixed.acl == .fixed(previous: ACL.openUnsafe))
            #expect(fixed.heraldACL == .fixed(previous: ACL.openUnsafe))
            // ZooKeeper masks digest hashes (`u:x`) for sessions without ADMIN on the node.
            #expect(
                Set(try await zk.getACL(base).acl) == [
                    .world(.read), ACL(permissions: .all, scheme: "digest", id: "u:x"),
                ])
        }
        let seenByOwner = try await withClient(credentials: .init(user: "u", secret: "p")) { owner in
            try await owner.getACL(base).acl
        }
        #expect(Set(seenByOwner) == Set(wanted))
    }

    @Test("children that would break Mesos are reported, and nothing is deleted")
    func reportsHazardsWithoutDeleting() async throws {
        let base = uniqueBase()
        try await withClient { zk in
            try await zk.ensurePath(base)
            try await zk.create("\(base)/log_replicas")
            try await zk.create("\(base)/herald")
            try await zk.create("\(base)/foo_", data: Array("x".utf8), mode: .persistentSequential)
            try await zk.create("\(base)/json.info_", data: Array("not json".utf8), mode: .ephemeralSequential)
            let before = Set(try await zk.children(base).children)
            let report = try await ChrootBootstrap.run(
                client: zk, paths: paths(base), acl: ACL.openUnsafe, fixACL: false)
            #expect(Set(report.nonMembers) == ["log_replicas", "herald"])
            let flagged = Set(report.hazards.map(\.node))
            #expect(flagged.contains("foo_0000000002"))
            // `herald` breaks pymesos; `log_replicas` is Mesos' own and breaks no one.
            #expect(flagged.contains("herald"))
            #expect(!flagged.contains("log_replicas"))
            #expect(report.hazards.allSatisfy { !$0.reason.isEmpty })
            #expect(Set(try await zk.children(base).children) == before)
        }
    }

    @Test("--migrate removes the legacy <base>/herald only once no host is registered there, and never foreign nodes")
    func migratesLegacyDirectory() async throws {
        let base = uniqueBase()
        let paths = paths(base)
        try await withClient { zk in
            try await zk.ensurePath(base)
            #expect(try await ChrootBootstrap.migrate(client: zk, paths: paths) == .nothingToDo)
            try await zk.ensurePath(paths.legacyFollowers)
            try await zk.create("\(base)/json.info_", data: [], mode: .ephemeralSequential)
            // An older host's registration, held by a session of its own.
            try await withClient { oldHost in
                try await oldHost.create(paths.legacyFollowers + "/f1", data: Array("{}".utf8), mode: .ephemeral)
                #expect(try await ChrootBootstrap.migrate(client: zk, paths: paths) == .stillRegistered(["f1"]))
                #expect(try await zk.exists(paths.legacyFollowers + "/f1") != nil)
            }
            // The old host's session closed: its node is gone, and so is the legacy directory.
            #expect(
                try await ChrootBootstrap.migrate(client: zk, paths: paths)
                    == .removed([paths.legacyFollowers, paths.legacyRoot]))
            #expect(try await zk.children(base).children.allSatisfy { $0.hasPrefix("json.info_") })
            #expect(try await ChrootBootstrap.migrate(client: zk, paths: paths) == .nothingToDo)
            // Someone else's node under <base>/herald: reported, kept.
            try await zk.ensurePath(paths.legacyRoot + "/notes")
            #expect(
                try await ChrootBootstrap.migrate(client: zk, paths: paths) == .foreign([paths.legacyRoot + "/notes"]))
            #expect(try await zk.exists(paths.legacyRoot + "/notes") != nil)
        }
    }
}
