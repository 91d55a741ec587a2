import Foundation
import Testing

@testable import HeraldConfig

/// Golden files for `herald render`. Regenerate with HERALD_UPDATE_GOLDEN=1 after a deliberate
/// change, then review the diff.
@Suite("herald render golden files")
struct RenderTests {
    static let host = HostFacts(hostname: "m1.example.com", ipv4: "10.0.0.1")

    static let plain = """
        mesos_mode: leader
        mesos_zk_hosts: [10.0.0.1:2181, 10.0.0.2:2181, 10.0.0.3:2181]
        mesos_attributes: ["rack:r1", "node_id:m1"]
        mesos_logging_level: INFO
        """

    static let secured = """
        mesos_mode: leader
        mesos_zk_hosts: [10.0.0.1:2181, 10.0.0.2:2181, 10.0.0.3:2181]
        mesos_zk_chroot: clusters/prod
        mesos_credentials:
          - {principal: marathon, secret: "m4r\\"ath0n"}
          - {principal: chronos, secret: chr0n0s}
        mesos_follower_secret: f0ll0w3r
        herald_zk_user: herald
        herald_zk_secret: zk-s3cret
        """

    func render(_ yaml: String, _ role: MesosRender.Role) throws -> [MesosRender.File] {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("herald-\(UUID()).yml").path
        _ = FileManager.default.createFile(atPath: path, contents: Data(yaml.utf8))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let configuration = try ConfigurationLoader.load(file: path, environment: [:])
        return try MesosRender.files(role: role, configuration: configuration, host: Self.host, directory: "/etc/mesos")
    }

    func compare(_ files: [MesosRender.File], golden: String) throws {
        let actual = files.map { "### \($0.name) mode=\(String($0.mode, radix: 8))\n\($0.contents)" }.joined()
        let url = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
            .appendingPathComponent("golden/\(golden)")
        if ProcessInfo.processInfo.environment["HERALD_UPDATE_GOLDEN"] == "1" {
            let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
                .appendingPathComponent("Fixtures/golden/\(golden)")
            try actual.write(to: source, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOf: url, encoding: .utf8)
        #expect(actual == expected)
    }

    @Test("leader without credentials")
    func leaderPlain() throws { try compare(try render(Self.plain, .leader), golden: "leader-plain.txt") }

    @Test("follower without credentials")
    func followerPlain() throws { try compare(try render(Self.plain, .follower), golden: "follower-plain.txt") }

    @Test("leader with framework and follower credentials and a secured chroot")
    func leaderSecured() throws { try compare(try render(Self.secured, .leader), golden: "leader-secured.txt") }

    @Test("follower with a follower credential and a secured chroot")
    func followerSecured() throws { try compare(try render(Self.secured, .follower), golden: "follower-secured.txt") }

    @Test("secret-bearing files are 0600 and their redacted forms hide every secret")
    func redaction() throws {
        let files = try render(Self.secured, .leader) + render(Self.secured, .follower)
        for file in files {
            for secret in ["m4r\\\"ath0n", "m4r\"ath0n", "chr0n0s", "f0ll0w3r", "zk-s3cret"] {
                #expect(!file.redacted.contains(secret), "\(file.name) shows a secret")
            }
            #expect(file.mode == 0o600, "\(file.name)")
        }
        #expect(try render(Self.plain, .follower).allSatisfy { $0.mode == 0o644 })
    }

    @Test("the quorum needs a host count when ZooKeeper comes from DNS")
    func quorumFromDNS() throws {
        #expect(throws: MesosRender.RenderError.self) { try render("mesos_mode: leader", .leader) }
        let files = try render("mesos_leaders: [a, b, c, d, e]", .leader)
        #expect(files[0].contents.contains("MESOS_QUORUM=\"3\""))
        #expect(files[0].contents.contains("MESOS_ZK=\"zk://zookeeper.service.consul:2181/mesos\""))
    }

    @Test("files are written atomically with their mode")
    func atomicWrite() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-render-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try AtomicFile.write("one\n", to: "\(directory)/f", mode: 0o600)
        try AtomicFile.write("two\n", to: "\(directory)/f", mode: 0o600)
        let attributes = try FileManager.default.attributesOfItem(atPath: "\(directory)/f")
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect(try String(contentsOfFile: "\(directory)/f", encoding: .utf8) == "two\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["f"])
    }

    @Test("IPv6 ZooKeeper hosts are written the way Mesos' C client reads them (no brackets)")
    func ipv6Hosts() throws {
        let files = try render("mesos_zk_hosts: ['[::1]:2181', '10.0.0.2:2182']", .follower)
        #expect(files[0].contents.contains("MESOS_MASTER=\"zk://::1:2181,10.0.0.2:2182/mesos\""))
    }
}
