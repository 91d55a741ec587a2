import ElectionModel
import Logging
import MesosLayout

@testable import Election
@testable import ZooKeeper

/// Drives an `ElectionDriver` with a manual clock: no server, no tasks. Inputs are handed in as
/// the run loop would, at `now`; the events are collected in order.
struct DriverHarness {
    static let timeout = Duration.seconds(2)
    static let lease = timeout * ElectionDriver.leaseFraction
    static let ownSession: Int64 = 0x51
    static let otherSession: Int64 = 0x99
    static let me = ContenderID(1)
    static let myInfo = MasterInfo(id: "me", ipv4: "10.0.0.1", port: 5050, hostname: "m1", version: "1.11.0")
    static let otherInfo = MasterInfo(id: "other", ipv4: "10.0.0.2", port: 5050, hostname: "m2", version: "1.11.0")

    var driver: ElectionDriver
    var now: ContinuousClock.Instant
    var events: [ElectionEvent] = []

    init(required: Int = 1) {
        now = .now
        driver = ElectionDriver(
            configuration: ElectionGroup.Configuration(
                zooKeeper: ZooKeeperConfiguration(servers: "zk1:2181,zk2:2181", sessionTimeout: Self.timeout),
                basePath: "/mesos", required: required),
            logger: Logger(label: "driver-test"), now: now)
    }

    @discardableResult
    mutating func send(_ input: DriverInput) -> [Effect] {
        let effects = driver.handle(input, now: now)
        events += driver.takeEvents()
        return effects
    }

    mutating func advance(_ duration: Duration) { now += duration }

    /// The elected and demoted events so far, spelled for assertions.
    var decisions: [String] {
        events.compactMap {
            switch $0 {
            case .elected(_, let node, _): "elected \(node)"
            case .demoted(_, let reason): "demoted \(reason)"
            default: nil
            }
        }
    }

    static func name(_ sequence: Int) -> String {
        let digits = String(sequence)
        return "json.info_" + String(repeating: "0", count: 10 - digits.count) + digits
    }

    static func session(server: String = "zk1:2181") -> SessionInfo {
        SessionInfo(
            credentials: SessionCredentials(id: ownSession, password: []), negotiatedTimeout: timeout, server: server)
    }

    /// A read of members `(sequence, info, owner)`, sent at `sentAt`.
    static func result(_ members: [(Int, MasterInfo, Int64)], sentAt: ContinuousClock.Instant) -> ReadResult {
        var fetched: [String: GroupMembers.Entry] = [:]
        for (sequence, info, owner) in members {
            let czxid = Int64(100 + sequence)
            fetched[name(sequence)] = GroupMembers.Entry(
                data: info.encoded(), stat: Stat(czxid: czxid, mzxid: czxid, ephemeralOwner: owner))
        }
        return ReadResult(
            children: members.map { name($0.0) }, pzxid: Int64(100 + (members.map(\.0).max() ?? 0)), fetched: fetched,
            sentAt: sentAt)
    }

    static let both: [(Int, MasterInfo, Int64)] = [(1, otherInfo, otherSession), (2, myInfo, ownSession)]
    static let mineOnly: [(Int, MasterInfo, Int64)] = [(2, myInfo, ownSession)]

    /// Connected and contending with node 2; the first read shows `members` (sent now).
    mutating func setUp(_ members: [(Int, MasterInfo, Int64)]) {
        _ = driver.start(now: now)
        send(.contend(Self.me, Self.myInfo))
        send(.sessionOpened(generation: 1))
        send(.session(.connected(Self.session()), generation: 1))
        send(
            .created(
                Self.me, generation: 1, name: Self.name(2), stat: Stat(czxid: 102, ephemeralOwner: Self.ownSession)))
        send(.readDone(generation: 1, Self.result(members, sentAt: now)))
    }

    /// A heartbeat sent now, answered `after` later with the children watch intact.
    mutating func heartbeat(answeredAfter delay: Duration = .milliseconds(5)) {
        let sentAt = now
        advance(delay)
        send(.heartbeatDone(generation: 1, sentAt: sentAt, childrenIntact: true))
    }
}

extension [Effect] {
    var names: [String] { map(\.name) }

    func leaseTimer() -> ContinuousClock.Instant? {
        for effect in self { if case .leaseTimer(_, let at) = effect { return at } }
        return nil
    }
}
