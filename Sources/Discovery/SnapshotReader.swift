/// Reads a snapshot line straight from its bytes, for the common case only: a line that Herald's
/// own server wrote. Anything else gives nil and is left to `JSONDecoder` (`DiscoveryResponse`).
///
/// `JSONDecoder` finds its way through `Snapshot`'s `Codable` conformance with dynamic casts and
/// protocol conformance look-ups, which the Swift runtime answers by scanning every conformance
/// in the binary the first time: in a one-shot process (`herald leader`) that scan cost more than
/// the whole exchange with the socket. This reader knows the shape and asks the runtime nothing.
///
/// It accepts a strict subset of what the `Codable` path accepts, and reads it to the same value,
/// so where both answer they agree (`SnapshotReaderTests` checks each kind of deviation):
/// strings are printable ASCII without escapes, numbers are integers without a sign on zero,
/// exponent or fraction, no object repeats a key; every key the decoder requires is there with
/// its type, optional keys are absent, null or of their type, unknown keys are skipped, nothing
/// follows the object. A line outside that subset (or a pong, an error line, a snapshot that
/// does not decode) returns nil, and the decoder says what it is.
struct SnapshotReader {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var offset = 0

    /// The snapshot in `line` (without its newline), or nil when the line is outside the subset.
    static func snapshot(_ line: some Collection<UInt8>) -> Snapshot? {
        if let snapshot = line.withContiguousStorageIfAvailable({ read($0) }) { return snapshot }
        return Array(line).withUnsafeBufferPointer { read($0) }
    }

    private static func read(_ bytes: UnsafeBufferPointer<UInt8>) -> Snapshot? {
        var reader = SnapshotReader(bytes: bytes)
        guard let snapshot = reader.snapshot() else { return nil }
        reader.skipWhitespace()
        return reader.offset == bytes.count ? snapshot : nil
    }

    private init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    // MARK: The snapshot's shape (`Snapshot.init(from:)` and the nested types' decoders)

    private mutating func snapshot() -> Snapshot? {
        var type: String?
        var version: Int?
        var revision: UInt64?
        var cluster: String?
        var state: Snapshot.State?
        var leader: Snapshot.Member??
        var stale: Bool?
        var candidates: [Snapshot.Member]?
        var quorum: Snapshot.Quorum?
        var zookeeper: Snapshot.ZooKeeperStatus?
        var dns: [String: [Snapshot.Endpoint]]?
        var publisher: Snapshot.Publisher?
        var problems: [Snapshot.Problem]??
        var error: String??
        var message: String??
        let complete = object { reader, key in
            switch key {
            case "type": return reader.once(&type) { $0.string() }
            case "version": return reader.once(&version) { $0.integer() }
            case "revision": return reader.once(&revision) { $0.integer() }
            case "cluster": return reader.once(&cluster) { $0.string() }
            case "state": return reader.once(&state) { $0.string().flatMap(Snapshot.State.init(rawValue:)) }
            case "leader": return reader.once(&leader) { $0.nullable { $0.member() } }
            case "stale": return reader.once(&stale) { $0.boolean() }
            case "candidates": return reader.once(&candidates) { $0.array { $0.member() } }
            case "quorum": return reader.once(&quorum) { $0.quorum() }
            case "zookeeper": return reader.once(&zookeeper) { $0.zooKeeperStatus() }
            case "dns": return reader.once(&dns) { $0.dns() }
            case "self": return reader.once(&publisher) { $0.publisher() }
            case "problems": return reader.once(&problems) { $0.nullable { $0.array { $0.problem() } } }
            // The envelope `DiscoveryResponse` decodes first: optional strings.
            case "error": return reader.once(&error) { $0.nullable { $0.string() } }
            case "message": return reader.once(&message) { $0.nullable { $0.string() } }
            default: return reader.skipValue()
            }
        }
        guard complete, type == Snapshot.typeName, let version, let revision, let cluster, let state, let stale,
            let candidates, let quorum, let zookeeper, let dns, let publisher
        else { return nil }
        return Snapshot(
            version: version, revision: revision, cluster: cluster, state: state, leader: leader ?? nil,
            stale: stale, candidates: candidates, quorum: quorum, zookeeper: zookeeper, dns: dns,
            publisher: publisher, problems: (problems ?? nil) ?? [])
    }

    private mutating func member() -> Snapshot.Member? {
        var id: String?
        var hostname: String??
        var ip: String?
        var port: Int?
        var pid: String??
        var node: String?
        var sequence: Int32?
        var epoch: Int64?
        let complete = object { reader, key in
            switch key {
            case "id": return reader.once(&id) { $0.string() }
            case "hostname": return reader.once(&hostname) { $0.nullable { $0.string() } }
            case "ip": return reader.once(&ip) { $0.string() }
            case "port": return reader.once(&port) { $0.integer() }
            case "pid": return reader.once(&pid) { $0.nullable { $0.string() } }
            case "node": return reader.once(&node) { $0.string() }
            case "sequence": return reader.once(&sequence) { $0.integer() }
            case "epoch": return reader.once(&epoch) { $0.integer() }
            default: return reader.skipValue()
            }
        }
        guard complete, let id, let ip, let port, let node, let sequence, let epoch else { return nil }
        return Snapshot.Member(
            id: id, hostname: hostname ?? nil, ip: ip, port: port, pid: pid ?? nil, node: node, sequence: sequence,
            epoch: epoch)
    }

    private mutating func quorum() -> Snapshot.Quorum? {
        var required: Int?
        var present: Int?
        let complete = object { reader, key in
            switch key {
            case "required": return reader.once(&required) { $0.integer() }
            case "present": return reader.once(&present) { $0.integer() }
            default: return reader.skipValue()
            }
        }
        guard complete, let required, let present else { return nil }
        return Snapshot.Quorum(required: required, present: present)
    }

    private mutating func zooKeeperStatus() -> Snapshot.ZooKeeperStatus? {
        var state: String?
        var server: String??
        var timeout: Int64?
        var session: String??
        let complete = object { reader, key in
            switch key {
            case "state": return reader.once(&state) { $0.string() }
            case "server": return reader.once(&server) { $0.nullable { $0.string() } }
            case "session_timeout_ms": return reader.once(&timeout) { $0.integer() }
            case "session_id": return reader.once(&session) { $0.nullable { $0.string() } }
            default: return reader.skipValue()
            }
        }
        guard complete, let state, let timeout else { return nil }
        return Snapshot.ZooKeeperStatus(
            state: state, server: server ?? nil, sessionTimeoutMs: timeout, sessionID: session ?? nil)
    }

    private mutating func dns() -> [String: [Snapshot.Endpoint]]? {
        var names: [String: [Snapshot.Endpoint]] = [:]
        let complete = object { reader, key in
            guard let endpoints = reader.array({ $0.endpoint() }) else { return false }
            names[key] = endpoints
            return true
        }
        return complete ? names : nil
    }

    private mutating func endpoint() -> Snapshot.Endpoint? {
        var ip: String?
        var port: Int?
        let complete = object { reader, key in
            switch key {
            case "ip": return reader.once(&ip) { $0.string() }
            case "port": return reader.once(&port) { $0.integer() }
            default: return reader.skipValue()
            }
        }
        guard complete, let ip, let port else { return nil }
        return Snapshot.Endpoint(ip: ip, port: port)
    }

    private mutating func publisher() -> Snapshot.Publisher? {
        var mode: Snapshot.Publisher.Mode?
        var role: Snapshot.Publisher.Role?
        var hostname: String?
        let complete = object { reader, key in
            switch key {
            case "mode": return reader.once(&mode) { $0.string().flatMap(Snapshot.Publisher.Mode.init(rawValue:)) }
            case "role": return reader.once(&role) { $0.string().flatMap(Snapshot.Publisher.Role.init(rawValue:)) }
            case "hostname": return reader.once(&hostname) { $0.string() }
            default: return reader.skipValue()
            }
        }
        guard complete, let mode, let role, let hostname else { return nil }
        return Snapshot.Publisher(mode: mode, role: role, hostname: hostname)
    }

    private mutating func problem() -> Snapshot.Problem? {
        var component: String?
        var message: String?
        let complete = object { reader, key in
            switch key {
            case "component": return reader.once(&component) { $0.string() }
            case "message": return reader.once(&message) { $0.string() }
            default: return reader.skipValue()
            }
        }
        guard complete, let component, let message else { return nil }
        return Snapshot.Problem(component: component, message: message)
    }

    // MARK: JSON, the strict subset

    /// Reads a key's value into `slot`; false when the key came before (a repeated key is left to
    /// the decoder) or the value is not what `read` wants.
    private mutating func once<Value>(_ slot: inout Value?, _ read: (inout SnapshotReader) -> Value?) -> Bool {
        guard slot == nil, let value = read(&self) else { return false }
        slot = value
        return true
    }

    /// An object: calls `member` with each key, positioned at its value; false on anything else,
    /// on a repeated key, or when `member` says false.
    private mutating func object(_ member: (inout SnapshotReader, String) -> Bool) -> Bool {
        skipWhitespace()
        guard take(UInt8(ascii: "{")) else { return false }
        skipWhitespace()
        if take(UInt8(ascii: "}")) { return true }
        var keys: [String] = []
        while true {
            skipWhitespace()
            guard let key = string(), !keys.contains(key) else { return false }
            keys.append(key)
            skipWhitespace()
            guard take(UInt8(ascii: ":")) else { return false }
            skipWhitespace()
            guard member(&self, key) else { return false }
            skipWhitespace()
            if take(UInt8(ascii: ",")) { continue }
            return take(UInt8(ascii: "}"))
        }
    }

    private mutating func array<Element>(_ element: (inout SnapshotReader) -> Element?) -> [Element]? {
        skipWhitespace()
        guard take(UInt8(ascii: "[")) else { return nil }
        var elements: [Element] = []
        skipWhitespace()
        if take(UInt8(ascii: "]")) { return elements }
        while true {
            skipWhitespace()
            guard let value = element(&self) else { return nil }
            elements.append(value)
            skipWhitespace()
            if take(UInt8(ascii: ",")) { continue }
            return take(UInt8(ascii: "]")) ? elements : nil
        }
    }

    /// `null` as `.some(nil)`, else `read`'s value; nil when neither.
    private mutating func nullable<Value>(_ read: (inout SnapshotReader) -> Value?) -> Value?? {
        skipWhitespace()
        if literal("null") { return .some(nil) }
        return read(&self).map { .some($0) }
    }

    /// Printable ASCII between quotes, no escapes.
    private mutating func string() -> String? {
        guard take(UInt8(ascii: "\"")) else { return nil }
        let start = offset
        while offset < bytes.count {
            let byte = bytes[offset]
            if byte == UInt8(ascii: "\"") {
                let value = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<offset]), as: UTF8.self)
                offset += 1
                return value
            }
            guard byte >= 0x20, byte < 0x80, byte != UInt8(ascii: "\\") else { return nil }
            offset += 1
        }
        return nil
    }

    /// An integer literal (`0`, or digits not starting with 0, after an optional minus) that
    /// fits `Value`.
    private mutating func integer<Value: FixedWidthInteger>() -> Value? {
        let negative = take(UInt8(ascii: "-"))
        let start = offset
        var magnitude: UInt64 = 0
        while offset < bytes.count, bytes[offset] >= UInt8(ascii: "0"), bytes[offset] <= UInt8(ascii: "9") {
            let (times, overflow) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, carry) = times.addingReportingOverflow(UInt64(bytes[offset] - UInt8(ascii: "0")))
            guard !overflow, !carry else { return nil }
            magnitude = sum
            offset += 1
        }
        let digits = offset - start
        guard digits > 0, digits == 1 || bytes[start] != UInt8(ascii: "0") else { return nil }
        // A fraction or an exponent: left to the decoder, as is -0.
        if offset < bytes.count, [UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E")].contains(bytes[offset]) {
            return nil
        }
        if negative {
            guard magnitude != 0, Value.isSigned, magnitude - 1 <= UInt64(Value.max) else { return nil }
            return Value(truncatingIfNeeded: 0 &- magnitude)
        }
        return magnitude <= UInt64(Value.max) ? Value(magnitude) : nil
    }

    private mutating func boolean() -> Bool? {
        if literal("true") { return true }
        if literal("false") { return false }
        return nil
    }

    /// Any value of the subset, for keys the snapshot does not know.
    private mutating func skipValue() -> Bool {
        skipWhitespace()
        guard offset < bytes.count else { return false }
        switch bytes[offset] {
        case UInt8(ascii: "{"): return object { reader, _ in reader.skipValue() }
        case UInt8(ascii: "["): return array { $0.skipValue() ? true : nil } != nil
        case UInt8(ascii: "\""): return string() != nil
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return boolean() != nil
        case UInt8(ascii: "n"): return literal("null")
        default: return (integer() as Int64?) != nil
        }
    }

    private mutating func literal(_ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard bytes.count - offset >= count else { return false }
        for index in 0..<count where bytes[offset + index] != word.utf8Start[index] { return false }
        offset += count
        return true
    }

    private mutating func take(_ byte: UInt8) -> Bool {
        guard offset < bytes.count, bytes[offset] == byte else { return false }
        offset += 1
        return true
    }

    private mutating func skipWhitespace() {
        while offset < bytes.count {
            switch bytes[offset] {
            case 0x20, 0x09, 0x0A, 0x0D: offset += 1
            default: return
            }
        }
    }
}
