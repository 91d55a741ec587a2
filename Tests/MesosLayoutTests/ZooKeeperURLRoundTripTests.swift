import MesosLayout
import Testing

@Suite("zk:// URLs: the formatting round trip, on generated URLs")
struct ZooKeeperURLRoundTripTests {
    typealias Host = ZooKeeperURL.Host

    @Test("round trip: every valid URL formats and parses back to itself, in both IPv6 spellings")
    func roundTripProperty() throws {
        var random = SeededGenerator(seed: 0x5EED_2181)
        let names: [Character] = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._")
        let secret: [Character] = Array("abcXYZ0189!#$%&'()*+,;=?@:[]~ é漢") + ["\"", "\\"]
        let segment: [Character] = Array("abcmesos0123456789-_ .é,:=+")
        let addresses = ["::1", "fe80::1", "2001:db8::42", "fe80::1%eth0", "::ffff:10.0.0.1", "1:2:3:4:5:6:7:8"]
        for _ in 0..<500 {
            var hosts: [Host] = []
            for _ in 0..<Int.random(in: 1...5, using: &random) {
                let port = Int.random(in: 1...65535, using: &random)
                switch Int.random(in: 0..<3, using: &random) {
                case 0:
                    var name = random.string(from: names, maxLength: 20)
                    if name.allSatisfy({ $0.isNumber || $0 == "." }) { name = "h" + name }
                    hosts.append(Host(host: name, port: port))
                case 1:
                    let octets = (0..<4).map { _ in String(Int.random(in: 0...255, using: &random)) }
                    hosts.append(Host(host: octets.joined(separator: "."), port: port))
                default:
                    hosts.append(Host(host: addresses.randomElement(using: &random)!, port: port))
                }
            }
            var path = ""
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                var piece = random.string(from: segment, maxLength: 12)
                if piece == "." || piece == ".." || piece == "zookeeper" || piece.hasSuffix(" ") { piece += "x" }
                path += "/" + piece
            }
            var credentials: ZooKeeperURL.Credentials?
            if Bool.random(using: &random) {
                let user = random.string(from: names + ["@"], maxLength: 10)
                credentials = .init(user: user, password: random.string(from: secret, maxLength: 24))
            }
            let url = try ZooKeeperURL(hosts: hosts, path: path, credentials: credentials)
            for bracketing in [true, false] {
                let text = url.formatted(includingPassword: true, bracketingIPv6: bracketing)
                #expect(try ZooKeeperURL(parsing: text) == url, "\(text)")
            }
            if let credentials {
                #expect(!url.description.contains(":" + credentials.password + "@"))
                #expect(try ZooKeeperURL(parsing: url.description).credentials?.password == "<redacted>")
            }
        }
    }
}
