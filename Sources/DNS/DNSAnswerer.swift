/// The responder's decisions, as a pure function of a packet, the zone and the transport, so
/// that every rule is a unit test:
///
/// - a name in the zone with records of the type asked: those records (AA set), and for SRV the
///   targets' address records in the additional section;
/// - a name in the zone without such records: NOERROR, no answers, the SOA in the authority
///   section (RFC 2308 NODATA);
/// - a name inside the domain that does not exist: NXDOMAIN with the SOA;
/// - a name outside the domain, or a class other than IN: REFUSED;
/// - a name marked failing: SERVFAIL (never cached as an answer by a resolver);
/// - another opcode: NOTIMP; an unreadable query: FORMERR; shorter than a header or a response:
///   no answer at all;
/// - an answer larger than the UDP limit (512 bytes, or the EDNS0 payload size the query
///   offers, at most `maximumUDPPayload`) goes out with TC set and no records, and the client
///   asks again over TCP, where the whole answer fits;
/// - EDNS0: an OPT record in the query gets one in the answer; a version other than 0 gets
///   BADVERS (RFC 6891 6.1.3).
public enum DNSAnswerer {
    public enum Transport: Sendable { case udp, tcp }

    /// The largest UDP answer sent whatever the client offers (the EDNS0 default of DNS Flag
    /// Day 2020, which avoids IP fragmentation).
    public static let maximumUDPPayload = 1232

    public enum ResponseCode: UInt8, Sendable {
        case noError = 0
        case formatError = 1
        case serverFailure = 2
        case nameError = 3
        case notImplemented = 4
        case refused = 5
    }

    /// The answer to `packet`, or nil when it gets none.
    public static func respond(to packet: some Collection<UInt8>, zone: DNSZone, transport: Transport) -> [UInt8]? {
        switch DNSRequest.parse(packet) {
        case .drop:
            return nil
        case .malformed(let id, let flags):
            return errorResponse(id: id, flags: flags, code: .formatError)
        case .notImplemented(let id, let flags):
            return errorResponse(id: id, flags: flags, code: .notImplemented)
        case .query(let request):
            return respond(to: request, zone: zone, transport: transport)
        }
    }

    public static func respond(to request: DNSRequest, zone: DNSZone, transport: Transport) -> [UInt8] {
        let limit: Int
        switch transport {
        case .tcp: limit = 65535
        case .udp: limit = min(max(512, Int(request.edns?.payloadSize ?? 512)), maximumUDPPayload)
        }
        if let edns = request.edns, edns.version != 0 {
            // BADVERS: the upper eight bits of the 12-bit code (16) travel in the OPT record.
            var writer = DNSWriter(request: request, code: 0, authoritative: false)
            writer.appendOPT(extendedCode: 1)
            return writer.finish()
        }
        let name = request.name
        guard request.klass == DNSRecordType.classIN || request.klass == DNSRecordType.classANY,
            zone.isInside(name)
        else {
            return respond(request, code: .refused, authoritative: false)
        }
        guard let records = zone.records[name] ?? (zone.contains(name) ? DNSZone.Records() : nil) else {
            return negative(request, zone: zone, code: .nameError, limit: limit)
        }
        if records.failing { return respond(request, code: .serverFailure, authoritative: false) }

        let type = request.type
        let wantsAll = type == DNSRecordType.any
        let addresses = records.addresses.filter { wantsAll || $0.type == type }
        let services = wantsAll || type == DNSRecordType.srv ? records.services : []
        let soa = name == zone.domain && (wantsAll || type == DNSRecordType.soa)
        guard !addresses.isEmpty || !services.isEmpty || soa else {
            return negative(request, zone: zone, code: .noError, limit: limit)
        }

        var writer = DNSWriter(request: request, code: 0, authoritative: true)
        var answers = 0
        if soa {
            writer.appendSOA(zone: zone)
            answers += 1
        }
        for address in addresses {
            writer.appendAddress(owner: nil, address, ttl: zone.ttl)
            answers += 1
        }
        for service in services {
            writer.appendService(owner: nil, service, ttl: zone.ttl)
            answers += 1
        }
        // The targets' addresses, each target once, in the order the SRV records name them.
        var additional = 0
        var seen = Set<String>()
        for service in services where seen.insert(service.target).inserted {
            for address in zone.records[service.target]?.addresses ?? [] {
                writer.appendAddress(owner: service.target, address, ttl: zone.ttl)
                additional += 1
            }
        }
        writer.setCounts(answers: answers, authorities: 0, additionals: additional)
        if request.edns != nil { writer.appendOPT(extendedCode: 0) }
        let bytes = writer.finish()
        return bytes.count <= limit ? bytes : truncated(request)
    }

    /// NXDOMAIN or NODATA: the SOA in the authority section, whose minimum tells resolvers how
    /// long they may remember that there is nothing.
    private static func negative(_ request: DNSRequest, zone: DNSZone, code: ResponseCode, limit: Int) -> [UInt8] {
        var writer = DNSWriter(request: request, code: code.rawValue, authoritative: true)
        writer.appendSOA(zone: zone)
        writer.setCounts(answers: 0, authorities: 1, additionals: 0)
        if request.edns != nil { writer.appendOPT(extendedCode: 0) }
        let bytes = writer.finish()
        return bytes.count <= limit ? bytes : truncated(request)
    }

    private static func respond(_ request: DNSRequest, code: ResponseCode, authoritative: Bool) -> [UInt8] {
        var writer = DNSWriter(request: request, code: code.rawValue, authoritative: authoritative)
        if request.edns != nil { writer.appendOPT(extendedCode: 0) }
        return writer.finish()
    }

    /// The question alone with TC set: "ask again over TCP".
    private static func truncated(_ request: DNSRequest) -> [UInt8] {
        var writer = DNSWriter(request: request, code: 0, authoritative: true)
        writer.setTruncated()
        if request.edns != nil { writer.appendOPT(extendedCode: 0) }
        return writer.finish()
    }

    /// A header-only answer to a query whose question cannot be read.
    static func errorResponse(id: UInt16, flags: UInt16, code: ResponseCode) -> [UInt8] {
        let answerFlags = 0x8000 | (flags & 0x7900) | UInt16(code.rawValue)
        return [
            UInt8(id >> 8), UInt8(id & 0xff), UInt8(answerFlags >> 8), UInt8(answerFlags & 0xff),
            0, 0, 0, 0, 0, 0, 0, 0,
        ]
    }
}
