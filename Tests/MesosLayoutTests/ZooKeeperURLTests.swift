import MesosLayout
import Testing

@Suite("zk:// URLs: parsing, validation, formatting")
struct ZooKeeperURLTests {
    typealias Host = ZooKeeperURL.Host

    struct Valid: Sendable, CustomStringConvertible {
        var text: String
        var hosts: [Host]
        var path: String
        var user: String? = nil
        var password: String? = nil
        var connect: String
        var description: String { text }
    }

    static let valid: [Valid] = [
        Valid(
            text: "zk://localhost:2181/mesos", hosts: [Host(host: "localhost")], path: "/mesos",
            connect: "localhost:2181"),
        Valid(
            text: "zk://zk1,zk2:2182,zk3/mesos",
            hosts: [Host(host: "zk1"), Host(host: "zk2", port: 2182), Host(host: "zk3")],
            path: "/mesos", connect: "zk1:2181,zk2:2182,zk3:2181"),
        Valid(
            text: "zk://10.0.0.1:2181,10.0.0.2:2181/mesos/cluster-a",
            hosts: [Host(host: "10.0.0.1"), Host(host: "10.0.0.2")], path: "/mesos/cluster-a",
            connect: "10.0.0.1:2181,10.0.0.2:2181"),
        Valid(text: "zk://[::1]:2181/mesos", hosts: [Host(host: "::1")], path: "/mesos", connect: "::1:2181"),
        Valid(text: "zk://[fe80::1]/mesos", hosts: [Host(host: "fe80::1")], path: "/mesos", connect: "fe80::1:2181"),
        Valid(
            text: "zk://[fe80::1%eth0]:2888/mesos", hosts: [Host(host: "fe80::1%eth0", port: 2888)], path: "/mesos",
            connect: "fe80::1%eth0:2888"),
        Valid(text: "zk://::1:2181/mesos", hosts: [Host(host: "::1")], path: "/mesos", connect: "::1:2181"),
        Valid(
            text: "zk://[2001:db8::7]:2181,zk1/mesos", hosts: [Host(host: "2001:db8::7"), Host(host: "zk1")],
            path: "/mesos", connect: "2001:db8::7:2181,zk1:2181"),
        Valid(
            text: "zk://herald:s3cret@zk1:2181/mesos", hosts: [Host(host: "zk1")], path: "/mesos", user: "herald",
            password: "s3cret", connect: "zk1:2181"),
        Valid(
            text: "zk://u:p@ss:w@rd@zk1/mesos", hosts: [Host(host: "zk1")], path: "/mesos", user: "u",
            password: "p@ss:w@rd", connect: "zk1:2181"),
        Valid(
            text: "zk://ops@corp:pw@zk1/mesos", hosts: [Host(host: "zk1")], path: "/mesos", user: "ops@corp",
            password: "pw", connect: "zk1:2181"),
        Valid(text: "  zk://zk1/mesos\r\n", hosts: [Host(host: "zk1")], path: "/mesos", connect: "zk1:2181"),
        Valid(text: "zk://zk1/a b/c-d_e.f", hosts: [Host(host: "zk1")], path: "/a b/c-d_e.f", connect: "zk1:2181"),
        Valid(text: "zk://zk1/zookeeperx", hosts: [Host(host: "zk1")], path: "/zookeeperx", connect: "zk1:2181"),
        Valid(
            text: "zk://zk1/mesos/zookeeper", hosts: [Host(host: "zk1")], path: "/mesos/zookeeper", connect: "zk1:2181"),
        Valid(text: "zk://zk1/météo", hosts: [Host(host: "zk1")], path: "/météo", connect: "zk1:2181"),
        Valid(
            text: "zk://zk_1.example.com:02181/mesos", hosts: [Host(host: "zk_1.example.com")], path: "/mesos",
            connect: "zk_1.example.com:2181"),
        Valid(text: "zk://zk1:65535/m", hosts: [Host(host: "zk1", port: 65535)], path: "/m", connect: "zk1:65535"),
    ]

    @Test("valid URLs parse into hosts, path, credentials and a C-client connect string", arguments: valid)
    func parsesValid(_ case_: Valid) throws {
        let url = try ZooKeeperURL(parsing: case_.text)
        #expect(url.hosts == case_.hosts)
        #expect(url.path == case_.path)
        #expect(url.credentials?.user == case_.user)
        #expect(url.credentials?.password == case_.password)
        #expect(url.connectString == case_.connect)
        #expect(try ZooKeeperURL(parsing: url.formatted(includingPassword: true)) == url)
    }

    static let invalid: [(String, ZooKeeperURLError, String)] = [
        ("", .missingScheme(found: nil), "must start with \"zk://\""),
        ("http://zk1/mesos", .missingScheme(found: "http://"), "scheme \"http://\""),
        ("ZK://zk1/mesos", .missingScheme(found: "ZK://"), "\"ZK://\""),
        ("zk:/zk1/mesos", .missingScheme(found: nil), "zk://"),
        ("zk1:2181/mesos", .missingScheme(found: nil), "zk://"),
        ("zk://zk1:2181", .missingPath, "no path"),
        ("zk://zk1:2181/", .rootPath, "\"/\" alone"),
        ("zk:///mesos", .noHost, "no host"),
        ("zk://zk1,,zk2/mesos", .emptyHost(position: 2), "host entry 2 is empty"),
        ("zk://zk1,/mesos", .emptyHost(position: 2), "entry 2"),
        (",zk1/mesos".isEmpty ? "" : "zk://,zk1/mesos", .emptyHost(position: 1), "entry 1"),
        ("zk://zk1:/mesos", .invalidPort(host: "zk1"), "port of host \"zk1\" is not a decimal number"),
        ("zk://zk1:abc/mesos", .invalidPort(host: "zk1"), "port of host \"zk1\" is not a decimal number"),
        ("zk://zk1:-1/mesos", .invalidPort(host: "zk1"), "not a decimal number"),
        ("zk://zk1:+1/mesos", .invalidPort(host: "zk1"), "not a decimal number"),
        ("zk://zk1:0/mesos", .portOutOfRange(host: "zk1"), "port of host \"zk1\" is outside 1-65535"),
        ("zk://zk1:65536/mesos", .portOutOfRange(host: "zk1"), "outside 1-65535"),
        ("zk://zk1:99999999999999999999/mesos", .portOutOfRange(host: "zk1"), "outside"),
        ("zk://zk 1:2181/mesos", .invalidHost("zk 1"), "host \"zk 1\" is not"),
        ("zk://zk 1/mesos", .invalidHost("zk 1"), "host \"zk 1\" is not"),
        ("zk://zk1!/mesos", .invalidHost("zk1!"), "\"zk1!\""),
        ("zk://300.1.1.1/mesos", .invalidHost("300.1.1.1"), "\"300.1.1.1\""),
        ("zk://[::1/mesos", .invalidHost("[::1"), "\"[::1\""),
        ("zk://[zk1]:2181/mesos", .invalidHost("[zk1]:2181"), "\"[zk1]:2181\""),
        ("zk://[::1]x/mesos", .invalidHost("[::1]x"), "\"[::1]x\""),
        ("zk://[::1]:/mesos", .invalidPort(host: "[::1]"), "port of host \"[::1]\""),
        ("zk://[::1]:0/mesos", .portOutOfRange(host: "[::1]"), "outside"),
        ("zk://::1:0/mesos", .portOutOfRange(host: "::1"), "port of host \"::1\" is outside"),
        ("zk://a:b:c/mesos", .invalidHostEntry(position: 1), "host entry 1 has several"),
        ("zk://zk1,x:y:2181/mesos", .invalidHostEntry(position: 2), "host entry 2"),
        ("zk://zk1,fe80::1%eth0/mesos", .ipv6NeedsBrackets("fe80::1%eth0"), "[fe80::1%eth0]:2181"),
        ("zk://[]:2181/mesos", .invalidHost("[]:2181"), "\"[]:2181\""),
        (
            "zk://fe80::1/mesos", .ipv6NeedsBrackets("fe80::1"),
            "IPv6 address \"fe80::1\" needs brackets, e.g. [fe80::1]:2181"
        ),
        ("zk://::1/mesos", .ipv6NeedsBrackets("::1"), "\"::1\" needs brackets"),
        ("zk://zk1/mesos/", .pathTrailingSlash("/mesos/"), "path \"/mesos/\" ends with \"/\""),
        ("zk://zk1//mesos", .pathEmptySegment("//mesos"), "empty segment"),
        ("zk://zk1/mesos//x", .pathEmptySegment("/mesos//x"), "\"/mesos//x\" has an empty segment"),
        ("zk://zk1/mesos/./x", .pathDotSegment("/mesos/./x"), "\".\" or \"..\""),
        ("zk://zk1/mesos/..", .pathDotSegment("/mesos/.."), "\"/mesos/..\""),
        ("zk://zk1/.", .pathDotSegment("/."), "\"/.\""),
        ("zk://zk1/zookeeper", .pathReserved("/zookeeper"), "reserved /zookeeper"),
        ("zk://zk1/zookeeper/quota", .pathReserved("/zookeeper/quota"), "\"/zookeeper/quota\""),
        ("zk://zk1/mes\u{FFFF}os", .pathCharacter(0xFFFF), "U+FFFF"),
        ("zk://zk1/m\u{E000}", .pathCharacter(0xE000), "U+E000"),
        ("zk://zk1/m😀", .pathCharacter(0x1F600), "U+1F600"),
        ("zk://zk1/mesos\u{0}", .controlCharacter(position: 14), "control character at position 14"),
        ("zk://zk1/me\tsos", .controlCharacter(position: 11), "position 11"),
        ("zk://zk1\n/mesos", .controlCharacter(position: 8), "control character"),
        ("zk://zk1/m\u{85}", .controlCharacter(position: 10), "control character"),
        ("zk://zk1/mesos@x", .pathContainsAt, "contains \"@\""),
        ("zk://@zk1/mesos", .emptyCredentials, "nothing before \"@\""),
        ("zk://onlyonepart@zk1/mesos", .credentialsWithoutPassword, "no \":\""),
        ("zk://:pw@zk1/mesos", .emptyUser, "empty user"),
        ("zk://user:@zk1/mesos", .emptyPassword, "empty password"),
        ("zk://user:pa/ss@zk1/mesos", .pathContainsAt, "a password may not contain \"/\""),
    ]

    @Test("malformed URLs are refused with a message naming the problem", arguments: invalid)
    func refusesInvalid(text: String, expected: ZooKeeperURLError, fragment: String) {
        #expect(throws: expected) { try ZooKeeperURL(parsing: text) }
        #expect(expected.description.hasPrefix("invalid ZooKeeper URL: "))
        #expect(expected.description.contains(fragment), "\(expected.description)")
        #expect(!expected.description.contains("\n"))
    }

    @Test(
        "no error ever quotes the password, whichever stage fails",
        arguments: [
            "zk://u:hunter2XYZ@zk1:bad/mesos", "zk://u:hunter2XYZ@/mesos", "zk://u:hunter2XYZ@zk1/",
            "zk://u:hunter2XYZ@zk1", "zk://u:hunter2XYZ@zk1/zookeeper", "zk://u:hun/ter2XYZ@zk1/mesos",
            "zk://u:hunter2XYZ@zk1:2181/mesos@x", "zk:/u:hunter2XYZ@zk1/mesos", "zk://u:hunter2XYZ@zk1,,zk2/mesos",
            "zk://u:hunter2XYZ\u{1}@zk1/mesos", "zk://hunter2XYZ@zk1/mesos", "zk://:hunter2XYZ@zk1/mesos",
            "zk://u:hunter2XYZ@[::1/mesos", "zk://u:hunter2XYZ@fe80::1/mesos", "zk://u:hunter2XYZ@zk1:0/mesos",
            "zk://u:hunter2XYZ:zk1/mesos", "zk://u:hunter2XYZ@zk1//mesos", "zk:\\\\u:hunter2XYZ@zk1/mesos",
            "u:hunter2XYZ@zk://zk1/mesos", "zk://user:hunter2XYZ/zk1/mesos", "zk://us er:hunter2XYZ/zk1/mesos",
            "zk://user:hunter2XYZ:zk1:2181/mesos", "zk://zk1,u:hunter2XYZ:x/mesos",
        ])
    func errorsNeverLeakPasswords(text: String) {
        #expect(!ZooKeeperURLTests.leaks("zk://user:123456/zk1/mesos", secret: "123456"))
        do {
            let url = try ZooKeeperURL(parsing: text)
            Issue.record("unexpectedly parsed \(url)")
        } catch {
            var dumped = ""
            dump(error, to: &dumped)
            #expect(!dumped.contains("hunter"), "\(dumped)")
            #expect(!error.description.contains("hunter"), "\(error.description)")
            #expect(!error.description.contains("XYZ"), "\(error.description)")
            #expect(!error.description.contains("ter2"), "\(error.description)")
        }
    }

    /// Whether the error for `text` shows `secret` anywhere, including its dumped payload.
    static func leaks(_ text: String, secret: String) -> Bool {
        do {
            _ = try ZooKeeperURL(parsing: text)
            return false
        } catch {
            var dumped = ""
            dump(error, to: &dumped)
            return error.description.contains(secret) || dumped.contains(secret)
        }
    }

    @Test("hosts print as host:port, IPv6 bracketed; the C client form never is")
    func hostForms() {
        #expect(Host(host: "::1").description == "[::1]:2181")
        #expect(Host(host: "::1").connectForm == "::1:2181")
        #expect(Host(host: "zk1", port: 2888).description == "zk1:2888")
        #expect(Host(host: "10.0.0.1").connectForm == "10.0.0.1:2181")
        #expect(Host(host: "fe80::1%eth0").isIPv6)
        #expect(!Host(host: "zk1").isIPv6)
    }

    static let invalidParts: [([Host], String, ZooKeeperURL.Credentials?, ZooKeeperURLError)] = [
        ([], "/mesos", nil, .noHost),
        ([Host(host: "[::1]")], "/mesos", nil, .invalidHost("[::1]")),
        ([Host(host: "")], "/mesos", nil, .invalidHost("")),
        ([Host(host: "zk1", port: 0)], "/mesos", nil, .portOutOfRange(host: "zk1")),
        ([Host(host: "zk1", port: 70000)], "/mesos", nil, .portOutOfRange(host: "zk1")),
        ([Host(host: "fe80::1%")], "/mesos", nil, .invalidHost("fe80::1%")),
        ([Host(host: "zk1,zk2")], "/mesos", nil, .invalidHost("zk1,zk2")),
        ([Host(host: "zk1")], "mesos", nil, .pathNotAbsolute("mesos")),
        ([Host(host: "zk1")], "", nil, .missingPath),
        ([Host(host: "zk1")], "/", nil, .rootPath),
        ([Host(host: "zk1")], "/a\u{1}", nil, .pathCharacter(1)),
        ([Host(host: "zk1")], "/mesos ", nil, .pathTrailingSpace("/mesos ")),
        ([Host(host: "zk1")], "/mesos", .init(user: "", password: "p"), .emptyUser),
        ([Host(host: "zk1")], "/mesos", .init(user: "u", password: ""), .emptyPassword),
        ([Host(host: "zk1")], "/mesos", .init(user: "a:b", password: "p"), .invalidUser("\"a:b\" contains \":\"")),
        ([Host(host: "zk1")], "/mesos", .init(user: "a/b", password: "p"), .invalidUser("\"a/b\" contains \"/\"")),
        (
            [Host(host: "zk1")], "/mesos", .init(user: "u", password: "x/y"),
            .invalidPassword("contains \"/\", which Mesos would read as the start of the path")
        ),
        (
            [Host(host: "zk1")], "/mesos", .init(user: "u", password: "x\ny"),
            .invalidPassword("contains a control character")
        ),
    ]

    @Test("building from parts applies the same checks", arguments: invalidParts)
    func validatesParts(
        hosts: [Host], path: String, credentials: ZooKeeperURL.Credentials?, expected: ZooKeeperURLError
    ) {
        #expect(throws: expected) { try ZooKeeperURL(hosts: hosts, path: path, credentials: credentials) }
        #expect(!expected.description.contains("x/y"))
    }

    @Test("validate(path:) is usable on its own")
    func pathValidation() throws {
        try ZooKeeperURL.validate(path: "/mesos")
        try ZooKeeperURL.validate(path: "/a/b/c")
        #expect(throws: ZooKeeperURLError.rootPath) { try ZooKeeperURL.validate(path: "/") }
        #expect(throws: ZooKeeperURLError.pathReserved("/zookeeper")) { try ZooKeeperURL.validate(path: "/zookeeper") }
    }
}
