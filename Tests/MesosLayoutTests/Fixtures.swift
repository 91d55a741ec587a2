import Foundation

/// Test inputs: the JSON files in `Fixtures/` (copied into the test bundle) and a seeded generator
/// for property tests, so a failure reproduces.
enum Fixture {
    struct Missing: Error, CustomStringConvertible {
        var name: String
        var description: String { "fixture \(name) not found in the test bundle" }
    }

    /// The exact bytes of `Fixtures/<name>`.
    static func bytes(_ name: String) throws -> [UInt8] {
        let dot = name.lastIndex(of: ".")!
        let base = String(name[..<dot])
        let ext = String(name[name.index(after: dot)...])
        guard let url = Bundle.module.url(forResource: base, withExtension: ext, subdirectory: "Fixtures") else {
            throw Missing(name: name)
        }
        return Array(try Data(contentsOf: url))
    }
}

/// SplitMix64: a tiny deterministic generator for property tests.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A string of `1...maxLength` characters drawn from `alphabet`.
    mutating func string(from alphabet: [Character], maxLength: Int) -> String {
        let length = Int.random(in: 1...maxLength, using: &self)
        return String((0..<length).map { _ in alphabet.randomElement(using: &self)! })
    }
}
