import ElectionModel
import Foundation
import Testing

@testable import Discovery

/// `SnapshotReader` against the `JSONDecoder` path it stands in front of: on every line the reader
/// either leaves the line (nil) or reads exactly the snapshot the decoder reads.
@Suite("snapshot reader")
struct SnapshotReaderTests {
    /// What the decoder makes of a line: the snapshot, or nil for anything else (an error included).
    static func reference(_ line: [UInt8]) -> Snapshot? {
        guard case .snapshot(let snapshot)? = try? DiscoveryResponse.decodeWithFoundation(line) else { return nil }
        return snapshot
    }

    static func lines() throws -> [(String, [UInt8])] {
        var problems = Fixtures.input(Fixtures.view(state: .disconnected, stale: true))
        problems.problems = [Snapshot.Problem(component: "followers", message: "ZCONNECTIONLOSS on /herald")]
        let inputs: [(String, SnapshotInput)] = [
            ("elected", Fixtures.input()),
            ("no leader", Fixtures.input(Fixtures.view(leader: nil))),
            ("no quorum", Fixtures.input(Fixtures.view(leader: nil, state: .noQuorum))),
            ("no server", Fixtures.input(Fixtures.view(leader: nil, candidates: [], server: nil), followers: 0)),
            ("stale, problems", problems),
        ]
        return try inputs.map { name, input in
            var line = Array(try Snapshot(input: input, revision: 17).encodedLine())
            line.removeLast()
            return (name, line)
        }
    }

    @Test("reads the snapshots Herald's server writes, as the decoder does")
    func serverLines() throws {
        for (name, line) in try Self.lines() {
            let read = SnapshotReader.snapshot(line)
            #expect(read != nil, "\(name)")
            #expect(read == Self.reference(line), "\(name)")
            guard case .snapshot(let decoded)? = try? DiscoveryResponse.decode(line) else {
                Issue.record("\(name): not decoded")
                continue
            }
            #expect(decoded == read, "\(name)")
        }
    }

    /// Every key of every object in `value`, each replaced by each of `replacements` or removed.
    static func variants(of value: Any, replacements: [Any]) -> [Any] {
        var results: [Any] = []
        if let object = value as? [String: Any] {
            for (key, inner) in object {
                var removed = object
                removed[key] = nil
                results.append(removed)
                for replacement in replacements {
                    var replaced = object
                    replaced[key] = replacement
                    results.append(replaced)
                }
                for variant in variants(of: inner, replacements: replacements) {
                    var nested = object
                    nested[key] = variant
                    results.append(nested)
                }
            }
        } else if let array = value as? [Any], let first = array.first {
            for variant in variants(of: first, replacements: replacements) {
                results.append([variant] + array.dropFirst())
            }
        }
        return results
    }

    @Test("never disagrees with the decoder: each key removed, null, of another type or out of range")
    func mutatedKeys() throws {
        // One line with every key present (leader, problems, nulls), so that the test stays short:
        // it runs on a thread of the shared pool, which the other suites' servers need too.
        let replacements: [Any] = [
            NSNull(), "leader", -1, 1.5, true, [Any](), [String: Any](), 2_147_483_648, UInt64.max,
        ]
        var checked = 0
        var read = 0
        for (name, line) in try Self.lines() where name == "stale, problems" {
            let object = try JSONSerialization.jsonObject(with: Data(line))
            for variant in Self.variants(of: object, replacements: replacements) {
                let options: JSONSerialization.WritingOptions = [.sortedKeys, .withoutEscapingSlashes]
                let data = try JSONSerialization.data(withJSONObject: variant, options: options)
                let bytes = Array(data)
                let fast = SnapshotReader.snapshot(bytes)
                let text = String(decoding: bytes, as: UTF8.self)
                #expect(fast == nil || fast == Self.reference(bytes), "\(name): \(text)")
                checked += 1
                if fast != nil { read += 1 }
            }
        }
        // The check means something only if both outcomes occur.
        #expect(checked > 300 && read > 0 && read < checked, "\(read) of \(checked) read")
    }

    @Test(
        "never disagrees with the decoder on spellings outside the subset",
        arguments: [
            (#""revision":17"#, #""revision":17,"revision":18"#),  // a repeated key
            (#""revision":17"#, #""revision":1.7e1"#), (#""revision":17"#, #""revision":17.0"#),
            (#""present":3"#, #""present":-0"#), (#""present":3"#, #""present":03"#),
            (#""hostname":"m1""#, #""hostname":"m\u0031""#), (#""hostname":"m1""#, #""hostname":"m\/1""#),
            (#""hostname":"m1""#, #""hostname":"mé""#), (#""cluster":"mantl""#, #""cluster":"man\ttl""#),
            (#""stale":false"#, #""stale":0"#), (#""stale":false"#, #""stale": false "#),
            (#""state":"#, #""unknown":{"a":[1,true,null,"x",{"b":[]}]},"state":"#),
            (#""state":"#, #""unknown":1.5,"state":"#), (#""state":"#, #""error":5,"state":"#),
            (#""state":"#, #""error":"boom","message":null,"state":"#),
        ])
    func spellings(original: String, replacement: String) throws {
        for (name, line) in try Self.lines() {
            var text = String(decoding: line, as: UTF8.self)
            guard let range = text.range(of: original) else { continue }
            text.replaceSubrange(range, with: replacement)
            let bytes = Array(text.utf8)
            let fast = SnapshotReader.snapshot(bytes)
            #expect(fast == nil || fast == Self.reference(bytes), "\(name): \(text)")
        }
    }

    @Test("leaves trailing content, other messages and broken lines to the decoder")
    func otherLines() throws {
        let (_, line) = try Self.lines()[0]
        let others: [[UInt8]] = [
            line + Array(" x".utf8), line + Array("}".utf8), Array(line.dropLast()), [], Array("{}".utf8),
            Array(#"{"type":"pong"}"#.utf8), Array(#"{"type":"error","error":"unknown_op","message":"m"}"#.utf8),
            Array("not json".utf8), [0xFF, 0xFE],
        ]
        for bytes in others {
            #expect(SnapshotReader.snapshot(bytes) == nil, "\(String(decoding: bytes, as: UTF8.self))")
        }
        #expect(SnapshotReader.snapshot(Array("  ".utf8) + line + Array(" \t".utf8)) == Self.reference(line))
    }
}
