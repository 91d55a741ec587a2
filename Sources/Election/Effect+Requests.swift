import ElectionModel
import MesosLayout
import ZooKeeper

/// The requests behind `Effect.read` and `Effect.create`.
extension Effect {
    /// Lists the base path (leaving a watch when asked) and gets the members not in `known`,
    /// concurrently. A missing base path leaves an existence watch instead: its creation wakes
    /// the reader.
    static func read(
        _ client: ZooKeeperClient, basePath: String, watch: Bool, known: Set<String>, count: Count
    ) async throws -> ReadResult {
        count {
            $0.requests += 1
            $0.reads += 1
        }
        let sentAt = ContinuousClock.now
        let children: [String]
        let pzxid: Int64
        var left: Watch?
        do {
            if watch {
                let listing = try await client.childrenAndWatch(basePath)
                (children, pzxid, left) = (listing.children, listing.stat.pzxid, listing.watch)
            } else {
                let listing = try await client.children(basePath)
                (children, pzxid) = (listing.children, listing.stat.pzxid)
            }
        } catch let error as ZooKeeperError where error.code == .noNode {
            count { $0.requests += 1 }
            let (stat, existence) = try await client.existsAndWatch(basePath)
            guard stat == nil else {
                // Created in between: its existence watch only fires on a later change.
                return try await read(client, basePath: basePath, watch: watch, known: known, count: count)
            }
            return ReadResult(children: [], pzxid: 0, fetched: [:], watch: existence, sentAt: sentAt)
        }
        let unknown = children.filter { MemberName($0) != nil && !known.contains($0) }
        let fetched = try await fetch(client, basePath: basePath, names: unknown, count: count)
        return ReadResult(children: children, pzxid: pzxid, fetched: fetched, watch: left, sentAt: sentAt)
    }

    /// Plain gets of `names` (no data watch: the Mesos detector rule); a node that vanished is
    /// left out.
    static func fetch(
        _ client: ZooKeeperClient, basePath: String, names: [String], count: Count
    ) async throws -> [String: GroupMembers.Entry] {
        guard !names.isEmpty else { return [:] }
        count { $0.requests += names.count }
        return try await withThrowingTaskGroup(of: (String, GroupMembers.Entry?).self) { group in
            for name in names {
                group.addTask {
                    do {
                        let (data, stat) = try await client.get(GroupMembers.join(basePath, name))
                        return (name, GroupMembers.Entry(data: data, stat: stat))
                    } catch let error as ZooKeeperError where error.code == .noNode {
                        return (name, nil)
                    }
                }
            }
            var entries: [String: GroupMembers.Entry] = [:]
            for try await (name, entry) in group {
                if let entry { entries[name] = entry }
            }
            return entries
        }
    }

    /// Finds the node this contender made in this session (after a create whose reply was lost),
    /// else creates one; creates the base path first when it is missing.
    static func findOrCreate(
        _ client: ZooKeeperClient, _ request: CreateRequest, count: Count
    ) async throws -> (name: String, stat: Stat) {
        if request.findFirst {
            count { $0.requests += 1 }
            let (children, _) = try await client.children(request.basePath)
            let unknown = children.filter {
                guard let member = MemberName($0), member.isJSONCandidate else { return false }
                return request.knownIDs[$0] == nil || request.knownIDs[$0] == request.marker
            }
            let entries = try await fetch(client, basePath: request.basePath, names: unknown, count: count)
            for (name, entry) in entries.sorted(by: { $0.key < $1.key })
            where entry.stat.ephemeralOwner == request.sessionID
                && (try? MasterInfo.decode(entry.data))?.id == request.marker
            {
                // The driver takes the epoch and the owner from the Stat: all a member keeps of it.
                return (name, Stat(czxid: entry.stat.czxid, ephemeralOwner: entry.stat.ephemeralOwner))
            }
        }
        let prefix = GroupMembers.join(request.basePath, MemberName.jsonLabel + "_")
        count { $0.requests += 1 }
        let created: (path: String, stat: Stat)
        do {
            created = try await client.create(prefix, data: request.data, mode: .ephemeralSequential, acl: request.acl)
        } catch let error as ZooKeeperError where error.code == .noNode {
            count { $0.requests += 2 }
            _ = try await client.ensurePath(request.basePath, acl: request.acl)
            created = try await client.create(prefix, data: request.data, mode: .ephemeralSequential, acl: request.acl)
        }
        let name = created.path.split(separator: "/").last.map(String.init) ?? created.path
        return (name, created.stat)
    }
}
