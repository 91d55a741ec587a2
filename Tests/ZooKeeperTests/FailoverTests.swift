import HeraldTestSupport
import Testing

@testable import ZooKeeper

/// Stops and restarts servers of the dedicated fault ensemble; serialized so that only one test
/// at a time disturbs it.
@Suite("Server failover against the fault ensemble", .serialized)
struct FailoverTests {
    @Test("stopping the session's server moves it to another with the same session and ephemerals")
    func failoverKeepsSession() async throws {
        try await TestEnsemble.withFaultEnsemble { servers in
            try await withClient(servers: servers, sessionTimeout: .seconds(8)) { client in
                let before = try #require(client.session)
                let base = try await scratchPath(client)
                let (node, _) = try await client.create("\(base)/eph", mode: .ephemeral)
                let events = client.sessionEvents()

                let connectedServer = try #require(before.server)
                let serverID =
                    try #require(servers.split(separator: ",").firstIndex(of: Substring(connectedServer))) + 1
                try await TestEnsemble.withServerStopped(serverID) {
                    #expect(try await nextEvent(events, within: .seconds(10), "connecting") == .connecting)
                    let reconnected = try await nextEvent(events, within: .seconds(20), "connected to another server")
                    guard case .connected(let after) = reconnected else {
                        Issue.record("expected connected, got \(reconnected)")
                        return
                    }
                    #expect(after.id == before.id)
                    #expect(after.server != nil && after.server != connectedServer)
                    let stat = try #require(try await client.exists(node))
                    #expect(stat.ephemeralOwner == before.id)
                }
                try await client.delete(node)
                try await client.delete(base)
            }
        }
    }
}
