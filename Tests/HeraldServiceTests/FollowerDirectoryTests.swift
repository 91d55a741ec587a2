import Foundation
import HeraldTestSupport
import Logging
import MesosLayout
import Testing
import ZooKeeper

@testable import HeraldService

/// `FollowerDirectory` against the shared real ensemble, each test under a root of its own.
@Suite("Follower directory against a real ensemble", .timeLimit(.minutes(1)))
struct FollowerDirectoryTests {
    func paths() -> HeraldPaths {
        HeraldPaths(mesosBase: "/unused", root: "/herald-test-followers/\(UUID().uuidString.prefix(8).lowercased())")
    }

    func directory(_ paths: HeraldPaths, host: String?, lists: Bool) throws -> FollowerDirectory {
        FollowerDirectory(
            zooKeeper: .init(servers: try TestEnsemble.servers, sessionTimeout: .seconds(6)), paths: paths,
            registration: host.map { .init(hostname: $0, ip: "10.0.0.1", port: 5051) }, acl: ACL.openUnsafe,
            logger: testLogger, lists: lists)
    }

    /// Waits until `path` exists (a bounded wait: registrations are asynchronous).
    /// Waits until `path` exists: an existence watch set by the same read that finds it missing
    /// fires when it is made, so no creation is missed between a check and the wait.
    func registered(_ path: String, _ client: ZooKeeperClient, _ what: String) async throws {
        try await within(.seconds(15), what) {
            while true {
                let (stat, created) = try await client.existsAndWatch(path)
                if stat != nil { return }
                _ = try await created.event()
            }
        }
    }

    @Test("a host that does not read the list registers again when its node or the whole directory is deleted")
    func nonListingHostRegistersAgain() async throws {
        let paths = paths()
        let follower = try directory(paths, host: "f1", lists: false)
        let run = Task { await follower.run() }
        defer { run.cancel() }
        try await withClient { client in
            let own = paths.followers + "/f1"
            try await registered(own, client, "the first registration")
            try await client.delete(own)
            try await registered(own, client, "the registration after its node was deleted")
            try await client.delete(own)
            try await client.delete(paths.followers)
            try await registered(own, client, "the registration after the directory was deleted")
        }
        // It never read the list.
        #expect(follower.followers.isEmpty)
    }

    @Test("a host that reads the list registers again when its own node is deleted, and lists itself")
    func listingHostRegistersAgain() async throws {
        let paths = paths()
        let host = try directory(paths, host: "m1", lists: true)
        let run = Task { await host.run() }
        defer { run.cancel() }
        try await withClient { client in
            let own = paths.followers + "/m1"
            try await registered(own, client, "the first registration")
            try await client.delete(own)
            try await registered(own, client, "the registration after its node was deleted")
        }
        try await within(.seconds(15), "the list to show the host") {
            // Subscribed before the check, so that a list published in between is not missed.
            let updates = host.updates()
            if host.followers.map(\.hostname) == ["m1"] { return }
            for await list in updates where list.map(\.hostname) == ["m1"] { return }
            throw SetupError("the directory stopped before listing the host")
        }
    }
}
