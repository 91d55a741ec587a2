import HeraldTestSupport
import Testing

@testable import ZooKeeper

@Suite("Nodes against a real ensemble")
struct NodeTests {
    @Test("create, get, set and delete honour versions and report the right errors")
    func crudWithVersions() async throws {
        try await withClient { zk in
            let base = try await scratchPath(zk)
            let node = "\(base)/node"
            let (created, stat) = try await zk.create(node, data: Array("one".utf8))
            #expect(created == node)
            #expect(stat.version == 0)
            #expect(stat.dataLength == 3)
            #expect(!stat.isEphemeral)

            let (data, readStat) = try await zk.get(node)
            #expect(data == Array("one".utf8))
            #expect(readStat.czxid == stat.czxid)

            let updated = try await zk.set(node, data: Array("two".utf8), version: 0)
            #expect(updated.version == 1)
            await expectZooKeeperError(.badVersion) { try await zk.set(node, data: [], version: 0) }
            await expectZooKeeperError(.badVersion) { try await zk.delete(node, version: 0) }
            await expectZooKeeperError(.nodeExists) { try await zk.create(node) }

            try await zk.create("\(node)/child")
            await expectZooKeeperError(.notEmpty) { try await zk.delete(node) }
            try await zk.delete("\(node)/child")
            try await zk.delete(node, version: 1)

            await expectZooKeeperError(.noNode) { try await zk.get(node) }
            await expectZooKeeperError(.noNode) { try await zk.set(node, data: []) }
            await expectZooKeeperError(.noNode) { try await zk.delete(node) }
            await expectZooKeeperError(.noNode) { try await zk.create("\(base)/missing/child") }
            #expect(try await zk.exists(node) == nil)
        }
    }

    @Test("node data is binary-safe up to the 1 MiB limit")
    func binaryData() async throws {
        try await withClient { zk in
            let base = try await scratchPath(zk)
            let bytes: [UInt8] = [0, 1, 0, 255, 0, 10, 13, 0]
            try await zk.create("\(base)/binary", data: bytes)
            #expect(try await zk.get("\(base)/binary").data == bytes)

            let large = (0..<(maxNodeDataSize - 1024)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            try await zk.set("\(base)/binary", data: large)
            let (read, stat) = try await zk.get("\(base)/binary")
            #expect(read == large)
            #expect(Int(stat.dataLength) == large.count)

            try await zk.set("\(base)/binary", data: [])
            #expect(try await zk.get("\(base)/binary").data.isEmpty)

            // Over the limit is refused before sending (the server would drop the connection).
            let tooLarge = [UInt8](repeating: 1, count: maxNodeDataSize + 1)
            await expectZooKeeperError(.badArguments) { try await zk.set("\(base)/binary", data: tooLarge) }
            await expectZooKeeperError(.badArguments) { try await zk.create("\(base)/big", data: tooLarge) }
            #expect(zk.state == .connected)
        }
    }

    @Test("sequential nodes get increasing 10-digit suffixes from their parent's counter")
    func sequentialNames() async throws {
        try await withClient { zk in
            let base = try await scratchPath(zk)
            var names: [String] = []
            for _ in 0..<3 {
                names.append(try await zk.create("\(base)/json.info_", mode: .ephemeralSequential).path)
            }
            try await zk.create("\(base)/plain")
            names.append(try await zk.create("\(base)/info_", mode: .persistentSequential).path)
            let suffixes = names.map { String($0.suffix(10)) }
            #expect(suffixes.allSatisfy { $0.count == 10 && $0.allSatisfy(\.isNumber) })
            #expect(suffixes == ["0000000000", "0000000001", "0000000002", "0000000004"])
            #expect(names[0] == "\(base)/json.info_0000000000")

            let (children, stat) = try await zk.children(base)
            #expect(Set(children) == Set(names.map { String($0.split(separator: "/").last!) } + ["plain"]))
            #expect(stat.numChildren == 5)
        }
    }

    @Test("ensurePath creates missing parents and leaves existing nodes alone")
    func ensurePath() async throws {
        try await withClient { zk in
            let base = try await scratchPath(zk)
            try await zk.set(base, data: Array("keep".utf8))
            let created = try await zk.ensurePath("\(base)/a/b/c")
            #expect(created == ["\(base)/a", "\(base)/a/b", "\(base)/a/b/c"])
            #expect(try await zk.ensurePath("\(base)/a/b/c").isEmpty)
            #expect(try await zk.get(base).data == Array("keep".utf8))
            await expectZooKeeperError(.badArguments) { try await zk.ensurePath("/") }
            await expectZooKeeperError(.badArguments) { try await zk.ensurePath("relative/path") }
        }
    }

    @Test("the session reports its id, negotiated timeout and server")
    func sessionInfo() async throws {
        try await withClient(sessionTimeout: .seconds(5)) { zk in
            let session = try #require(zk.session)
            #expect(session.id != 0)
            #expect(session.negotiatedTimeout == .seconds(5))
            let server = try #require(session.server)
            #expect(try TestEnsemble.servers.split(separator: ",").contains(Substring(server)))
            #expect(zk.state == .connected)
        }
    }

    @Test("a multi that fails in its last step changes nothing")
    func multiAllOrNothing() async throws {
        try await withClient { zk in
            let base = try await scratchPath(zk)
            try await zk.create("\(base)/existing", data: Array("v0".utf8))
            do {
                _ = try await zk.multi([
                    .create(path: "\(base)/a", data: [1], mode: .persistent, acl: ACL.openUnsafe),
                    .set(path: "\(base)/existing", data: Array("v1".utf8), version: 0),
                    .delete(path: "\(base)/existing", version: 1),
                    .check(path: "\(base)/absent", version: anyVersion),
                ])
                Issue.record("the multi should have failed")
            } catch let error as MultiError {
                #expect(error.failedIndex == 3)
                #expect(error.error.code == .noNode)
                #expect(error.error.path == "\(base)/absent")
                #expect(error.codes.count == 4)
            }
            #expect(try await zk.exists("\(base)/a") == nil)
            let (data, stat) = try await zk.get("\(base)/existing")
            #expect(data == Array("v0".utf8))
            #expect(stat.version == 0)
        }
    }

    @Test("a successful multi returns each step's result")
    func multiResults() async throws {
        try await withClient { zk in
            let base = try await scratchPath(zk)
            try await zk.create("\(base)/existing")
            let results = try await zk.multi([
                .check(path: "\(base)/existing", version: 0),
                .create(path: "\(base)/seq_", data: [7], mode: .persistentSequential, acl: ACL.openUnsafe),
                .set(path: "\(base)/existing", data: [9], version: 0),
                .delete(path: "\(base)/existing", version: 1),
            ])
            #expect(results.count == 4)
            #expect(results[0] == .check)
            #expect(results[1] == .create(path: "\(base)/seq_0000000001"))
            guard case .set(let stat) = results[2] else {
                Issue.record("expected a set result, got \(results[2])")
                return
            }
            #expect(stat.version == 1)
            #expect(results[3] == .delete)
            #expect(try await zk.get("\(base)/seq_0000000001").data == [7])
            #expect(try await zk.exists("\(base)/existing") == nil)
        }
    }

    @Test("a multi that fails as a whole is a ZooKeeperError, not a step's MultiError")
    func multiWholeFailure() async throws {
        let zk = try await ZooKeeperClient.connect(
            ZooKeeperConfiguration(servers: try TestEnsemble.servers), logger: testLogger)
        await zk.close()
        do {
            _ = try await zk.multi([.check(path: "/", version: anyVersion), .delete(path: "/x", version: 0)])
            Issue.record("a multi on a closed client must fail")
        } catch let error as ZooKeeperError {
            #expect(error.code == .closing)
        }
    }
}
