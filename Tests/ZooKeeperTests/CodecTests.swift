import CZooKeeper
import HeraldTestSupport
import Logging
import Testing

@testable import ZooKeeper

@Suite("Pure logic: error codes, ACLs, log lines")
struct CodecTests {
    @Test("every named return code maps to its C value and back")
    func errorCodesRoundTrip() {
        for (code, raw, name, _) in ZooKeeperError.Code.table {
            #expect(ZooKeeperError.Code(rawValue: raw) == code)
            #expect(code.rawValue == raw)
            #expect(code.name == name)
        }
        #expect(ZooKeeperError.Code(rawValue: -101) == .noNode)
        #expect(ZooKeeperError.Code(rawValue: ZNONODE.rawValue) == .noNode)
        #expect(ZooKeeperError.Code(rawValue: ZTHROTTLEDOP.rawValue) == .throttledOperation)
        #expect(ZooKeeperError.Code(rawValue: ZSESSIONCLOSEDREQUIRESASLAUTH.rawValue) == .sessionClosedRequireSASLAuth)
    }

    @Test("an unknown code is kept, not trapped on")
    func unknownCode() {
        let code = ZooKeeperError.Code(rawValue: -999)
        #expect(code == .unknown(-999))
        #expect(code.rawValue == -999)
        #expect(ZooKeeperError(code, operation: "get", path: "/x").description.contains("-999"))
    }

    @Test("error descriptions name the operation, the path and the code")
    func errorDescription() {
        let error = ZooKeeperError(.nodeExists, operation: "create", path: "/mesos")
        #expect(error.description == "ZooKeeper create /mesos failed: node already exists (ZNODEEXISTS)")
    }

    @Test("digest ids are computed as ZooKeeper's DigestAuthenticationProvider does")
    func digestID() {
        // Expected values printed by ZooKeeper 3.8's own generator:
        // java -cp zookeeper.jar:… org.apache.zookeeper.server.auth.DigestAuthenticationProvider USER:SECRET
        #expect(ACL.digestID(user: "super", secret: "superpw") == "super:g9oN2HttPfn8MMWJZ2r45Np/LIA=")
        #expect(ACL.digestID(user: "herald", secret: "s3cret") == "herald:jwamUrwt3nDMd3xjxTmhkBkPdOs=")
        let acl = ACL.digest(user: "super", secret: "superpw", [.read, .write])
        #expect(acl.description == "digest:super:g9oN2HttPfn8MMWJZ2r45Np/LIA=:rw")
    }

    @Test("the predefined ACL lists equal the C client's globals")
    func predefinedACLs() {
        #expect(CVectors.acls(herald_zoo_open_acl_unsafe()) == ACL.openUnsafe)
        #expect(CVectors.acls(herald_zoo_read_acl_unsafe()) == ACL.readUnsafe)
        #expect(CVectors.acls(herald_zoo_creator_all_acl()) == ACL.creatorAll)
        #expect(ACL.Permissions.all.rawValue == ZOO_PERM_ALL)
    }

    @Test("an ACL list survives the trip through C memory")
    func aclVectorRoundTrip() {
        let acls: [ZooKeeper.ACL] = [.world(.read), .digest(user: "u", secret: "s", .all), .auth([.create, .delete])]
        let vector = CACLVector(acls)
        #expect(vector.withPointer { CVectors.acls($0) } == acls)
    }

    @Test(
        "C log lines are split into a swift-log level and the message",
        arguments: [
            (
                "2026-11-26 07:00:00,123:42(0x7f):ZOO_ERROR@handle_socket_error_msg@1290: Socket closed\n",
                Logger.Level.error, "Socket closed"
            ),
            (
                "2026-11-26 07:00:00,123:42(0x7f):ZOO_WARN@zookeeper_interest@2191: Delaying connection", .warning,
                "Delaying connection"
            ),
            (
                "x:1(0x1):ZOO_INFO@check_events@2473: initiated connection to server", .info,
                "initiated connection to server"
            ),
            ("x:1(0x1):ZOO_DEBUG@process_completions@3043: Calling a watcher", .debug, "Calling a watcher"),
            ("no level marker here", .info, "no level marker here"),
        ])
    func logLines(line: String, level: Logger.Level, text: String) {
        let parsed = LogBridge.parse(line)
        #expect(parsed.0 == level)
        #expect(parsed.1 == text)
    }

    @Test("digest credentials come from a configured user and secret together, as the user:secret bytes")
    func digestCredentials() throws {
        typealias Credentials = ZooKeeperConfiguration.DigestCredentials
        #expect(Credentials.given(user: "herald", secret: nil) == nil)
        #expect(Credentials.given(user: nil, secret: "s3cret") == nil)
        let credentials = try #require(Credentials.given(user: "herald", secret: "pw:x"))
        #expect(credentials == Credentials(user: "herald", secret: "pw:x"))
        #expect(credentials.authData == Array("herald:pw:x".utf8))
    }

    @Test("secrets stay out of descriptions")
    func redaction() {
        let credentials = ZooKeeperConfiguration.DigestCredentials(user: "herald", secret: "hunter2")
        let configuration = ZooKeeperConfiguration(servers: "127.0.0.1:2181", credentials: credentials)
        #expect(!configuration.description.contains("hunter2"))
        #expect(!"\(credentials)".contains("hunter2"))
        let session = SessionCredentials(id: 0x1234, password: Array("secretpassword16".utf8))
        #expect("\(session)" == "session 0x1234")
        var dumped = ""
        dump(credentials, to: &dumped)
        dump(session, to: &dumped)
        #expect(!dumped.contains("hunter2"))
        #expect(!dumped.contains("secretpassword16"))
        #expect(!dumped.contains("115, 101, 99"))  // the password's bytes
    }
}
