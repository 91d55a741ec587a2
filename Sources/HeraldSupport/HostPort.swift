/// An address with a port as settings and wire formats write it: `host:port`, `[IPv6]:port`,
/// and, where a port is optional, `host` or `[IPv6]`. The one reading of that syntax; each
/// caller then checks the host for what it accepts there (an IPv4 literal, a DNS name…) and
/// words its errors for its own setting.
///
/// Without brackets the last colon separates the port, so `fe80::1:53` reads as host `fe80::1`,
/// port 53: a caller that wants IPv6 bracketed rejects a `host` that contains a colon.
public struct HostPort: Hashable, Sendable {
    /// Without the brackets of an IPv6 literal.
    public var host: String
    /// The text after the separating colon (unchecked: see `port(_:)`), nil when there is none.
    public var portText: String?
    /// The host was written in brackets.
    public var bracketed: Bool

    public enum SyntaxError: Error, Hashable, Sendable {
        /// `[` without its `]`.
        case unclosedBracket
        /// Something other than `:port` after `]` (the host in the brackets).
        case junkAfterBracket(host: String)
    }

    public init(host: String, portText: String?, bracketed: Bool) {
        self.host = host
        self.portText = portText
        self.bracketed = bracketed
    }

    public static func split(_ text: some StringProtocol) throws(SyntaxError) -> HostPort {
        let text = Substring(text)
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw .unclosedBracket }
            let host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            if rest.isEmpty { return HostPort(host: host, portText: nil, bracketed: true) }
            guard rest.hasPrefix(":") else { throw .junkAfterBracket(host: host) }
            return HostPort(host: host, portText: String(rest.dropFirst()), bracketed: true)
        }
        guard let colon = text.lastIndex(of: ":") else {
            return HostPort(host: String(text), portText: nil, bracketed: false)
        }
        return HostPort(
            host: String(text[..<colon]), portText: String(text[text.index(after: colon)...]), bracketed: false)
    }

    /// A port written in decimal digits only, within `range`; nil otherwise.
    public static func port(_ text: some StringProtocol, in range: ClosedRange<Int> = 1...65535) -> Int? {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
            let value = Int(text), range.contains(value)
        else { return nil }
        return value
    }

    /// The port within `range`, nil when there is none or it is not one.
    public func port(in range: ClosedRange<Int> = 1...65535) -> Int? {
        portText.flatMap { Self.port($0, in: range) }
    }
}
