/// The answers already given from one zone, by query: a query asked again (the usual case, a
/// resolver or a tool asking for the leader over and over) is answered by copying bytes and
/// setting the id, without reading the question or writing records again.
///
/// Keyed by the whole query after its id, so two queries share an answer only when every bit that
/// could change it (flags, the question as spelled, EDNS0) is the same. Emptied when the zone
/// changes, and when it holds `capacity` answers (so a flood of distinct or malformed packets
/// costs a bounded amount of memory). Owned by one channel handler, on one event loop: no lock.
struct AnswerCache {
    private var answers: [Key: [UInt8]?] = [:]
    private var zone: DNSZone.Identity?
    let capacity: Int

    init(capacity: Int = 1024) {
        self.capacity = capacity
    }

    /// The answer to `packet` from `zone`, or nil when it gets none.
    mutating func respond(to packet: [UInt8], zone: DNSZone, transport: DNSAnswerer.Transport) -> [UInt8]? {
        guard packet.count >= 12 else { return nil }
        if self.zone !== zone.identity {
            self.zone = zone.identity
            answers.removeAll(keepingCapacity: true)
        }
        let key = Key(bytes: packet[2...])
        if let cached = answers[key] {
            guard var answer = cached else { return nil }
            answer[0] = packet[0]
            answer[1] = packet[1]
            return answer
        }
        let answer = DNSAnswerer.respond(to: packet, zone: zone, transport: transport)
        if answers.count >= capacity { answers.removeAll(keepingCapacity: true) }
        answers[key] = .some(answer)
        return answer
    }
}

extension AnswerCache {
    /// A query after its id, hashed in one call over its bytes (not byte by byte).
    struct Key: Hashable {
        var bytes: ArraySlice<UInt8>

        func hash(into hasher: inout Hasher) {
            bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
        }
    }
}
