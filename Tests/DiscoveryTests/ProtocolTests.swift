import ElectionModel
import Foundation
import MesosLayout
import Testing

@testable import Discovery

/// The wire format of DESIGN.md "Local socket protocol (v1)", without a socket.
@Suite("protocol messages")
struct ProtocolTests {
    @Test("a snapshot encodes every key of the contract, sorted, nulls included")
    func encodesContract() throws {
        var input = Fixtures.input(followers: 1)
        input.view.candidates = [Fixtures.candidate(42)]
        input.view.leader = Fixtures.candidate(42)
        let line = String(decoding: try Snapshot(input: input, revision: 17).encodedLine(), as: UTF8.self)
        #expect(
            line == """
                {"candidates":[{"epoch":4294967338,"hostname":"m42","id":"id-42","ip":"10.0.0.42","node":"/mesos/json.info_0000000042",\
                "pid":"master@10.0.0.42:5050","port":5050,"sequence":42}],"cluster":"mantl",\
                "dns":{"_mesos._leader.service.consul":[{"ip":"10.0.0.42","port":5050}],\
                "follower.mesos.service.consul":[{"ip":"10.0.1.1","port":5051}],\
                "leader.mesos.service.consul":[{"ip":"10.0.0.42","port":5050}],\
                "master.mesos.service.consul":[{"ip":"10.0.0.42","port":5050}],\
                "zookeeper.service.consul":[{"ip":"10.0.0.1","port":2181},{"ip":"10.0.0.2","port":2181},{"ip":"10.0.0.3","port":2181}]},\
                "leader":{"epoch":4294967338,"hostname":"m42","id":"id-42","ip":"10.0.0.42","node":"/mesos/json.info_0000000042",\
                "pid":"master@10.0.0.42:5050","port":5050,"sequence":42},"problems":[],"quorum":{"present":1,"required":2},\
                "revision":17,\
                "self":{"hostname":"m2","mode":"leader","role":"candidate"},"stale":false,"state":"elected","type":"snapshot",\
                "version":1,"zookeeper":{"server":"127.0.0.1:2181","session_id":"0x10000abcd","session_timeout_ms":10000,"state":"connected"}}

                """)
    }

    @Test("no leader is null, not a missing key; an unknown server is null")
    func nulls() throws {
        let input = Fixtures.input(Fixtures.view(leader: nil, candidates: [], server: nil))
        let object = try #require(
            try JSONSerialization.jsonObject(with: Snapshot(input: input, revision: 1).encodedLine()) as? [String: Any])
        #expect(object["leader"] is NSNull)
        #expect(object["state"] as? String == "no_leader")
        let zookeeper = try #require(object["zookeeper"] as? [String: Any])
        #expect(zookeeper["server"] is NSNull)
        let dns = try #require(object["dns"] as? [String: [Any]])
        #expect(dns["leader.mesos.service.consul"]?.isEmpty == true)
    }

    @Test(
        "every state round-trips through the wire",
        arguments: ["elected", "no_quorum", "no_leader", "disconnected"])
    func roundTrip(state: String) throws {
        let view =
            switch state {
            case "no_quorum": Fixtures.view(leader: nil, state: .noQuorum)
            case "no_leader": Fixtures.view(leader: nil, candidates: [])
            case "disconnected": Fixtures.view(state: .disconnected, stale: true)
            default: Fixtures.view()
            }
        let snapshot = Snapshot(input: Fixtures.input(view), revision: 9)
        let decoded = try Snapshot.decode(line: try snapshot.encodedLine())
        #expect(decoded == snapshot)
        #expect(try decoded.encodedLine() == snapshot.encodedLine())
    }

    @Test("a line of another type is not a snapshot")
    func otherType() {
        #expect(throws: (any Error).self) { try Snapshot.decode(line: Array(#"{"type":"pong"}"#.utf8)) }
    }

    @Test("requests parse; blank lines are ignored")
    func requests() {
        for request in DiscoveryRequest.allCases {
            #expect(DiscoveryRequest.parse(Array(request.line.utf8.dropLast())).flatMap { try? $0.get() } == request)
        }
        #expect(
            DiscoveryRequest.parse(Array(#" { "op" : "ping", "extra": [1] } "#.utf8)).flatMap { try? $0.get() } == .ping
        )
        #expect(DiscoveryRequest.parse(Array("  \r".utf8)) == nil)
    }

    @Test(
        "bad requests are errors with a code",
        arguments: [
            ("{\"op\":", "invalid_json"), ("hello", "invalid_json"), ("\u{00}\u{FF}\u{FE}garbage", "invalid_json"),
            ("[1,2]", "invalid_request"), ("{\"op\":7}", "invalid_request"), ("{}", "invalid_request"),
            ("\"get\"", "invalid_request"), ("{\"op\":\"shutdown\"}", "unknown_op"),
        ])
    func badRequests(line: String, code: String) throws {
        let parsed = try #require(DiscoveryRequest.parse(Array(line.utf8)))
        guard case .failure(let error) = parsed else {
            Issue.record("\(line) parsed as \(parsed)")
            return
        }
        #expect(error.code.rawValue == code)
        #expect(!error.message.contains("\n"))
    }

    @Test("an error line is one JSON line with type, error and message")
    func errorLine() throws {
        let line = DiscoveryProtocolError(.unknownOp, "unknown op \"x\"\nsecond line").line
        #expect(line.hasSuffix("\n"))
        #expect(line.dropLast().contains("\n") == false)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
        #expect(object == ["type": "error", "error": "unknown_op", "message": "unknown op \"x\"\nsecond line"])
    }

    @Test("the client decodes every response type and rejects strangers")
    func responses() throws {
        guard case .pong = try DiscoveryResponse.decode(Array(DiscoveryResponse.pongLine.utf8)) else {
            Issue.record("pong")
            return
        }
        guard
            case .error(let error) = try DiscoveryResponse.decode(
                Array(DiscoveryProtocolError(.lineTooLong, "x").line.utf8))
        else {
            Issue.record("error")
            return
        }
        #expect(error.code == .lineTooLong)
        #expect(throws: DiscoveryClientError.self) { try DiscoveryResponse.decode(Array("{\"type\":\"nope\"}".utf8)) }
        #expect(throws: DiscoveryClientError.self) { try DiscoveryResponse.decode(Array("garbage".utf8)) }
    }
}
