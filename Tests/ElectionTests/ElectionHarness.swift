import Election
import ElectionModel
import Foundation
import HeraldTestSupport
import Logging
import MesosLayout
import NIOConcurrencyHelpers
import ZooKeeper

/// Election groups on a real ensemble, each test under its own base path.
enum ElectionHarness {
    /// A fresh base path, created (empty, world-open) before the groups start.
    static func freshBase(servers: String? = nil) async throws -> String {
        let base = "/herald-test-election/\(UUID().uuidString.prefix(8).lowercased())"
        try await withClient(servers: servers) { client in _ = try await client.ensurePath(base) }
        return base
    }

    static func group(
        base: String, required: Int, servers: String? = nil, sessionTimeout: Duration = .seconds(4)
    ) throws -> ElectionGroup {
        let zooKeeper = ZooKeeperConfiguration(
            servers: try servers ?? TestEnsemble.servers, sessionTimeout: sessionTimeout)
        return ElectionGroup(
            configuration: .init(
                zooKeeper: zooKeeper, basePath: base, required: required, retryDelay: .milliseconds(50)),
            logger: testLogger)
    }

    static func info(_ index: Int) -> MasterInfo {
        MasterInfo(
            id: UUID().uuidString.lowercased(), ipv4: "10.0.0.\(index % 250 + 1)", port: 5050 + index,
            hostname: "m\(index)", version: "1.11.0")
    }

    /// Runs every group while `body` runs; stops (cancels) them all afterwards.
    static func running<T: Sendable>(
        _ groups: [ElectionGroup], _ body: @Sendable () async throws -> T
    ) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { tasks in
            for group in groups {
                tasks.addTask {
                    await group.run(); return nil
                }
            }
            do {
                let result = try await body()
                tasks.cancelAll()
                return result
            } catch {
                tasks.cancelAll()
                throw error
            }
        }
    }

    /// Waits (bounded) until `group`'s published view satisfies `predicate`.
    @discardableResult
    static func view(
        of group: ElectionGroup, within limit: Duration = .seconds(20), _ what: String,
        _ predicate: @escaping @Sendable (ElectionView) -> Bool
    ) async throws -> ElectionView {
        let events = group.events()
        let now = group.view
        if predicate(now) { return now }
        return try await within(limit, what) {
            for await event in events {
                if case .viewChanged(let view) = event, predicate(view) { return view }
            }
            throw SetupError("the group stopped while waiting for \(what)")
        }
    }

    /// Waits (bounded) until `condition` holds, checking it after each of `group`'s events.
    static func until(
        _ group: ElectionGroup, within limit: Duration = .seconds(20), _ what: String,
        _ condition: @escaping @Sendable () -> Bool
    ) async throws {
        let events = group.events()
        if condition() { return }
        try await within(limit, what) {
            for await _ in events where condition() { return }
            throw SetupError("the group stopped while waiting for \(what)")
        }
    }

    /// Waits until every group reports the same elected leader; returns it.
    static func agreedLeader(
        _ groups: [ElectionGroup], within limit: Duration = .seconds(20), _ what: String,
        where predicate: @escaping @Sendable (Candidate) -> Bool = { _ in true }
    ) async throws -> Candidate {
        var leaders: [Candidate] = []
        for (index, group) in groups.enumerated() {
            let view = try await view(of: group, within: limit, "\(what) (group \(index))") {
                $0.state == .elected && !$0.stale && $0.leader.map(predicate) == true
            }
            leaders.append(view.leader!)
        }
        guard Set(leaders).count == 1 else {
            throw SetupError("groups disagree on the leader: \(leaders.map { "\($0.node)@\($0.epoch)" })")
        }
        return leaders[0]
    }
}

/// Every event of several groups, in the order received, with the receiving time.
final class EventLog: Sendable {
    struct Entry: Sendable {
        var group: Int
        var event: ElectionEvent
        var at: ContinuousClock.Instant
    }

    private let entries = NIOLockedValueBox<[Entry]>([])

    var all: [Entry] { entries.withLockedValue { $0 } }

    /// Starts recording `group`'s events under `label` (call before running it).
    func record(_ group: ElectionGroup, as label: Int) -> Task<Void, Never> {
        let events = group.events()
        return Task {
            for await event in events {
                entries.withLockedValue { $0.append(Entry(group: label, event: event, at: .now)) }
            }
        }
    }

    func elections(after start: Int = 0) -> [(group: Int, contender: ContenderID, epoch: Int64)] {
        all.dropFirst(start).compactMap {
            guard case .elected(let id, _, let epoch) = $0.event else { return nil }
            return ($0.group, id, epoch)
        }
    }
}
