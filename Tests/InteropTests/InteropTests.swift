import Discovery
import Foundation
import HeraldTestSupport
import MesosLayout
import NIOConcurrencyHelpers
import Testing
import ZooKeeper

#if canImport(Glibc)
    import Glibc
#endif

/// Real Mesos detectors that no one here wrote (mesos-go v0's ZooKeeper detector, the one
/// mesos-dns uses, and pymesos' `MasterDetector` feeding its own scheduler driver) read chroots
/// that `herald serve` processes manage on the shared ensemble, and must name the leader every
/// Herald socket names, step after step. Run by `Tests/run.sh`, which builds the harnesses
/// (`Tests/interop/setup.sh`).
@Suite("Interop: real Mesos detectors agree with Herald", .serialized, .enabled(if: Interop.enabled))
struct InteropTests {
    /// Herald instances and detectors on one fresh chroot (and a Herald path beside it).
    final class Cluster: Sendable {
        let directory: String
        let chroot: String
        let servers: String
        let detectors: [Detector]
        private let processes: ProcessList

        var basePath: String { "/" + chroot }
        var url: String { "zk://\(servers)/\(chroot)" }

        init(_ name: String) throws {
            servers = try TestEnsemble.servers
            let tag = UUID().uuidString.prefix(8).lowercased()
            directory = "/tmp/hi-\(tag)"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            chroot = "herald-interop/\(name)-\(tag)/mesos"
            processes = ProcessList()
            detectors = []
        }

        private init(_ cluster: Cluster, detectors: [Detector]) {
            directory = cluster.directory
            chroot = cluster.chroot
            servers = cluster.servers
            processes = cluster.processes
            self.detectors = detectors
        }

        /// The same cluster with both detectors started on its chroot, which is made first, as
        /// `herald bootstrap` makes it before any framework starts: pymesos' detector, started on a
        /// path that does not exist yet, never watches it (mesos-go waits for it).
        func watched() async throws -> Cluster {
            let basePath = basePath
            try await withClient(servers: servers) { _ = try await $0.ensurePath(basePath) }
            return Cluster(
                self, detectors: try Detector.Kind.allCases.map { try Detector($0, url: url, directory: directory) })
        }

        func yaml(_ name: String, index: Int, mode: String, contend: Bool? = nil) -> String {
            """
            mesos_mode: \(mode)
            mesos_zk_hosts: \(servers)
            mesos_zk_chroot: \(chroot)
            herald_zk_path: \(chroot.dropLast("/mesos".count))/herald
            mesos_leaders: [l1, l2, l3]
            mesos_leader_port: \(5050 + index)
            mesos_follower_port: \(5060 + index)
            herald_hostname: \(name)
            herald_advertise_ip: 127.0.2.\(index)
            herald_socket: \(directory)/\(name).sock
            herald_metrics_listen: ""
            herald_session_timeout_ms: 3000
            mesos_logging_level: INFO
            \(contend.map { "herald_contend: \($0)" } ?? "")
            """
        }

        @discardableResult
        func start(_ name: String, index: Int, mode: String, contend: Bool? = nil) throws -> HeraldProcess {
            let process = try HeraldProcess(
                name: name, directory: directory, yaml: yaml(name, index: index, mode: mode, contend: contend))
            processes.add(process)
            return process
        }

        var running: [HeraldProcess] { processes.running }

        func stop(_ process: HeraldProcess, _ signal: Int32) async {
            await process.stop(signal)
            processes.remove(process)
        }

        func tearDown(failed: Bool) async {
            for process in processes.running {
                await process.stop(SIGKILL)
                if failed { print("---- \(process.name) log:\n\(process.output.suffix(2000))") }
            }
            for detector in detectors {
                await detector.stop()
                if failed { print("---- \(detector.kind.rawValue):\n\(detector.output.suffix(2000))") }
            }
            if !failed { try? FileManager.default.removeItem(atPath: directory) }
        }
    }

    final class ProcessList: Sendable {
        private let list = NIOLockedValueBox<[HeraldProcess]>([])
        func add(_ process: HeraldProcess) { list.withLockedValue { $0.append(process) } }
        func remove(_ process: HeraldProcess) { list.withLockedValue { $0.removeAll { $0 === process } } }
        var running: [HeraldProcess] { list.withLockedValue { $0 } }
    }

    /// Whether `decision` names `leader` as `kind` can: mesos-go decodes the whole MasterInfo
    /// (host name, `address.ip`, the packed `ip` field, port); pymesos only `ip:port`.
    static func matches(_ decision: Decision?, _ leader: Snapshot.Member?, _ kind: Detector.Kind) -> Bool {
        guard let decision else { return false }
        guard let leader else { return decision.kind == .none }
        guard decision.kind == .leader, decision.fields["ip"] == leader.ip,
            decision.fields["port"] == "\(leader.port)"
        else { return false }
        switch kind {
        case .mesosGo:
            return decision.fields["hostname"] == leader.hostname && decision.fields["packed_ip"] == leader.ip
        case .pymesos: return true
        }
    }

    /// Waits until every running Herald socket reports a snapshot satisfying `herald` with the
    /// same leader and candidates, and every detector names `expected(snapshot)` (by default the
    /// leader); prints the agreed lines. Fails after `limit` with what each one said last.
    @discardableResult
    static func agree(
        _ step: String, _ cluster: Cluster, within limit: Duration = .seconds(30), ignoring: Set<Detector.Kind> = [],
        herald: @escaping @Sendable (Snapshot) -> Bool = { $0.state == .elected && !$0.stale },
        expected: @escaping @Sendable (Snapshot) -> Snapshot.Member? = { $0.leader }
    ) async throws -> Snapshot {
        // Judged again at each new snapshot on a socket and each new line of a detector, until
        // the limit.
        let (changes, changed) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        var last: [String] = []
        let agreed = try await withThrowingTaskGroup(of: Void.self) { group -> Snapshot? in
            defer { group.cancelAll() }
            for process in cluster.running {
                group.addTask {
                    for await _ in DiscoveryClient(socketPath: process.socket, timeout: .seconds(2)).updates() {
                        changed.yield()
                    }
                }
            }
            for detector in cluster.detectors {
                group.addTask {
                    for await _ in detector.changes() { changed.yield() }
                }
            }
            group.addTask {
                try? await Task.sleep(for: limit)
                changed.finish()
            }
            changed.yield()
            for await _ in changes {
                var snapshots: [Snapshot] = []
                last = []
                for process in cluster.running {
                    do {
                        let snapshot = try await DiscoveryClient(socketPath: process.socket, timeout: .seconds(2))
                            .current()
                        snapshots.append(snapshot)
                        last.append(
                            "\(process.name): \(snapshot.state.rawValue) leader \(snapshot.leader.map { "\($0.hostname ?? "-") \($0.ip):\($0.port)" } ?? "none")"
                        )
                    } catch {
                        last.append("\(process.name): \(error)")
                    }
                }
                for detector in cluster.detectors {
                    last.append("\(detector.kind.rawValue): \(detector.last?.line ?? "nothing yet")")
                }
                if let first = snapshots.first, snapshots.count == cluster.running.count,
                    snapshots.allSatisfy({
                        herald($0) && $0.leader == first.leader && $0.candidates == first.candidates
                    }),
                    cluster.detectors.allSatisfy({
                        ignoring.contains($0.kind) || matches($0.last, expected(first), $0.kind)
                    })
                {
                    return first
                }
            }
            return nil
        }
        if let agreed {
            print("interop \(step): " + last.joined(separator: " | "))
            return agreed
        }
        throw SetupError("\(step): no agreement within \(limit): " + last.joined(separator: " | "))
    }

    @Test("steady state, SIGTERM and SIGKILL failovers, then quorum loss: both detectors name Herald's leader")
    func failovers() async throws {
        let setup = try Cluster("failovers")
        let cluster = try await setup.watched()
        do {
            for index in 1...3 { try cluster.start("l\(index)", index: index, mode: "leader") }
            try cluster.start("f1", index: 4, mode: "follower")

            let steady = try await Self.agree("steady state", cluster) {
                $0.state == .elected && $0.candidates.count == 3
            }
            let first = try #require(steady.leader)

            // SIGTERM: the leader deletes its node first; the next one leads within round trips.
            let firstProcess = try #require(cluster.running.first { $0.name == first.hostname })
            await cluster.stop(firstProcess, SIGTERM)
            let afterTerm = try await Self.agree("SIGTERM failover", cluster) {
                $0.state == .elected && $0.leader?.hostname != first.hostname && $0.candidates.count == 2
            }
            let second = try #require(afterTerm.leader)
            let firstIndex = Int(first.hostname!.dropFirst())!
            try cluster.start(first.hostname!, index: firstIndex, mode: "leader")
            try await Self.agree("the stopped host back as a candidate", cluster) {
                $0.state == .elected && $0.leader == second && $0.candidates.count == 3
            }

            // SIGKILL: the node stays until the session expires (3 s), then the next one leads.
            let secondProcess = try #require(cluster.running.first { $0.name == second.hostname })
            await cluster.stop(secondProcess, SIGKILL)
            let afterKill = try await Self.agree("SIGKILL failover", cluster) {
                $0.state == .elected && $0.leader?.hostname != second.hostname && $0.candidates.count == 2
            }
            let third = try #require(afterKill.leader)

            // Quorum loss: one candidate of the two required. Herald names no leader; the detectors,
            // which know no quorum, still name the lowest node, the one candidate left.
            let thirdProcess = try #require(cluster.running.first { $0.name == third.hostname })
            await cluster.stop(thirdProcess, SIGTERM)
            let lost = try await Self.agree(
                "quorum loss (Herald: no_quorum; detectors: the lowest node)", cluster,
                herald: { $0.state == .noQuorum && $0.leader == nil && $0.candidates.count == 1 },
                expected: { $0.candidates.first })
            #expect(lost.quorum == .init(required: 2, present: 1))
            await cluster.tearDown(failed: false)
        } catch {
            await cluster.tearDown(failed: true)
            throw error
        }
    }

    @Test("real masters written by another client, Herald with herald_contend: false: all name the lowest master")
    func realMasters() async throws {
        let cluster = try await Cluster("real-masters").watched()
        var masters: [FakeMaster] = []
        do {
            try await withClient { try await $0.ensurePath(cluster.basePath) }
            for index in 1...3 {
                let master = try FakeMaster(
                    servers: cluster.servers, basePath: cluster.basePath, hostname: "m\(index)", ip: "127.0.3.\(index)",
                    port: 5050, directory: cluster.directory)
                masters.append(master)
                // One at a time, so that m1 holds the lowest sequence.
                try await within(.seconds(20), "m\(index) wrote its node") {
                    while master.node == nil { try await Task.sleep(for: .milliseconds(20)) }
                }
            }
            for index in 1...3 { try cluster.start("l\(index)", index: index, mode: "leader", contend: false) }
            try cluster.start("f1", index: 4, mode: "follower")
            let steady = try await Self.agree("real masters, steady", cluster) {
                $0.state == .elected && $0.candidates.count == 3
            }
            #expect(steady.leader?.hostname == "m1")
            #expect(steady.leader?.ip == "127.0.3.1")
            #expect(cluster.running.count == 4)
            await masters[0].stop(SIGTERM)
            let next = try await Self.agree("real masters, m1 stopped", cluster) {
                $0.state == .elected && $0.candidates.count == 2
            }
            #expect(next.leader?.hostname == "m2")
            for master in masters { await master.stop(SIGTERM) }
            await cluster.tearDown(failed: false)
        } catch {
            for master in masters {
                await master.stop(SIGKILL)
                print("---- \(master.hostname):\n\((try? String(contentsOfFile: master.log, encoding: .utf8)) ?? "")")
            }
            await cluster.tearDown(failed: true)
            throw error
        }
    }

    @Test("log_replicas and a stale info_ node beside Herald's candidates: Mesos' rule, mesos-go and Herald agree")
    func oldMesosLeftovers() async throws {
        let cluster = try await Cluster("leftovers").watched()
        do {
            try await withClient { zk in
                try await zk.ensurePath(cluster.basePath + "/log_replicas")
                try await zk.create(cluster.basePath + "/log_replicas/0000000001", data: Array("entry".utf8))
            }
            for index in 1...3 { try cluster.start("l\(index)", index: index, mode: "leader") }
            try cluster.start("f1", index: 4, mode: "follower")
            let steady = try await Self.agree("with log_replicas", cluster) {
                $0.state == .elected && $0.candidates.count == 3
            }
            // An old Mesos master's protobuf node, still there after the new masters joined.
            let stale = try await withClient { zk in
                try await zk.create(
                    cluster.basePath + "/info_",
                    data: Protobuf.masterInfo(hostname: "old", ip: "127.0.5.1", port: 5050),
                    mode: .persistentSequential
                ).path
            }
            let staleName = String(stale.split(separator: "/").last!)
            // Mesos ranks the stale node after Herald's (a higher sequence), mesos-go prefers
            // json.info_ nodes: both keep Herald's leader. pymesos takes the smallest *name*,
            // which an info_ node always is, and its driver cannot read protobuf: it says so.
            let view = GroupListing(
                children: try await withClient { try await $0.children(cluster.basePath).children })
            #expect(view.leader(by: .mesos)?.name == steady.leader?.node.split(separator: "/").last.map(String.init))
            #expect(view.pymesosChoice == staleName)
            let deadline = ContinuousClock.now + .seconds(20)
            let pymesos = try #require(cluster.detectors.first { $0.kind == .pymesos })
            let mesosGo = try #require(cluster.detectors.first { $0.kind == .mesosGo })
            while pymesos.last?.kind != .unusable, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(pymesos.last == Decision(line: "unusable node=\(staleName)"), "\(pymesos.output.suffix(1500))")
            #expect(Self.matches(mesosGo.last, steady.leader, .mesosGo), "\(mesosGo.last?.line ?? "nothing")")
            for process in cluster.running {
                let snapshot = try await DiscoveryClient(socketPath: process.socket, timeout: .seconds(2)).current()
                #expect(snapshot.leader == steady.leader, "\(process.name)")
            }
            print(
                "interop stale \(staleName): mesos-go: \(mesosGo.last?.line ?? "-") | pymesos: \(pymesos.last?.line ?? "-")"
            )
            // `herald status` names the readers the stale node breaks.
            let status = try await ChildProcess.run(
                HeraldProcess.binary.path, ["status", "--config", cluster.directory + "/f1.yaml", "--json"])
            #expect(
                status.output.contains("\(staleName): a protobuf info_ node of an older Mesos: pymesos"),
                "\(status.output)")
            // Removing it lets pymesos find Herald's leader again.
            try await withClient { try await $0.delete(stale) }
            try await Self.agree("stale node removed", cluster) { $0.state == .elected && $0.candidates.count == 3 }
            await cluster.tearDown(failed: false)
        } catch {
            await cluster.tearDown(failed: true)
            throw error
        }
    }

    @Test(
        "a rolling upgrade from <base>/herald, then herald bootstrap --migrate: nothing of Herald's left in the chroot")
    func rollingUpgrade() async throws {
        let cluster = try await Cluster("upgrade").watched()
        var oldHosts: [Int: ZooKeeperClient] = [:]
        do {
            let legacy = HeraldPaths(mesosBase: cluster.basePath, root: "/unused").legacyFollowers
            // Three mixed hosts of the older version: a json.info_ candidate and a registration
            // under <base>/herald/followers, each in a session of its own.
            for index in 1...3 {
                let client = try await ZooKeeperClient.connect(
                    .init(servers: cluster.servers, sessionTimeout: .seconds(4)), logger: testLogger)
                oldHosts[index] = client
                _ = try await client.ensurePath(legacy)
                let ip = "127.0.2.\(index)"
                let port = 5050 + index
                let info =
                    #"{"id":"old-h\#(index)","ip":\#(127 | 2 << 16 | index << 24),"port":\#(port),"pid":"master@\#(ip):\#(port)","hostname":"h\#(index)","address":{"hostname":"h\#(index)","ip":"\#(ip)","port":\#(port)}}"#
                try await client.create(
                    cluster.basePath + "/json.info_", data: Array(info.utf8), mode: .ephemeralSequential)
                let registration =
                    #"{"attributes":["node_id:h\#(index)"],"hostname":"h\#(index)","ip":"\#(ip)","port":\#(5060 + index),"resources":[]}"#
                try await client.create(legacy + "/h\(index)", data: Array(registration.utf8), mode: .ephemeral)
            }
            let followers: @Sendable (Snapshot) -> Int = { snapshot in
                (snapshot.dns["follower.mesos.service.consul"] ?? []).count
            }
            // Host by host: the old session ends, the new version starts. Every upgraded socket lists
            // all three followers (old and new locations); mesos-go keeps naming Herald's leader.
            // pymesos is blind while <base>/herald exists: that is what the migration ends.
            for index in 1...3 {
                await oldHosts.removeValue(forKey: index)?.close()
                try cluster.start("h\(index)", index: index, mode: "mixed")
                try await Self.agree("upgraded h1…h\(index)", cluster, ignoring: [.pymesos]) {
                    $0.state == .elected && $0.candidates.count == 3 && followers($0) == 3
                }
            }
            let children = try await withClient { try await $0.children(cluster.basePath).children }
            #expect(children.contains(HeraldPaths.legacyName), "the old directory is still there before --migrate")
            let migrate = try await ChildProcess.run(
                HeraldProcess.binary.path, ["bootstrap", "--migrate", "--config", cluster.directory + "/h1.yaml"])
            #expect(migrate.status == 0, "\(migrate.output)")
            #expect(migrate.output.contains("removed \(legacy)\n"), "\(migrate.output)")
            #expect(migrate.output.contains("removed \(cluster.basePath)/herald\n"), "\(migrate.output)")
            print("interop migrate: " + migrate.output.split(separator: "\n").joined(separator: " | "))
            let after = try await withClient { try await $0.children(cluster.basePath).children }
            #expect(after.count == 3 && after.allSatisfy { MemberName($0)?.isJSONCandidate == true }, "\(after)")
            try await Self.agree("after --migrate", cluster) {
                $0.state == .elected && $0.candidates.count == 3 && followers($0) == 3
            }
            await cluster.tearDown(failed: false)
        } catch {
            for client in oldHosts.values { await client.close() }
            await cluster.tearDown(failed: true)
            throw error
        }
    }
}
