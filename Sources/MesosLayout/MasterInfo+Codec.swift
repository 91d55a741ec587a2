extension MasterInfo {
    /// The JSON a Mesos master writes for this value (`stringify(JSON::protobuf(masterInfo))`):
    /// one line, no spaces, keys sorted at every level, `capabilities` as `[{"type":"NAME"}]`,
    /// absent optional fields and empty `capabilities` omitted, strings escaped as stout escapes
    /// them — including `/` as `\/` (see `MesosJSONWriter`).
    public func encoded() -> [UInt8] {
        jsonValue.encoded()
    }

    /// Checks that what `encoded()` writes is data Mesos accepts (the rule "never write malformed
    /// JSON"): the encoding must decode again, so a bad `pid`, a port outside 1–65535 or an invalid
    /// `domain` is caught before it reaches ZooKeeper.
    public func validate() throws(MasterInfoError) {
        _ = try Self.decode(encoded())
    }

    /// The value as the JSON object Mesos builds from the protobuf.
    var jsonValue: JSONValue {
        var object: [String: JSONValue] = [
            "id": .string(id),
            "ip": .number(String(ip)),
            "port": .number(String(port)),
        ]
        if let address {
            var fields: [String: JSONValue] = ["port": .number(String(address.port))]
            if let hostname = address.hostname { fields["hostname"] = .string(hostname) }
            if let ip = address.ip { fields["ip"] = .string(ip) }
            object["address"] = .object(fields)
        }
        if !capabilities.isEmpty {
            object["capabilities"] = .array(capabilities.map { .object(["type": .string($0)]) })
        }
        if let domain { object["domain"] = domain }
        if let hostname { object["hostname"] = .string(hostname) }
        if let pid { object["pid"] = .string(pid) }
        if let version { object["version"] = .string(version) }
        return .object(object)
    }

    /// Reads a `json.info_` node's data.
    ///
    /// Unknown keys are ignored at every level (Mesos readers ignore them). Refused: empty or
    /// non-UTF-8 data, anything but one JSON object, a missing `id`, `ip` or `port` (or
    /// `address.port` when `address` is present), a field of the wrong JSON type (`null` included),
    /// integers written as fractions, exponents or strings, ports outside 1–65535, a `pid` that is
    /// not `NAME@IPv4:PORT`, a capability without a string `type`, and a `domain` whose
    /// `fault_domain` lacks `region.name` or `zone.name` (required in `mesos.proto`).
    public static func decode(_ bytes: [UInt8]) throws(MasterInfoError) -> MasterInfo {
        guard !bytes.isEmpty else { throw .empty }
        if let offset = firstInvalidUTF8Offset(bytes) { throw .notUTF8(offset: offset) }
        let document = try JSONParser.parse(bytes)
        guard case .object(let object) = document else { throw .notAnObject(found: document.kindName) }

        var info = MasterInfo(
            id: try requiredString(object, "id"),
            ip: UInt32(try integer(object, "ip", in: 0...UInt64(UInt32.max))),
            port: Int(try integer(object, "port", in: 1...65535)))
        info.pid = try string(object, "pid", required: false)
        if let pid = info.pid, parsePID(pid) == nil { throw .invalidPID(pid) }
        info.hostname = try string(object, "hostname", required: false)
        info.version = try string(object, "version", required: false)
        if let value = object["address"] {
            guard case .object(let address) = value else {
                throw .wrongType(field: "address", expected: "an object", found: value.kindName)
            }
            info.address = Address(
                hostname: try string(address, "hostname", in: "address.", required: false),
                ip: try string(address, "ip", in: "address.", required: false),
                port: Int(try integer(address, "port", in: 1...65535, prefix: "address.")))
        }
        if let value = object["capabilities"] {
            guard case .array(let elements) = value else {
                throw .wrongType(field: "capabilities", expected: "an array", found: value.kindName)
            }
            info.capabilities = try elements.enumerated().map { (index, element) throws(MasterInfoError) in
                guard case .object(let capability) = element else {
                    throw .wrongType(field: "capabilities[\(index)]", expected: "an object", found: element.kindName)
                }
                return try requiredString(capability, "type", in: "capabilities[\(index)].")
            }
        }
        if let domain = object["domain"] {
            try checkDomain(domain)
            info.domain = domain
        }
        return info
    }

    private static func checkDomain(_ domain: JSONValue) throws(MasterInfoError) {
        guard case .object(let object) = domain else {
            throw .wrongType(field: "domain", expected: "an object", found: domain.kindName)
        }
        guard let fault = object["fault_domain"] else { return }
        guard case .object(let faultObject) = fault else {
            throw .wrongType(field: "domain.fault_domain", expected: "an object", found: fault.kindName)
        }
        for part in ["region", "zone"] {
            let field = "domain.fault_domain.\(part)"
            guard let value = faultObject[part] else { throw .missingField(field) }
            guard case .object(let partObject) = value else {
                throw .wrongType(field: field, expected: "an object", found: value.kindName)
            }
            _ = try requiredString(partObject, "name", in: field + ".")
        }
    }

    private static func requiredString(
        _ object: [String: JSONValue], _ key: String, in prefix: String = ""
    ) throws(MasterInfoError) -> String {
        guard let text = try string(object, key, in: prefix, required: true) else { throw .missingField(prefix + key) }
        return text
    }

    private static func string(
        _ object: [String: JSONValue], _ key: String, in prefix: String = "", required: Bool
    ) throws(MasterInfoError) -> String? {
        guard let value = object[key] else {
            if required { throw .missingField(prefix + key) }
            return nil
        }
        guard case .string(let text) = value else {
            throw .wrongType(field: prefix + key, expected: "a string", found: value.kindName)
        }
        return text
    }

    /// A required non-negative integer literal (digits only) within `range`.
    private static func integer(
        _ object: [String: JSONValue], _ key: String, in range: ClosedRange<UInt64>, prefix: String = ""
    ) throws(MasterInfoError) -> UInt64 {
        let field = prefix + key
        let expected = "an integer in \(range.lowerBound)-\(range.upperBound)"
        guard let value = object[key] else { throw .missingField(field) }
        guard case .number(let literal) = value else {
            throw .wrongType(field: field, expected: expected, found: value.kindName)
        }
        guard literal.utf8.allSatisfy(IPAddress.isDigit) else {
            throw .wrongType(field: field, expected: expected, found: value.kindName)
        }
        guard literal.utf8.count <= 19, let number = UInt64(literal), range.contains(number) else {
            throw .outOfRange(field: field, value: literal, allowed: "\(range.lowerBound)-\(range.upperBound)")
        }
        return number
    }

    /// The offset of the first byte that is not part of valid UTF-8 (overlong forms, surrogates
    /// and values above U+10FFFF included), or nil.
    private static func firstInvalidUTF8Offset(_ bytes: [UInt8]) -> Int? {
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded): offset += encoded.count
            case .emptyInput: return nil
            case .error: return offset
            }
        }
    }
}
