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
}
