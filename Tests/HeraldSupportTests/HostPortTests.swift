import HeraldSupport
import Testing

@Suite("host:port syntax")
struct HostPortTests {
    @Test(
        "the parts of each form",
        arguments: [
            ("127.0.0.1:2181", "127.0.0.1", "2181", false),
            ("zk1.example:2181", "zk1.example", "2181", false),
            ("zk1", "zk1", nil, false),
            ("[::1]:53", "::1", "53", true),
            ("[fe80::1]", "fe80::1", nil, true),
            ("fe80::1:53", "fe80::1", "53", false),
            ("host:", "host", "", false),
            (":53", "", "53", false),
        ] as [(String, String, String?, Bool)])
    func parts(text: String, host: String, port: String?, bracketed: Bool) throws {
        let split = try HostPort.split(text)
        #expect(split == HostPort(host: host, portText: port, bracketed: bracketed))
    }

    @Test("brackets: an unclosed one, or anything but :port after it")
    func brackets() {
        #expect(throws: HostPort.SyntaxError.unclosedBracket) { try HostPort.split("[::1:53") }
        #expect(throws: HostPort.SyntaxError.junkAfterBracket(host: "::1")) { try HostPort.split("[::1]53") }
        #expect(throws: HostPort.SyntaxError.junkAfterBracket(host: "::1")) { try HostPort.split("[::1]x:53") }
    }

    @Test("a port is decimal digits within its range")
    func ports() {
        #expect(HostPort.port("53") == 53)
        #expect(HostPort.port("65535") == 65535)
        #expect(HostPort.port("65536") == nil)
        #expect(HostPort.port("0") == nil)
        #expect(HostPort.port("0", in: 0...65535) == 0)
        #expect(HostPort.port("+53") == nil)
        #expect(HostPort.port(" 53") == nil)
        #expect(HostPort.port("") == nil)
        #expect(HostPort.port("٥٣") == nil)
        #expect(HostPort.port("000053") == 53)
    }
}
