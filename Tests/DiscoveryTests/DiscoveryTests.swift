import Testing

@testable import Discovery

@Suite("Discovery")
struct DiscoveryTests {
    @Test("the module is linked")
    func linked() {
        #expect(String(describing: Discovery.self) == "Discovery")
    }
}
