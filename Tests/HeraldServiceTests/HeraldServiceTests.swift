import Testing

@testable import HeraldService

@Suite("HeraldService")
struct HeraldServiceTests {
    @Test("the module is linked")
    func linked() {
        #expect(String(describing: HeraldService.self) == "HeraldService")
    }
}
