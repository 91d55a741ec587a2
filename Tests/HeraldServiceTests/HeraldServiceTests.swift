import Discovery
import HeraldConfig
import Logging
import Testing

@testable import HeraldService

@Suite("HeraldService")
struct HeraldServiceTests {
    @Test("the socket limits go from the configuration through the plan into the socket server")
    func socketLimits() {
        var configuration = HeraldConfiguration()
        configuration.heraldSocketMaxConnections = 64
        configuration.heraldSocketIdleTimeoutMs = 1500
        let plan = ServicePlan(
            configuration: configuration, host: HostFacts(hostname: "h1", ipv4: "10.0.0.9"), servers: "127.0.0.1:2181")
        #expect(plan.socketMaximumConnections == 64)
        #expect(plan.socketIdleTimeout == .milliseconds(1500))
        let server = HeraldServer(plan: plan, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        #expect(server.discovery.configuration.socketPath == configuration.heraldSocket)
        #expect(server.discovery.configuration.maximumConnections == 64)
        #expect(server.discovery.configuration.idleTimeout == .milliseconds(1500))

        let defaults = ServicePlan(
            configuration: HeraldConfiguration(), host: HostFacts(hostname: "h1", ipv4: "10.0.0.9"),
            servers: "127.0.0.1:2181")
        #expect(defaults.socketMaximumConnections == 512)
        #expect(defaults.socketIdleTimeout == .seconds(30))
    }

    @Test(
        "the follower directory runs unless this host contends and neither registers nor reads the list",
        arguments: [
            // mode, herald_contend, herald_follower_list, runs
            (HeraldConfiguration.Mode.leader, nil, false, false),
            (.leader, nil, nil, true),
            (.leader, nil, true, true),
            (.leader, false, false, true),
            (.follower, nil, false, true),
            (.follower, nil, nil, true),
            (.mixed, nil, false, true),
            (.mixed, false, false, true),
        ] as [(HeraldConfiguration.Mode, Bool?, Bool?, Bool)])
    func followerDirectoryRuns(mode: HeraldConfiguration.Mode, contend: Bool?, list: Bool?, runs: Bool) {
        var configuration = HeraldConfiguration()
        configuration.mesosMode = mode
        configuration.heraldContend = contend
        configuration.heraldFollowerList = list
        let plan = ServicePlan(
            configuration: configuration, host: HostFacts(hostname: "h1", ipv4: "10.0.0.9"), servers: "127.0.0.1:2181")
        #expect(plan.runsFollowerDirectory == runs)
        let server = HeraldServer(plan: plan, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        #expect((server.followers != nil) == runs)
        #expect(server.services.contains { "\($0)" == "followers" } == runs)
    }
}
