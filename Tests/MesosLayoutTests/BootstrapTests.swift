import Foundation
import HeraldTestSupport
import Logging
import Testing
import ZooKeeper

@testable import MesosLayout

/// `ChrootBootstrap` against the shared real ensemble; each test uses its own chroot.
@Suite("Chroot bootstrap against a real ensemble")
struct BootstrapTests {
    /// A top-level parent per test: a secured bootstrap creates its parents with its own ACL, so a
    /// shared parent would lock the other tests out depending on which ran first.
    func uniqueBase() -> String { "/herald-bootstrap-test-\(UUID().uuidString.prefix(8).lowercased())/mesos" }

    @Test("creates the chroot and its parents with world:read plus the digest identity, idempotently")
    func createsSecuredChroot() async throws {
        let base = uniqueBase()
        let credentials = ZooKeeperConfiguration.DigestCredentials(user: "herald", secret: "s3cret")
        let acl = ChrootBootstrap.desiredACL(user: credentials.user, secret: credentials.secret)
        #expect(acl == [.world(.read), .digest(user: "herald", secret: "s3cret", .all)])
        try await withClient(credentials: credentials) { zk in
            let first = try await ChrootBootstrap.run(client: zk, basePath: base, acl: acl, fixACL: false)
            #expect(first.created.last == base)
            #expect(first.acl == .matches)
            #expect(first.hazards.isEmpty)
            #expect(Set(try await zk.getACL(base).acl) == Set(acl))
            let second = try await ChrootBootstrap.run(client: zk, basePath: base, acl: acl, fixACL: false)
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
            try await zk.ensurePath(base)  // world-open, as an older setup may have left it
            let report = try await ChrootBootstrap.run(client: zk, basePath: base, acl: wanted, fixACL: false)
            #expect(report.acl == .differs(current: ACL.openUnsafe, desired: wanted))
            #expect(try await zk.getACL(base).acl == ACL.openUnsafe)
            let fixed = try await ChrootBootstrap.run(client: zk, basePath: base, acl: wanted, fixACL: true)
            #expect(fixed.acl == .fixed(previous: ACL.openUnsafe))
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
            let report = try await ChrootBootstrap.run(client: zk, basePath: base, acl: ACL.openUnsafe, fixACL: false)
            #expect(Set(report.nonMembers) == ["log_replicas", "herald"])
            let flagged = Set(report.hazards.map(\.node))
            #expect(flagged.contains("foo_0000000002"))
            #expect(report.hazards.allSatisfy { !$0.reason.isEmpty })
            #expect(Set(try await zk.children(base).children) == before)
        }
    }
}
