#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Address-literal checks shared by the URL parser and the MasterInfo codec.
///
/// IPv4 is parsed by hand so that the accepted spelling is exactly the one Mesos writes
/// (`stringify(net::IP)`: four decimal parts, no leading zeros); IPv6 goes through the C library's
/// `inet_pton`, the same parser `getaddrinfo` applies to a numeric host in the ZooKeeper client.
enum IPAddress {
    /// The four octets of a strict dotted-quad IPv4 address, or nil.
    ///
    /// Rejects leading zeros (`010.0.0.1` is octal to `inet_aton` and decimal to others) and
    /// anything that is not exactly four parts of 0–255.
    static func ipv4Octets(_ text: some StringProtocol) -> [UInt8]? {
        let parts = text.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var octets: [UInt8] = []
        for part in parts {
            guard (1...3).contains(part.count), part.allSatisfy(isDigit) else { return nil }
            if part.count > 1, part.first == UInt8(ascii: "0") { return nil }
            let value = part.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
            guard value <= 255 else { return nil }
            octets.append(UInt8(value))
        }
        return octets
    }

    /// Whether `text` is an IPv6 literal without brackets, optionally with a `%zone` suffix.
    static func isIPv6(_ text: some StringProtocol) -> Bool {
        var address = Substring(text)
        if let percent = address.utf8.firstIndex(of: UInt8(ascii: "%")) {
            let zone = address.utf8[address.utf8.index(after: percent)...]
            guard !zone.isEmpty, zone.allSatisfy(isHostNameByte) else { return false }
            address = Substring(address.utf8[..<percent])
        }
        guard address.utf8.contains(UInt8(ascii: ":")) else { return false }
        var buffer = in6_addr()
        return String(address).withCString { inet_pton(AF_INET6, $0, &buffer) } == 1
    }

    /// Whether `text` is a plausible DNS name or IPv4 literal (letters, digits, `.`, `-`, `_`).
    ///
    /// A name made only of digits and dots must be a valid IPv4 address: `300.1.1.1` is a typo,
    /// not a host name, and the resolver would only fail later and less clearly.
    static func isHostName(_ text: some StringProtocol) -> Bool {
        let bytes = text.utf8
        guard !bytes.isEmpty, bytes.count <= 253, bytes.allSatisfy(isHostNameByte) else { return false }
        if bytes.allSatisfy({ isDigit($0) || $0 == UInt8(ascii: ".") }) {
            return ipv4Octets(text) != nil
        }
        return true
    }

    static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    static func isHostNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: "_"):
            return true
        default:
            return false
        }
    }

    /// A decimal port 1–65535 written with ASCII digits only (no sign, no spaces), or nil.
    static func port(_ text: some StringProtocol) -> Int? {
        let bytes = text.utf8
        guard !bytes.isEmpty, bytes.count <= 5, bytes.allSatisfy(isDigit) else { return nil }
        let value = bytes.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        return (1...65535).contains(value) ? value : nil
    }
}
