import HeraldTestSupport
import NIOCore
import NIOPosix
import Testing

@testable import ZooKeeper

#if canImport(Glibc)
    import Glibc
#endif

@Suite("Four-letter words against real servers")
struct FourLetterWordTests {
    @Test("srvr on every server of the ensemble: one leader, the others followers")
    func srvr() async throws {
        var modes: [String] = []
        for address in try TestEnsemble.servers.split(separator: ",") {
            let colon = try #require(address.lastIndex(of: ":"))
            let answer = try await FourLetterWord.ask(
                "srvr", host: String(address[..<colon]),
                port: try #require(Int(address[address.index(after: colon)...])),
                timeout: .seconds(5))
            #expect(answer.contains("Zookeeper version:"), "\(answer)")
            modes.append(try #require(FourLetterWord.mode(fromSrvr: answer), "\(answer)"))
        }
        #expect(modes.sorted() == ["follower", "follower", "leader"])
    }

    @Test("a closed port: the system's reason, at once")
    func refused() async throws {
        let port = try Self.closedPort()
        await #expect(throws: FourLetterWord.Failure.self) {
            _ = try await FourLetterWord.ask("srvr", host: "127.0.0.1", port: port, timeout: .seconds(5))
        }
        do {
            _ = try await FourLetterWord.ask("srvr", host: "127.0.0.1", port: port, timeout: .seconds(5))
        } catch {
            #expect("\(error)" == "Connection refused")
        }
    }

    @Test("a server that accepts and never answers: a failure at the deadline, not a hang")
    func silent() async throws {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        defer { server.close(promise: nil) }
        let port = try #require(server.localAddress?.port)
        let started = ContinuousClock.now
        do {
            _ = try await FourLetterWord.ask("srvr", host: "127.0.0.1", port: port, timeout: .milliseconds(300))
            Issue.record("an answer from a silent server")
        } catch {
            #expect("\(error)" == "no answer within 0.3 seconds")
        }
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    @Test("the mode line of srvr; a refusal has none")
    func mode() {
        #expect(
            FourLetterWord.mode(fromSrvr: "Zookeeper version: 3.8.0\nMode: standalone\nNode count: 5\n") == "standalone"
        )
        #expect(FourLetterWord.mode(fromSrvr: "Mode:  leader \r\n") == "leader")
        #expect(FourLetterWord.mode(fromSrvr: "srvr is not executed because it is not in the whitelist.\n") == nil)
        #expect(FourLetterWord.mode(fromSrvr: "") == nil)
    }

    /// A loopback port nothing listens on: bound, then closed.
    static func closedPort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        try withUnsafeMutablePointer(to: &address) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                guard bind(descriptor, raw, length) == 0, getsockname(descriptor, raw, &length) == 0 else {
                    throw SetupError("cannot bind a loopback port")
                }
            }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
