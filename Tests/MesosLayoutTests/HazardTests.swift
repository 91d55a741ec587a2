import MesosLayout
import Testing

@Suite("Hazards: children that would make Mesos masters or agents exit")
struct HazardTests {
    static let validData = Array(
        #"{"hostname":"m1","id":"x","ip":16777226,"pid":"master@10.0.0.1:5050","port":5050}"#.utf8)

    @Test("a clean group with valid leader data has no hazards")
    func clean() {
        let children = ["log_replicas", "herald", "json.info_0000000005", "json.info_0000000009", "json.info_abc"]
        #expect(GroupListing.hazards(children: children, lowestData: Self.validData).isEmpty)
        #expect(GroupListing.hazards(children: children, lowestData: nil).isEmpty)
        #expect(GroupListing.hazards(children: [], lowestData: nil).isEmpty)
        #expect(GroupListing.hazards(children: ["info_0000000001", "0000000002"], lowestData: [8, 1]).isEmpty)
    }

    static let nameCases: [([String], [String: String])] = [
        (["json.info_0000000001", "foo_0000000009"], ["foo_0000000009": "unknown label \"foo\""]),
        (["a_b_0000000002"], ["a_b_0000000002": "unknown label \"a\""]),
        (["JSON.info_0000000003", "json.info_0000000001"], ["JSON.info_0000000003": "unknown label \"JSON.info\""]),
        (["x_0x10"], ["x_0x10": "unknown label \"x\""]),
        (["json.info_5"], ["json.info_5": "reads \"json.info_0000000005\""]),
        (["json.info_+5"], ["json.info_+5": "reads \"json.info_0000000005\""]),
        (["json.info__0000000004"], ["json.info__0000000004": "reads \"json.info_0000000004\""]),
        (["json.info_x_0000000004"], ["json.info_x_0000000004": "reads \"json.info_0000000004\""]),
        (["_0000000004"], ["_0000000004": "reads \"0000000004\""]),
        (["0x10"], ["0x10": "sequence 16 but reads \"0000000016\""]),
        (["json.info_-000000005"], ["json.info_-000000005": "reads \"json.info_-0000000005\""]),
        (
            ["json.info_0000000005", "0000000005", "json.info_0000000006"],
            [
                "json.info_0000000005": "shares sequence 5 with \"0000000005\"",
                "0000000005": "shares sequence 5 with \"json.info_0000000005\"",
            ]
        ),
        (
            ["json.info_0000000005", "foo_0000000005"],
            [
                "foo_0000000005": "unknown label \"foo\"",
                "json.info_0000000005": "shares sequence 5 with \"foo_0000000005\"",
            ]
        ),
    ]

    @Test("every foreign numbered child is reported, lowest or not", arguments: nameCases)
    func names(children: [String], expected: [String: String]) {
        let hazards = GroupListing.hazards(children: children, lowestData: nil)
        #expect(Set(hazards.map(\.node)) == Set(expected.keys))
        #expect(hazards.count == expected.count)
        for hazard in hazards {
            let fragment = expected[hazard.node] ?? "?"
            #expect(hazard.reason.contains(fragment), "\(hazard)")
            #expect(hazard.description == "\(hazard.node): \(hazard.reason)")
        }
    }

    static let dataCases: [([String], [UInt8]?, String?)] = [
        (["json.info_0000000001"], [], "empty data"),
        (["json.info_0000000001"], Array("garbage".utf8), "not a valid MasterInfo (MasterInfo data is not valid JSON"),
        (["json.info_0000000001"], Array(#"{"id":"x","port":5050}"#.utf8), "missing the required field \"ip\""),
        (["json.info_0000000001"], [0xFF], "not valid UTF-8"),
        (["json.info_0000000001"], Array(#"{"id":"x","ip":1,"port":5050}"#.utf8), "has no pid"),
        (["json.info_0000000001"], validData, nil),
        (["json.info_0000000001"], nil, nil),
        (["json.info_0000000001", "json.info_0000000002"], validData, nil),
        (["info_0000000001"], [], "protobuf info_ node with empty data"),
        (["info_0000000001"], [0x0A, 0x01, 0x78], nil),
        (["0000000001"], Array("master@10.0.0.1:5050".utf8), nil),
        (["0000000001"], Array("junk".utf8), "not a pid NAME@IP:PORT"),
        (["0000000001"], [], "not a pid"),
        (["0000000001"], [0xC3, 0x28], "not a pid"),
    ]

    @Test("bad data at the lowest member is reported", arguments: dataCases)
    func data(children: [String], data: [UInt8]?, fragment: String?) {
        let hazards = GroupListing.hazards(children: children, lowestData: data)
        if let fragment {
            #expect(hazards.count == 1)
            #expect(hazards.first?.node == children.first)
            #expect(hazards.first?.reason.contains(fragment) == true, "\(hazards)")
        } else {
            #expect(hazards.isEmpty, "\(hazards)")
        }
    }

    @Test("a lowest member already reported by name gets no second, data hazard")
    func nameBeforeData() {
        let hazards = GroupListing.hazards(children: ["foo_0000000001", "json.info_0000000002"], lowestData: [])
        #expect(hazards.map(\.node) == ["foo_0000000001"])
        #expect(hazards.first?.reason.contains("unknown label") == true)
    }

    @Test("the data judged is that of Mesos' lowest child, even a foreign one")
    func lowestIsMesosLowest() {
        let view = GroupListing(children: ["json.info_0000000009", "0000000003"])
        #expect(view.mesosLowestChild == "0000000003")
        #expect(view.hazards(lowestData: Self.validData).first?.reason.contains("bare-number") == true)
        #expect(view.hazards(lowestData: Array("master@10.0.0.1:5050".utf8)).isEmpty)
    }

    @Test("non-members are never reported")
    func nonMembers() {
        let children = ["log_replicas", "herald", "json.info_abc", "info", "json.info_", "x_y", "__", "_"]
        #expect(GroupListing.hazards(children: children, lowestData: []).isEmpty)
    }

    static let readerCases: [([String], [String: [String]])] = [
        (["log_replicas", "json.info_0000000001", "json.info_0000000002"], [:]),
        (
            ["herald", "json.info_0000000002"],
            ["herald": ["older Herald", "--migrate", "pymesos", "whatever the candidates"]]
        ),
        (["zzz", "json.info_0000000006"], ["zzz": ["not a Mesos candidate", "whenever no json.info_ candidate"]]),
        (["zzz"], ["zzz": ["pymesos frameworks take it for the leader now"]]),
        (
            ["info_0000000009", "json.info_0000000004"],
            ["info_0000000009": ["protobuf info_", "whatever the candidates"]]
        ),
        (
            ["info_0000000001", "json.info_0000000004"],
            ["info_0000000001": ["protobuf info_", "mesos-go takes json.info_0000000004"]]
        ),
        (["0000000003", "json.info_0000000005"], ["0000000003": ["bare-number", "whatever the candidates"]]),
    ]

    @Test("children other readers mistake name the readers they break", arguments: readerCases)
    func readers(children: [String], expected: [String: [String]]) {
        let hazards = GroupListing(children: children).readerHazards
        #expect(Set(hazards.map(\.node)) == Set(expected.keys))
        for hazard in hazards {
            for fragment in expected[hazard.node] ?? [] {
                #expect(hazard.reason.contains(fragment), "\(hazard)")
            }
        }
    }

    @Test("pymesos takes the smallest name of all children but log_replicas")
    func pymesosRule() {
        #expect(
            GroupListing(children: ["log_replicas", "json.info_0000000007", "json.info_0000000004"]).pymesosChoice
                == "json.info_0000000004")
        #expect(GroupListing(children: ["json.info_0000000002", "herald"]).pymesosChoice == "herald")
        #expect(GroupListing(children: ["json.info_0000000002", "herald"]).leader(by: .pymesos) == nil)
        #expect(
            GroupListing(children: ["json.info_0000000004", "info_0000000009"]).leader(by: .pymesos)?.name
                == "info_0000000009")
        #expect(GroupListing(children: ["log_replicas"]).pymesosChoice == nil)
    }
}
