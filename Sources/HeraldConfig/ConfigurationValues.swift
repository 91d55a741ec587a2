import DNS
import HeraldSupport
import Yams

/// The parsers and printers the key table uses; each refusal says what is allowed.
extension ConfigurationKey {
    static func choice<T: RawRepresentable & CaseIterable>(
        _ value: RawValue, uppercased: Bool = false
    ) throws(KeyProblem) -> T where T.RawValue == String {
        let text = try value.string().trimmed
        guard let choice = T(rawValue: uppercased ? text.uppercased() : text) else {
            let allowed = T.allCases.map(\.rawValue).joined(separator: ", ")
            throw KeyProblem("'\(text)' is not one of \(allowed)")
        }
        return choice
    }

    static func nonEmpty(_ value: RawValue) throws(KeyProblem) -> String {
        let text = try value.string().trimmed
        guard !text.isEmpty else { throw KeyProblem("must not be empty") }
        return text
    }

    static func optional(_ value: RawValue) throws(KeyProblem) -> String? {
        if case .node(let node) = value, node.null != nil { return nil }
        let text = try value.string()
        return text.isEmpty ? nil : text
    }

    static func optionalInt(_ value: RawValue, _ range: ClosedRange<Int>, what: String) throws(KeyProblem) -> Int? {
        guard try optional(value) != nil else { return nil }
        return try value.int(range, what: what)
    }

    static func path(_ value: RawValue) throws(KeyProblem) -> String {
        let text = try nonEmpty(value)
        guard text.hasPrefix("/") else { throw KeyProblem("'\(text)' is not an absolute path") }
        return text
    }

    static func optionalPath(_ value: RawValue) throws(KeyProblem) -> String? {
        guard try optional(value) != nil else { return nil }
        return try path(value)
    }

    static func socketPath(_ value: RawValue) throws(KeyProblem) -> String {
        let text = try path(value)
        // sockaddr_un.sun_path holds 108 bytes on Linux; 103 keeps the path portable.
        guard text.utf8.count <= 103 else {
            throw KeyProblem("'\(text)' is \(text.utf8.count) bytes; a Unix socket path may have at most 103")
        }
        return text
    }

    static func isolation(_ value: RawValue) throws(KeyProblem) -> String {
        let text = try nonEmpty(value)
        for part in text.split(separator: ",", omittingEmptySubsequences: false)
        where part.isEmpty || !MesosSyntax.isText(part) {
            throw KeyProblem("'\(text)' must be isolators separated by commas, e.g. cgroups/cpu,cgroups/mem")
        }
        return text
    }

    static func mesosList(_ value: RawValue, _ problem: (String) -> String?) throws(KeyProblem) -> [String] {
        let items = try value.list(separator: ";")
        for item in items {
            if let reason = problem(item) { throw KeyProblem("'\(item)': \(reason)") }
        }
        return items
    }

    static func isDNSName<S: StringProtocol>(_ text: S) -> Bool {
        guard !text.isEmpty, text.utf8.count <= 253 else { return false }
        return text.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            !label.isEmpty && label.count <= 63 && !label.hasPrefix("-") && !label.hasSuffix("-")
                && label.unicodeScalars.allSatisfy {
                    ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "-"
                        || $0 == "_"
                }
        }
    }

    static func dnsName(_ value: RawValue) throws(KeyProblem) -> String {
        let text = try nonEmpty(value)
        guard isDNSName(text) else { throw KeyProblem("'\(text)' is not a valid DNS name") }
        return text
    }

    static func optionalDNSName(_ value: RawValue) throws(KeyProblem) -> String? {
        guard try optional(value) != nil else { return nil }
        return try dnsName(value)
    }

    static func isIPv4<S: StringProtocol>(_ text: S) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4
            && parts.allSatisfy { part in
                !part.isEmpty && part.count <= 3 && part.allSatisfy(\.isASCII) && UInt8(part) != nil
                    && (part == "0" || !part.hasPrefix("0"))
            }
    }

    static func ipv4(_ value: RawValue) throws(KeyProblem) -> String? {
        guard let text = try optional(value)?.trimmed else { return nil }
        guard isIPv4(text) else { throw KeyProblem("'\(text)' is not an IPv4 address like 10.0.0.1") }
        return text
    }

    /// `host:port`, host a DNS name, an IPv4 address or `[IPv6]`; nil when fine.
    static func hostPortProblem(_ text: String, defaultPort: Int?) -> String? {
        let parts: HostPort
        do {
            parts = try HostPort.split(text)
        } catch {
            switch error {
            case .unclosedBracket:
                return "'\(text)': IPv6 address needs a closing ]"
            case .junkAfterBracket:
                return "'\(text)': expected :port after ]"
            }
        }
        let host = parts.host
        let port = parts.portText
        if parts.bracketed {
            guard !host.isEmpty, host.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else {
                return "'\(text)': '\(host)' is not an IPv6 address"
            }
        } else {
            guard isIPv4(host) || isDNSName(host) else {
                return "'\(text)': '\(host)' is not a host name or IPv4 address"
            }
        }
        if let port {
            guard let number = Int(port), (1...65535).contains(number) else {
                return "'\(text)': '\(port)' is not a port (1-65535)"
            }
        } else if defaultPort == nil {
            return "'\(text)' needs a :port"
        }
        return nil
    }

    static func hosts(_ value: RawValue) throws(KeyProblem) -> [String]? {
        if case .node(let node) = value, node.null != nil { return nil }
        let items = try value.list(separator: ",")
        if items.isEmpty { return nil }
        for item in items {
            if let problem = hostPortProblem(item, defaultPort: 2181) { throw KeyProblem(problem) }
        }
        return items
    }

    static func leaders(_ value: RawValue) throws(KeyProblem) -> [String]? {
        if case .node(let node) = value, node.null != nil { return nil }
        let items = try value.list(separator: ",")
        if items.isEmpty { return nil }
        for item in items where !(isIPv4(item) || isDNSName(item)) {
            throw KeyProblem("'\(item)' is not a host name or IPv4 address")
        }
        return items
    }

    /// Where the DNS responder listens: `IP:port`, `[IPv6]:port`, or the address alone (port
    /// `DNSResponder.defaultPort`); empty is off.
    static func dnsListen(_ value: RawValue) throws(KeyProblem) -> String {
        let text = try value.string().trimmed
        if text.isEmpty { return "" }
        do {
            _ = try DNSResponder.Configuration(listen: text)
        } catch {
            throw KeyProblem(
                "'\(text)' is not an address to listen on: IPv4:port or [IPv6]:port, e.g. 127.0.0.1:"
                    + "\(DNSResponder.defaultPort) (or empty for off)")
        }
        return text
    }

    /// A DNS server as `IP:port` (a literal: it is what resolves names, so it cannot be one).
    static func dnsServer(_ value: RawValue) throws(KeyProblem) -> String? {
        guard let text = try optional(value)?.trimmed else { return nil }
        do {
            _ = try DNSServerAddress(parsing: text)
        } catch {
            throw KeyProblem(error.description)
        }
        return text
    }

    /// `host:port` to listen on, or empty for "off".
    static func listenAddress(_ value: RawValue) throws(KeyProblem) -> String {
        let text = try value.string().trimmed
        if text.isEmpty { return "" }
        if let problem = hostPortProblem(text, defaultPort: nil) { throw KeyProblem(problem + " (or empty for off)") }
        return text
    }

    static func chroot(_ value: RawValue) throws(KeyProblem) -> String {
        var text = try nonEmpty(value)
        if text.hasPrefix("/") { text.removeFirst() }
        let segments = text.split(separator: "/", omittingEmptySubsequences: false)
        guard !text.isEmpty, !text.hasSuffix("/"), segments.allSatisfy({ !$0.isEmpty }) else {
            throw KeyProblem("'\(text)' is not a znode path below / (no empty segments, no trailing /)")
        }
        if let bad = segments.first(where: { $0 == "." || $0 == ".." }) {
            throw KeyProblem("'\(text)': '\(bad)' is not allowed in a znode path")
        }
        if segments.first == "zookeeper" { throw KeyProblem("'\(text)': /zookeeper is reserved by ZooKeeper") }
        if text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) {
            throw KeyProblem("'\(text)' contains control characters")
        }
        return text
    }

    static func optionalChroot(_ value: RawValue) throws(KeyProblem) -> String? {
        guard try optional(value) != nil else { return nil }
        return try chroot(value)
    }

    static func optionalUser(_ value: RawValue) throws(KeyProblem) -> String? {
        guard let text = try optional(value) else { return nil }
        guard !text.contains(":"), !text.contains("@"), !text.contains("/") else {
            throw KeyProblem("'\(text)' may not contain ':', '@' or '/'")
        }
        return text
    }

    static func credentials(_ value: RawValue) throws(KeyProblem) -> [HeraldConfiguration.Credential] {
        guard case .node(let node) = value else {
            throw KeyProblem("give credentials in the config file, as a list of {principal, secret}")
        }
        if node.null != nil { return [] }
        guard let sequence = node.sequence else { throw KeyProblem("expected a list of {principal, secret}") }
        var result: [HeraldConfiguration.Credential] = []
        for (index, item) in sequence.enumerated() {
            guard let mapping = item.mapping,
                let principal = mapping["principal"]?.scalar?.string, !principal.isEmpty,
                let secret = mapping["secret"]?.scalar?.string, !secret.isEmpty,
                mapping.count == 2
            else {
                throw KeyProblem("entry \(index + 1) must have exactly a principal and a secret, both non-empty")
            }
            result.append(.init(principal: principal, secret: secret))
        }
        return result
    }

    // MARK: Printing

    static func quote(_ text: String) -> String {
        let plain =
            !text.isEmpty
            && text.unicodeScalars.allSatisfy {
                ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0)
                    || "_/.-,".unicodeScalars.contains($0)
            }
        if plain { return text }
        let escaped = text.replacingAll("\\", with: "\\\\").replacingAll("\"", with: "\\\"")
        return "\"\(escaped)\""
    }

    static func list(_ items: [String]) -> String { "[" + items.map(quote).joined(separator: ", ") + "]" }

    static func auto(_ setting: Bool?, _ effective: Bool) -> String {
        setting.map { "\($0)" } ?? "auto  # \(effective)"
    }

    static func redacted(_ secret: String?) -> String { secret == nil ? "null" : "<redacted>" }
}

extension String {
    func replacingAll(_ target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
