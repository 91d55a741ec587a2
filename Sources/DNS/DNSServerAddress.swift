import HeraldSupport

#if canImport(Glibc)
    import Glibc
#endif

/// The DNS server to ask (`herald_zk_dns_server`): an IP literal and a port, e.g. a Consul
/// agent's `127.0.0.1:8600` or `[::1]:53`.
///
/// Host names are refused on purpose: resolving the resolver would need a resolver.
public struct DNSServerAddress: Hashable, Sendable, CustomStringConvertible {
    /// The address without brackets: `127.0.0.1` or `::1`.
    public let host: String
    public let port: Int
    public let isIPv6: Bool

    /// Parses `IPv4:port` or `[IPv6]:port`, port 1–65535.
    public init(parsing text: String) throws(DNSError) {
        func invalid(_ reason: String) -> DNSError {
            DNSError(.invalidAddress, "invalid DNS server '\(text)': \(reason)")
        }
        let parts: HostPort
        do {
            parts = try HostPort.split(text)
        } catch {
            switch error {
            case .unclosedBracket:
                throw invalid("an IPv6 address needs a closing ], e.g. [::1]:53")
            case .junkAfterBracket(let host):
                guard IPv4.isIPv6Literal(host) else { throw invalid("'\(host)' is not an IPv6 address") }
                throw invalid("expected [IPv6]:port, e.g. [::1]:53")
            }
        }
        host = parts.host
        isIPv6 = parts.bracketed
        if parts.bracketed {
            guard IPv4.isIPv6Literal(host) else { throw invalid("'\(host)' is not an IPv6 address") }
            guard parts.portText != nil else { throw invalid("expected [IPv6]:port, e.g. [::1]:53") }
        } else {
            guard parts.portText != nil else {
                throw invalid("expected IPv4:port or [IPv6]:port, e.g. 127.0.0.1:8600")
            }
            guard IPv4.parse(host) != nil else {
                throw invalid(
                    "'\(host)' is not an IPv4 address (a host name cannot be used here; write IPv6 as [::1]:53)")
            }
        }
        let portText = parts.portText ?? ""
        guard portText.allSatisfy(\.isASCII), let number = Int(portText), (1...65535).contains(number) else {
            throw invalid("'\(portText)' is not a port (1-65535)")
        }
        port = number
    }

    public var description: String { isIPv6 ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// IPv4 addresses as numbers, so that lists sort as addresses (10.0.0.2 before 10.0.0.10).
public enum IPv4 {
    /// Four dotted decimal parts without leading zeros, or nil.
    public static func parse<S: StringProtocol>(_ text: S) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy({ $0.isASCII && $0.isNumber }),
                part == "0" || !part.hasPrefix("0"), let byte = UInt8(part)
            else { return nil }
            value = value << 8 | UInt32(byte)
        }
        return value
    }

    public static func format(_ value: UInt32) -> String {
        "\(value >> 24).\(value >> 16 & 0xff).\(value >> 8 & 0xff).\(value & 0xff)"
    }

    public static func isIPv6Literal(_ text: String) -> Bool {
        // 16 bytes, the size of an in6_addr (written as bytes: the struct's Swift import depends on
        // which module brought the header in first).
        var address = [UInt8](repeating: 0, count: 16)
        return !text.isEmpty && inet_pton(AF_INET6, text, &address) == 1
    }

    /// Sorted by address, without duplicates.
    public static func sortedUnique(_ addresses: some Sequence<UInt32>) -> [String] {
        Set(addresses).sorted().map(format)
    }
}
