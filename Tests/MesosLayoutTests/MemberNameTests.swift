import MesosLayout
import Testing

@Suite("Member names and the two leader rules")
struct MemberNameTests {
    static let members: [(String, String?, Int32)] = [
        ("json.info_0000000042", "json.info", 42),
        ("info_0000000007", "info", 7),
        ("0000000003", nil, 3),
        ("json.info_0000000000", "json.info", 0),
        ("json.info_2147483647", "json.info", .max),
        ("json.info_-000000005", "json.info", -5),
        ("json.info_-2147483648", "json.info", .min),
        ("json.info_5", "json.info", 5),
        ("a_b_0000000001", "a_b", 1),
        ("_0000000001", "", 1),
        ("foo_0000000009", "foo", 9),
        ("é_0000000002", "é", 2),
    ]

    @Test("[label_]digits names parse into label and signed 32-bit sequence", arguments: members)
    func parses(name: String, label: String?, sequence: Int32) throws {
        let member = try #require(MemberName(name))
        #expect(member.label == label)
        #expect(member.sequence == sequence)
        #expect(member.name == name)
        #expect(member.description == name)
        #expect(member.isJSONCandidate == (label == "json.info"))
    }

    @Test(
        "anything else is not a member",
        arguments: [
            "log_replicas", "herald", "json.info_abc", "json.info_", "json.info", "json.info_+5", "json.info_0x1F",
            "json.info_2147483648", "json.info_-2147483649", "json.info_ 5", "json.info_5 ", "", "-", "json.info_-",
            "json.info_--5", "json.info_5_", "json.info_٣", "json.info_１", "99999999999",
        ])
    func refuses(name: String) {
        #expect(MemberName(name) == nil)
    }

    @Test(
        "sequence suffixes are formatted as ZooKeeper's %010d",
        arguments: [
            (Int32(42), "0000000042"), (0, "0000000000"), (-5, "-000000005"), (.min, "-2147483648"),
            (.max, "2147483647"), (-1_000_000_000, "-1000000000"), (123_456_789, "0123456789"),
        ])
    func suffixes(sequence: Int32, text: String) throws {
        #expect(MemberName.zooKeeperSuffix(sequence) == text)
        let built = MemberName(label: "json.info", sequence: sequence)
        #expect(built.name == "json.info_" + text)
        #expect(MemberName(built.name) == built)
        #expect(try #require(MemberName(built.name)).sequence == sequence)
        #expect(MemberName(label: nil, sequence: sequence).name == text)
    }

    @Test("order is by sequence, negatives first, then by name bytes; equal only when names are")
    func ordering() throws {
        let names = ["json.info_0000000010", "0000000002", "json.info_-000000001", "info_0000000005", "x_0000000002"]
        let sorted = names.compactMap(MemberName.init).sorted().map(\.name)
        #expect(
            sorted == ["json.info_-000000001", "0000000002", "x_0000000002", "info_0000000005", "json.info_0000000010"])
        let a = try #require(MemberName("json.info_5"))
        let b = try #require(MemberName("json.info_0000000005"))
        #expect(a != b)
        #expect(a.sequence == b.sequence)
        #expect((a < b) != (b < a))
        #expect(Set([a, b, try #require(MemberName("json.info_5"))]).count == 2)
    }
}

@Suite("Group views: members, candidates, leaders")
struct GroupListingTests {
    static let mixed = [
        "log_replicas", "herald", "json.info_0000000012", "info_0000000003", "0000000001", "json.info_0000000007",
        "json.info_abc",
    ]

    @Test("mixed children split into sorted members and listed non-members")
    func splits() {
        let view = GroupListing(children: Self.mixed)
        #expect(
            view.members.map(\.name) == [
                "0000000001", "info_0000000003", "json.info_0000000007", "json.info_0000000012",
            ])
        #expect(view.nonMembers == ["log_replicas", "herald", "json.info_abc"])
        #expect(view.candidates.map(\.name) == ["json.info_0000000007", "json.info_0000000012"])
        #expect(view.children == Self.mixed)
    }

    static let rules: [([String], String?, String?)] = [
        (mixed, "0000000001", "json.info_0000000007"),
        (["info_0000000009", "info_0000000004", "0000000001"], "0000000001", "info_0000000004"),
        (["info_0000000001", "json.info_0000000002"], "info_0000000001", "json.info_0000000002"),
        (["foo_0000000001", "json.info_0000000003"], "foo_0000000001", "json.info_0000000003"),
        (["foo_0000000001", "0000000000"], "0000000000", nil),
        (["log_replicas", "herald"], nil, nil),
        ([], nil, nil),
        (["json.info_0000000005", "json.info_-000000003"], "json.info_-000000003", "json.info_0000000005"),
        (["json.info_-000000003"], "json.info_-000000003", nil),
        (["json.info_0000000010", "json.info_9"], "json.info_9", "json.info_9"),
        (["info_-000000001", "info_0000000002"], "info_-000000001", "info_0000000002"),
    ]

    @Test("Mesos ranks every numbered child; mesos-go only json.info_ then info_", arguments: rules)
    func leaders(children: [String], mesos: String?, mesosGo: String?) {
        let view = GroupListing(children: children)
        #expect(view.leader(by: .mesos)?.name == mesos)
        #expect(view.leader(by: .mesosGo)?.name == mesosGo)
    }

    @Test("the leader does not depend on the order ZooKeeper lists children in")
    func orderIndependent() {
        var random = SeededGenerator(seed: 7)
        for _ in 0..<200 {
            let shuffled = Self.mixed.shuffled(using: &random)
            let view = GroupListing(children: shuffled)
            #expect(view.leader(by: .mesos)?.name == "0000000001")
            #expect(view.leader(by: .mesosGo)?.name == "json.info_0000000007")
            #expect(view.members == GroupListing(children: Self.mixed).members)
        }
    }

    @Test("sequences from one parent counter are unique, so ranks never tie")
    func noTies() {
        var random = SeededGenerator(seed: 11)
        var counter: Int32 = .random(in: 0...1000, using: &random)
        var children: [String] = []
        for _ in 0..<300 {
            let label = ["json.info", "info", nil].randomElement(using: &random)!
            children.append(MemberName(label: label, sequence: counter).name)
            counter += Int32.random(in: 1...3, using: &random)
        }
        let view = GroupListing(children: children.shuffled(using: &random))
        let sequences = view.members.map(\.sequence)
        #expect(Set(sequences).count == sequences.count)
        #expect(sequences == sequences.sorted())
        for (lower, higher) in zip(view.members, view.members.dropFirst()) {
            #expect(lower < higher)
            #expect(!(higher < lower))
        }
    }

    @Test("Mesos' own lowest child can differ when foreign names use its looser number syntax")
    func mesosLowest() {
        let view = GroupListing(children: ["json.info_0000000005", "x_0x1", "y_+2", "log_replicas"])
        #expect(view.leader(by: .mesos)?.name == "json.info_0000000005")
        #expect(view.mesosLowestChild == "x_0x1")
        #expect(GroupListing(children: Self.mixed).mesosLowestChild == "0000000001")
        #expect(GroupListing(children: ["herald"]).mesosLowestChild == nil)
    }
}
