extension ZooKeeperURL {
    /// Parses `zk://[user:password@]host[:port][,host[:port]…]/path` (see the type's rules).
    ///
    /// The checks run in an order that keeps secrets out of errors: control characters and the
    /// scheme first (quoting nothing but a scheme-like word), then the path (refusing `@`, so a
    /// password containing `/` stops here unquoted), then the credentials (never quoted), and only
    /// then the hosts, where an error quotes a host name but never a port's text or a whole
    /// `a:b:c` entry (either could be `user:password` with its `@` mistyped).
    public init(parsing text: String) throws(ZooKeeperURLError) {
        let trimmed = Self.trimmingMesosWhitespace(text)
        if let position = trimmed.unicodeScalars.firstIndex(where: Self.isControl) {
            throw .controlCharacter(
                position: trimmed.unicodeScalars.distance(from: trimmed.unicodeScalars.startIndex, to: position))
        }
        guard trimmed.hasPrefix("zk://") else { throw .missingScheme(found: Self.schemeWord(trimmed)) }
        let rest = trimmed.dropFirst(5)
        guard let slash = rest.firstIndex(of: "/") else {
            throw .missingPath
        }
        let path = String(rest[slash...])
        try Self.validate(path: path)

        let authority = rest[..<slash]
        var hostList = authority
        var credentials: Credentials?
        if let at = authority.lastIndex(of: "@") {
            credentials = try Credentials(parsingUserInfo: authority[..<at])
            hostList = authority[authority.index(after: at)...]
        }
        try self.init(hosts: Self.parseHosts(hostList), path: path, credentials: credentials)
    }

    /// Splits the host list at commas and reads each entry.
    static func parseHosts(_ list: Substring) throws(ZooKeeperURLError) -> [Host] {
        guard !list.isEmpty else { throw .noHost }
        var hosts: [Host] = []
        for (index, entry) in list.split(separator: ",", omittingEmptySubsequences: false).enumerated() {
            guard !entry.isEmpty else { throw .emptyHost(position: index + 1) }
            hosts.append(try parseHost(entry, position: index + 1))
        }
        return hosts
    }

    /// Reads `name`, `name:port`, `[v6]`, `[v6]:port`, or the C client's unbracketed `v6:port`.
    /// Errors quote the host name only (see `ZooKeeperURLError`).
    static func parseHost(_ entry: Substring, position: Int) throws(ZooKeeperURLError) -> Host {
        if entry.hasPrefix("[") {
            guard let close = entry.firstIndex(of: "]") else { throw .invalidHost(String(entry)) }
            let address = String(entry[entry.index(after: entry.startIndex)..<close])
            guard IPAddress.isIPv6(address) else { throw .invalidHost(String(entry)) }
            let tail = entry[entry.index(after: close)...]
            if tail.isEmpty { return Host(host: address, port: defaultPort) }
            guard tail.hasPrefix(":") else { throw .invalidHost(String(entry)) }
            return Host(host: address, port: try port(tail.dropFirst(), of: "[\(address)]"))
        }
        guard let colon = entry.lastIndex(of: ":") else {
            guard IPAddress.isHostName(entry) else { throw .invalidHost(String(entry)) }
            return Host(host: String(entry), port: defaultPort)
        }
        let name = entry[..<colon]
        let portText = entry[entry.index(after: colon)...]
        if name.contains(":") {
            // Several colons and no brackets: the C client's reading, last colon = port.
            guard IPAddress.isIPv6(name), !portText.isEmpty, portText.utf8.allSatisfy(IPAddress.isDigit) else {
                if IPAddress.isIPv6(entry) { throw .ipv6NeedsBrackets(String(entry)) }
                throw .invalidHostEntry(position: position)
            }
            return Host(host: String(name), port: try port(portText, of: String(name)))
        }
        guard IPAddress.isHostName(name) else { throw .invalidHost(String(name)) }
        return Host(host: String(name), port: try port(portText, of: String(name)))
    }

    private static func port(_ text: Substring, of host: String) throws(ZooKeeperURLError) -> Int {
        guard !text.isEmpty, text.utf8.allSatisfy(IPAddress.isDigit) else { throw .invalidPort(host: host) }
        guard let value = IPAddress.port(text) else { throw .portOutOfRange(host: host) }
        return value
    }

    /// Mesos' `strings::trim`: spaces, tabs, carriage returns and line feeds at both ends.
    private static func trimmingMesosWhitespace(_ text: String) -> Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }
        guard let first = text.firstIndex(where: { !isSpace($0) }),
            let last = text.lastIndex(where: { !isSpace($0) })
        else { return "" }
        return text[first...last]
    }

    /// The text before `://` when it is a plausible scheme (letters, digits, `+-.`), else nil, so
    /// that a malformed URL never has its user-info quoted back.
    private static func schemeWord(_ text: Substring) -> String? {
        guard let range = text.firstRange(of: "://") else { return nil }
        let word = text[..<range.lowerBound]
        let allowed = word.utf8.allSatisfy {
            IPAddress.isHostNameByte($0) && $0 != UInt8(ascii: "_") || $0 == UInt8(ascii: "+")
        }
        guard !word.isEmpty, word.utf8.count <= 16, allowed else { return nil }
        return String(word) + "://"
    }
}
