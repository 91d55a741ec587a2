import Foundation
import HeraldSupport

#if canImport(Glibc)
    import Glibc
#endif

/// ZooKeeper's four-letter words (`srvr`, `mntr`, `ruok`) over a plain TCP connection: the server
/// answers and closes. Blocking, with a deadline; on a thread of its own, off the cooperative pool.
enum FourLetterWord {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// The server's answer to `word` at `host:port` (IPv4/IPv6 literal or name).
    static func ask(_ word: String, host: String, port: Int, timeout: Duration) async throws -> String {
        try await BlockingPool.onOwnThread {
            Result { try blockingAsk(word, host: host, port: port, timeout: timeout) }
        }.get()
    }

    private static func blockingAsk(_ word: String, host: String, port: Int, timeout: Duration) throws -> String {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let first = list else {
            throw Failure(description: "cannot resolve \(host)")
        }
        defer { freeaddrinfo(list) }
        let descriptor = socket(first.pointee.ai_family, first.pointee.ai_socktype, first.pointee.ai_protocol)
        guard descriptor >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        let milliseconds = Int(
            timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        var limit = timeval(tv_sec: milliseconds / 1000, tv_usec: Int((milliseconds % 1000) * 1000))
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        guard connect(descriptor, first.pointee.ai_addr, first.pointee.ai_addrlen) == 0 else {
            throw Failure(description: String(cString: strerror(errno)))
        }
        let request = Array(word.utf8)
        guard request.withUnsafeBytes({ send(descriptor, $0.baseAddress, $0.count, 0) }) == request.count else {
            throw Failure(description: "cannot send \(word)")
        }
        var answer: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while answer.count < 1 << 20 {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count == 0 { break }
            guard count > 0 else { throw Failure(description: "no answer: \(String(cString: strerror(errno)))") }
            answer += buffer[0..<count]
        }
        return String(decoding: answer, as: UTF8.self)
    }

    /// `Mode: leader` → `leader`; a refusal (`srvr is not executed because it is not in the
    /// whitelist.`) or nothing → nil.
    static func mode(fromSrvr text: String) -> String? {
        text.split(separator: "\n").first { $0.hasPrefix("Mode:") }
            .map { $0.dropFirst("Mode:".count).trimmingCharacters(in: .whitespaces) }
    }
}
