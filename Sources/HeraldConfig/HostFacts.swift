import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// What this host is called and which address it advertises, when the configuration does not
/// say (`herald_hostname`, `herald_advertise_ip`).
public struct HostFacts: Hashable, Sendable {
    public var hostname: String
    public var ipv4: String

    public init(hostname: String, ipv4: String) {
        self.hostname = hostname
        self.ipv4 = ipv4
    }

    /// The configured values, else the system's host name and first non-loopback IPv4 address.
    public static func resolve(_ configuration: HeraldConfiguration) -> HostFacts {
        HostFacts(
            hostname: configuration.heraldHostname ?? systemHostname(),
            ipv4: configuration.heraldAdvertiseIp ?? firstNonLoopbackIPv4() ?? "127.0.0.1")
    }

    static func systemHostname() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "localhost" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func firstNonLoopbackIPv4() -> String? {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0, let first = list else { return nil }
        defer { freeifaddrs(list) }
        var cursor: UnsafeMutablePointer<ifaddrs>? = first
        while let entry = cursor {
            defer { cursor = entry.pointee.ifa_next }
            guard let address = entry.pointee.ifa_addr, address.pointee.sa_family == sa_family_t(AF_INET),
                entry.pointee.ifa_flags & UInt32(IFF_LOOPBACK) == 0, entry.pointee.ifa_flags & UInt32(IFF_UP) != 0
            else { continue }
            var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            let length = socklen_t(MemoryLayout<sockaddr_in>.size)
            guard getnameinfo(address, length, &host, socklen_t(host.count), nil, 0, NI_NUMERICHOST) == 0 else {
                continue
            }
            return String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        return nil
    }
}
