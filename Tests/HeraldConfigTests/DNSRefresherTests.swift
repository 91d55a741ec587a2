import Foundation
import HeraldTestSupport
import Logging
import Testing

@testable import DNS
@testable import HeraldConfig

#if canImport(Glibc)
    import Glibc
#endif

/// The refresher's rules, with a recording stand-in for `ZooKeeperClient.setServers` (the live
/// test in `DNSLiveRefreshTests` uses a real client and ensemble).
@Suite("DNS host refresher", .timeLimit(.minutes(1)))
struct DNSRefresherTests {
    /// Records each connect string handed over, and can refuse them.
    final class Recorder: @unchecked Sendable {
        // Guarded by `lock`.
        private let lock = NSLock()
        private var applied: [String] = []
        private var refusals = 0
        let stream: AsyncStream<String>
        private let continuation: AsyncStream<String>.Continuation

        init() {
            (stream, continuation) = AsyncStream.makeStream(of: String.self)
        }

        var connectStrings: [String] {
            lock.lock()
            defer { lock.unlock() }
            return applied
        }

        func refuseNext() {
            lock.lock()
            defer { lock.unlock() }
            refusals += 1
        }

        func apply(_ connectString: String) throws {
            lock.lock()
            defer { lock.unlock() }
            if refusals > 0 {
                refusals -= 1
                throw SetupError("refused \(connectString)")
            }
            applied.append(connectString)
            continuation.yield(connectString)
        }
    }

    @Test("applies a changed set; keeps the old one on errors and warns once per distinct problem")
    func changesAndProblems() async throws {
        try await withDnsmasq(["zk.herald.test": ["127.0.3.1"]]) { dnsmasq in
            let recorder = Recorder()
            let (logger, logs) = DNSTestSupport.capturingLogger()
            let hostList = ZooKeeperHostList(
                hosts: nil, dnsName: "zk.herald.test", port: 2181,
                resolver: try dnsmasq.resolver(timeout: .milliseconds(200), attempts: 1))
            let refresher = ZooKeeperHostsRefresher(
                hostList: hostList, servers: ["127.0.3.1:2181"], interval: .seconds(60), logger: logger,
                apply: recorder.apply)

            #expect(await refresher.refresh() == .unchanged)
            #expect(recorder.connectStrings.isEmpty)

            try await dnsmasq.setRecords(["zk.herald.test": ["127.0.3.3", "127.0.3.2"]], waitingFor: "zk.herald.test")
            let new = ["127.0.3.2:2181", "127.0.3.3:2181"]
            #expect(await refresher.refresh() == .applied(old: ["127.0.3.1:2181"], new: new))
            #expect(recorder.connectStrings == ["127.0.3.2:2181,127.0.3.3:2181"])
            #expect(refresher.servers == new)
            #expect(logs.messages(at: .info) == ["ZooKeeper servers changed"])

            // The name disappears: NXDOMAIN, twice, one warning.
            try await dnsmasq.setRecords([:], waitingFor: "zk.herald.test")
            let nxdomain = "no A records for zk.herald.test at \(dnsmasq.server) (NXDOMAIN)"
            #expect(await refresher.refresh() == .kept(problem: nxdomain))
            #expect(await refresher.refresh() == .kept(problem: nxdomain))
            #expect(refresher.servers == new)
            #expect(logs.messages(at: .warning).count == 1)
            #expect(logs.messages(at: .warning).first?.hasSuffix(nxdomain) == true)

            // dnsmasq stops answering: another problem, another warning.
            #expect(kill(dnsmasq.pid, SIGSTOP) == 0)
            let stalled = await refresher.refresh()
            let stalledAgain = await refresher.refresh()
            #expect(kill(dnsmasq.pid, SIGCONT) == 0)
            let timeout = "DNS query A zk.herald.test to \(dnsmasq.server) timed out (1 attempt of 200ms)"
            #expect(stalled == .kept(problem: timeout) && stalledAgain == stalled)
            #expect(logs.messages(at: .warning).count == 2)

            // Back with the same set: nothing to apply, and the recovery is logged.
            try await dnsmasq.setRecords(["zk.herald.test": ["127.0.3.2", "127.0.3.3"]], waitingFor: "zk.herald.test")
            #expect(await refresher.refresh() == .unchanged)
            #expect(recorder.connectStrings.count == 1)
            #expect(logs.messages(at: .info).last == "ZooKeeper server look-up works again")
            #expect(logs.messages(at: .warning).count == 2)
        }
    }

    @Test("a list the client refuses is not taken as applied, and is applied on the next refresh")
    func refusedByClient() async throws {
        try await withDnsmasq(["zk.herald.test": ["127.0.3.5"]]) { dnsmasq in
            let recorder = Recorder()
            let (logger, logs) = DNSTestSupport.capturingLogger()
            let refresher = ZooKeeperHostsRefresher(
                hostList: ZooKeeperHostList(hosts: ["zk.herald.test"], port: 2181, resolver: try dnsmasq.resolver()),
                servers: ["127.0.3.1:2181"], interval: .seconds(60), logger: logger, apply: recorder.apply)
            recorder.refuseNext()
            let outcome = await refresher.refresh()
            #expect(outcome == .kept(problem: "cannot apply the servers 127.0.3.5:2181: refused 127.0.3.5:2181"))
            #expect(refresher.servers == ["127.0.3.1:2181"])
            #expect(logs.messages(at: .warning).count == 1)
            #expect(await refresher.refresh() == .applied(old: ["127.0.3.1:2181"], new: ["127.0.3.5:2181"]))
            #expect(recorder.connectStrings == ["127.0.3.5:2181"])
        }
    }

    @Test("run() refreshes every interval and returns when its task is cancelled")
    func runLoop() async throws {
        try await withDnsmasq(["zk.herald.test": ["127.0.3.1"]]) { dnsmasq in
            let recorder = Recorder()
            let (logger, _) = DNSTestSupport.capturingLogger()
            let refresher = ZooKeeperHostsRefresher(
                hostList: ZooKeeperHostList(hosts: nil, dnsName: "zk.herald.test", resolver: try dnsmasq.resolver()),
                servers: ["127.0.3.1:2181"], interval: .milliseconds(50), logger: logger, apply: recorder.apply)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await refresher.run() }
                try await dnsmasq.setRecords(["zk.herald.test": ["127.0.3.9"]], waitingFor: "zk.herald.test")
                let applied = try await within(.seconds(5), "the refresher to apply 127.0.3.9") {
                    for await connectString in recorder.stream { return connectString }
                    throw SetupError("the recorder's stream ended")
                }
                #expect(applied == "127.0.3.9:2181")
                let cancelled = ContinuousClock.now
                group.cancelAll()
                try await group.waitForAll()
                #expect(ContinuousClock.now - cancelled < .seconds(2), "run() returned late after cancellation")
            }
            #expect(refresher.servers == ["127.0.3.9:2181"])
        }
    }
}
