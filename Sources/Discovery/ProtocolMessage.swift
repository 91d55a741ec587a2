import Foundation

/// A request line of the local socket protocol: `{"op":"get"|"watch"|"ping"}`.
public enum DiscoveryRequest: String, Hashable, Sendable, CaseIterable {
    case get, watch, ping

    /// The request line as a client sends it.
    public var line: String { "{\"op\":\"\(rawValue)\"}\n" }

    /// Parses one line without its newline. Blank lines are `nil` (ignored, so a person typing
    /// into `nc -U` may press return); everything else is a request or a protocol error.
    static func parse(_ line: some Collection<UInt8>) -> Result<DiscoveryRequest, DiscoveryProtocolError>? {
        if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { return nil }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(line), options: [.fragmentsAllowed])
        } catch {
            return .failure(DiscoveryProtocolError(.invalidJSON, "the line is not valid JSON"))
        }
        guard let dictionary = object as? [String: Any], let op = dictionary["op"] as? String else {
            return .failure(
                DiscoveryProtocolError(.invalidRequest, "a request is a JSON object with a string \"op\""))
        }
        guard let request = DiscoveryRequest(rawValue: op) else {
            return .failure(
                DiscoveryProtocolError(
                    .unknownOp, "unknown op \"\(op.prefix(64))\"; expected get, watch or ping"))
        }
        return .success(request)
    }
}

/// An error line: `{"type":"error","error":"<code>","message":"<one line>"}`.
///
/// Sent by the server (the connection stays usable, except after `line_too_long`,
/// `too_many_connections` and `idle_timeout`) and thrown by the client library when the server
/// answers with one.
public struct DiscoveryProtocolError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Machine-readable error codes; the set may grow, so clients should treat unknown codes as
    /// errors too (the client library keeps them as `Code(rawValue:)`).
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The line is not JSON (binary garbage included).
        public static let invalidJSON = Code(rawValue: "invalid_json")
        /// JSON, but not an object with a string `op`.
        public static let invalidRequest = Code(rawValue: "invalid_request")
        /// An `op` this protocol version does not know.
        public static let unknownOp = Code(rawValue: "unknown_op")
        /// A line longer than 64 KiB: the server closes the connection after this error.
        public static let lineTooLong = Code(rawValue: "line_too_long")
        /// A second `watch` on a connection that is already watching.
        public static let alreadyWatching = Code(rawValue: "already_watching")
        /// The server already has its maximum of connections open: sent at once to the connection
        /// it refuses, which is then closed.
        public static let tooManyConnections = Code(rawValue: "too_many_connections")
        /// No complete request line within the idle timeout (a non-watching connection): the server
        /// closes the connection after this error.
        public static let idleTimeout = Code(rawValue: "idle_timeout")
    }

    public var code: Code
    /// One line for people.
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }

    /// The error line, JSON-escaped (a message can never break the line framing).
    var line: String {
        let object = ["type": "error", "error": code.rawValue, "message": message]
        let data = (try? Snapshot.makeEncoder().encode(object)) ?? Data("{\"type\":\"error\"}".utf8)
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}

/// Any line a server sends, as the client library reads it.
enum DiscoveryResponse: Sendable {
    case snapshot(Snapshot)
    case pong
    case error(DiscoveryProtocolError)

    /// The pong line.
    static let pongLine = "{\"type\":\"pong\"}\n"

    private struct Envelope: Decodable {
        var type: String
        var error: String?
        var message: String?
    }

    /// Decodes a line by its `type`; anything unexpected is `DiscoveryClientError.protocolViolation`.
    ///
    /// A snapshot as Herald's server writes it is read by `SnapshotReader`, without the runtime
    /// look-ups `JSONDecoder` makes; every other line, and any snapshot it leaves, goes to
    /// `JSONDecoder`, which gives the same value where both read one.
    static func decode(_ line: some Collection<UInt8>) throws(DiscoveryClientError) -> DiscoveryResponse {
        if let snapshot = SnapshotReader.snapshot(line) { return .snapshot(snapshot) }
        return try decodeWithFoundation(line)
    }

    /// The reference decoding: every line, by `JSONDecoder`.
    static func decodeWithFoundation(_ line: some Collection<UInt8>) throws(DiscoveryClientError)
        -> DiscoveryResponse
    {
        let data = Data(line)
        let envelope: Envelope
        do {
            envelope = try JSONDecoder().decode(Envelope.self, from: data)
        } catch {
            throw .protocolViolation("a line from the server is not a protocol message")
        }
        switch envelope.type {
        case Snapshot.typeName:
            do {
                return .snapshot(try JSONDecoder().decode(Snapshot.self, from: data))
            } catch {
                throw .protocolViolation("cannot decode a snapshot: \(error)")
            }
        case "pong":
            return .pong
        case "error":
            return .error(
                DiscoveryProtocolError(
                    DiscoveryProtocolError.Code(rawValue: envelope.error ?? "unknown"), envelope.message ?? ""))
        default:
            throw .protocolViolation("unknown message type \"\(envelope.type.prefix(64))\"")
        }
    }
}
