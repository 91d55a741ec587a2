import HeraldSupport

#if canImport(Glibc)
    import Glibc
#endif

/// `getaddrinfo` for IPv4 addresses: what the host's resolver configuration says
/// (`/etc/hosts`, `/etc/resolv.conf`, nsswitch), when `herald_zk_dns_server` is not set.
enum SystemResolver {
    /// `getaddrinfo` blocks for as long as the system resolver's own timeouts, so it runs on a
    /// thread of its own; cancellation cannot interrupt it and takes effect when it returns.
    static func resolveIPv4(_ name: String) async throws -> [String] {
        try Task.checkCancellation()
        let addresses = try await BlockingPool.onOwnThread {
            Result { () throws(DNSError) in try lookup(name) }
        }.get()
        try Task.checkCancellation()
        return addresses
    }

    static func lookup(_ name: String) throws(DNSError) -> [String] {
        guard !name.isEmpty, name.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f }) else {
            throw DNSError(.invalidName, "'\(name)' is not a DNS name that can be queried")
        }
        var hints = addrinfo()
        hints.ai_family = AF_INET
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(name, nil, &hints, &list)
        guard rc == 0 else {
            let reason = String(cString: gai_strerror(rc))
            // EAI_NODATA (-5) is a GNU extension the Glibc module does not export.
            if rc == EAI_NONAME || rc == -5 {
                throw DNSError(.noRecords, "no A records for \(name) at the system resolver (\(reason))")
            }
            let detail = rc == EAI_SYSTEM ? "\(reason): \(String(cString: strerror(errno)))" : reason
            throw DNSError(.network, "the system resolver cannot look up A \(name): \(detail)")
        }
        defer { freeaddrinfo(list) }
        var addresses: [UInt32] = []
        var cursor = list
        while let entry = cursor {
            if entry.pointee.ai_family == AF_INET, let address = entry.pointee.ai_addr {
                // sockaddr_in: family (2 bytes), port (2), then the address in network order.
                let bytes = UnsafeRawPointer(address).assumingMemoryBound(to: UInt8.self)
                addresses.append((4..<8).reduce(UInt32(0)) { $0 << 8 | UInt32(bytes[$1]) })
            }
            cursor = entry.pointee.ai_next
        }
        guard !addresses.isEmpty else {
            throw DNSError(.noRecords, "no A records for \(name) at the system resolver")
        }
        return IPv4.sortedUnique(addresses)
    }
}
