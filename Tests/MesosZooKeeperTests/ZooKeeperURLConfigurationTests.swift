import MesosLayout
import MesosZooKeeper
import Testing
import ZooKeeper

@Suite("zk:// URLs as client configurations")
struct ZooKeeperURLConfigurationTests {
    @Test("descriptions redact the password; formatted(includingPassword:) prints it on request")
    func redaction() throws {
        let url = try ZooKeeperURL(parsing: "zk://herald:s3cret@zk1:2181,[::1]:2182/mesos")
        #expect(url.description == "zk://herald:<redacted>@zk1:2181,[::1]:2182/mesos")
        #expect("\(url.credentials!)" == "herald:<redacted>")
        #expect(url.formatted(includingPassword: true) == "zk://herald:s3cret@zk1:2181,[::1]:2182/mesos")
        #expect(
            url.formatted(includingPassword: true, bracketingIPv6: false)
                == "zk://herald:s3cret@zk1:2181,::1:2182/mesos")
        #expect(!"\(url.configuration())".contains("s3cret"))
        #expect(!String(reflecting: url).contains("s3cret"))
        #expect(!String(reflecting: url.credentials!).contains("s3cret"))
        var dumped = ""
        dump(url, to: &dumped)
        #expect(!dumped.contains("s3cret"), "\(dumped)")
    }

    @Test("the client configuration takes the connect string and digest credentials")
    func clientConfiguration() throws {
        let url = try ZooKeeperURL(parsing: "zk://herald:pw:x@zk1,[::1]:2182/mesos")
        let configuration = url.configuration(sessionTimeout: .seconds(7))
        #expect(configuration.servers == "zk1:2181,::1:2182")
        #expect(configuration.sessionTimeout == .seconds(7))
        #expect(configuration.credentials == ZooKeeperConfiguration.DigestCredentials(user: "herald", secret: "pw:x"))
        #expect(try ZooKeeperURL(parsing: "zk://zk1/mesos").digestCredentials == nil)
    }
}
