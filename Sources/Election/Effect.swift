import MesosLayout
import NIOConcurrencyHelpers
import ZooKeeper

/// The children watch of the last read the loop processed; read on the completion thread.
final class WatchBox: Sendable {
    private let watch = NIOLockedValueBox<Watch?>(nil)

    var current: Watch? {
        get { watch.withLockedValue { $0 } }
        set { watch.withLockedValue { $0 = newValue } }
    }
}

/// What the driver loop consumes, in order: its own requests' results, session events, calls.
enum DriverInput: Sendable {
    case openSession(generation: Int)
    case session(SessionEvent, generation: Int)
    case authenticated(generation: Int, error: ZooKeeperError?)
    case readDone(generation: Int, ReadResult)
    case readFailed(generation: Int, ZooKeeperError)
    case retryRead(generation: Int)
    case watchFired(generation: Int)
    case sessionTimer(generation: Int, disconnect: Int)
    case created(ContenderID, generation: Int, name: String, stat: Stat)
    case createFailed(ContenderID, generation: Int, error: ZooKeeperError)
    case retryCreate(ContenderID, generation: Int)
    case deleted(path: String, generation: Int, error: ZooKeeperError?)
    case contend(ContenderID, MasterInfo)
    case abdicate(ContenderID, CheckedContinuation<Void, Never>)
    case setServers(String)
    case heartbeatDone(generation: Int, sentAt: ContinuousClock.Instant)
    /// The node just below one of this process' contenders was deleted; `exact` when the children
    /// watch had not fired before (the last read is then exact but for this node).
    case predecessorGone(generation: Int, name: String, exact: Bool)
    case leaseCheck(generation: Int)
}

/// A read of the base path: the listing, and the gets of members not known yet.
struct ReadResult: Sendable {
    var children: [String]
    var pzxid: Int64
    /// Gets of the numbered children that were not in the cache (vanished ones are absent).
    var fetched: [String: GroupRead.Entry]
    /// The watch left by this read (children, or existence of a missing base path).
    var watch: Watch?
    /// When the listing was sent: the server heard from the session after this.
    var sentAt: ContinuousClock.Instant = .now
}

/// What a contender's create needs; `findFirst` after an ambiguous failure in this session.
struct CreateRequest: Sendable {
    var basePath: String
    var data: [UInt8]
    var acl: [ACL]
    var marker: String
    var sessionID: Int64
    var findFirst: Bool
    /// MasterInfo ids of members already read, to skip their gets.
    var knownIDs: [String: String]
}

/// One ZooKeeper request (or wait) the driver asked for; runs as a child task of `run()` and
/// posts its outcome back to the loop. Never decides anything.
enum Effect: Sendable {
    case openSession(generation: Int, after: Duration)
    case forwardSessionEvents(AsyncStream<SessionEvent>, generation: Int)
    case authenticate(ZooKeeperClient, generation: Int, credential: [UInt8])
    case read(ZooKeeperClient, generation: Int, basePath: String, watch: Bool, known: Set<String>)
    case awaitWatch(Watch, generation: Int)
    case retryRead(generation: Int, after: Duration)
    case sessionTimer(Duration, generation: Int, disconnect: Int)
    case create(ContenderID, ZooKeeperClient, generation: Int, CreateRequest)
    case retryCreate(ContenderID, generation: Int, after: Duration)
    case delete(ZooKeeperClient, generation: Int, path: String)
    case close(ZooKeeperClient)
    case resume(CheckedContinuation<Void, Never>)
    /// A cheap request that proves the session alive (renews the leaders' lease).
    case heartbeat(ZooKeeperClient, generation: Int, path: String, after: Duration)
    case leaseTimer(generation: Int, at: ContinuousClock.Instant)
    /// An exists watch on the node just below a contender, compared against the children watch.
    case watchPredecessor(ZooKeeperClient, generation: Int, path: String, name: String, children: WatchBox)

    typealias Count = @Sendable ((inout ElectionGroup.Statistics) -> Void) -> Void

    func perform(post: AsyncStream<DriverInput>.Continuation, count: @escaping Count) async {
        switch self {
        case .openSession(let generation, let delay):
            if delay > .zero {
                guard (try? await Task.sleep(for: delay)) != nil else { return }
            }
            post.yield(.openSession(generation: generation))
        case .forwardSessionEvents(let events, let generation):
            for await event in events { post.yield(.session(event, generation: generation)) }
        case .authenticate(let client, let generation, let credential):
            count { $0.requests += 1 }
            do {
                try await client.addAuth(scheme: "digest", credential: credential)
                post.yield(.authenticated(generation: generation, error: nil))
            } catch {
                post.yield(.authenticated(generation: generation, error: Self.zooKeeperError(error, "add auth")))
            }
        case .read(let client, let generation, let basePath, let watch, let known):
            do {
                let result = try await Self.read(client, basePath: basePath, watch: watch, known: known, count: count)
                post.yield(.readDone(generation: generation, result))
            } catch {
                post.yield(.readFailed(generation: generation, Self.zooKeeperError(error, "read \(basePath)")))
            }
        case .awaitWatch(let watch, let generation):
            // Handed on from the completion thread, so watch events reach the loop in server order.
            watch.onFire { result in
                guard case .success = result else { return }
                count { $0.watchEvents += 1 }
                post.yield(.watchFired(generation: generation))
            }
        case .watchPredecessor(let client, let generation, let path, let name, let children):
            count { $0.requests += 1 }
            guard let (stat, watch) = try? await client.existsAndWatch(path) else { return }
            guard stat != nil else {
                post.yield(.predecessorGone(generation: generation, name: name, exact: false))
                return
            }
            count { $0.predecessorWatches += 1 }
            watch.onFire { result in
                guard case .success(let event) = result, event.kind == .deleted else { return }
                // The server sends a node's NodeDeleted before its parent's NodeChildrenChanged:
                // if the children watch has not fired yet, nothing else changed since the last read.
                let exact = children.current.map { !$0.hasFired } ?? false
                count { $0.watchEvents += 1 }
                post.yield(.predecessorGone(generation: generation, name: name, exact: exact))
            }
        case .retryRead(let generation, let delay):
            guard (try? await Task.sleep(for: delay)) != nil else { return }
            post.yield(.retryRead(generation: generation))
        case .sessionTimer(let delay, let generation, let disconnect):
            guard (try? await Task.sleep(for: delay)) != nil else { return }
            post.yield(.sessionTimer(generation: generation, disconnect: disconnect))
        case .create(let contender, let client, let generation, let request):
            do {
                let (name, stat) = try await Self.findOrCreate(client, request, count: count)
                post.yield(.created(contender, generation: generation, name: name, stat: stat))
            } catch {
                post.yield(
                    .createFailed(contender, generation: generation, error: Self.zooKeeperError(error, "create")))
            }
        case .retryCreate(let contender, let generation, let delay):
            guard (try? await Task.sleep(for: delay)) != nil else { return }
            post.yield(.retryCreate(contender, generation: generation))
        case .delete(let client, let generation, let path):
            count { $0.requests += 1 }
            do {
                try await client.delete(path)
                post.yield(.deleted(path: path, generation: generation, error: nil))
            } catch {
                let failure = Self.zooKeeperError(error, "delete")
                post.yield(.deleted(path: path, generation: generation, error: failure.code == .noNode ? nil : failure))
            }
        case .close(let client):
            await client.close()
        case .resume(let continuation):
            continuation.resume()
        case .heartbeat(let client, let generation, let path, let delay):
            guard (try? await Task.sleep(for: delay)) != nil else { return }
            let sentAt = ContinuousClock.now
            count { $0.heartbeats += 1 }
            // Any reply proves the session was alive when the request left.
            guard (try? await client.exists(path)) != nil else { return }
            post.yield(.heartbeatDone(generation: generation, sentAt: sentAt))
        case .leaseTimer(let generation, let deadline):
            guard (try? await Task.sleep(until: deadline, clock: .continuous)) != nil else { return }
            post.yield(.leaseCheck(generation: generation))
        }
    }

    static func zooKeeperError(_ error: any Error, _ operation: String) -> ZooKeeperError {
        (error as? ZooKeeperError) ?? ZooKeeperError(.systemError, operation: "\(operation): \(error)")
    }

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
            return ReadResult(children: [], pzxid: 0, fetched: [:], watch: existence)
        }
        let unknown = children.filter { MemberName($0) != nil && !known.contains($0) }
        let fetched = try await fetch(client, basePath: basePath, names: unknown, count: count)
        return ReadResult(children: children, pzxid: pzxid, fetched: fetched, watch: left, sentAt: sentAt)
    }

    /// Plain gets of `names` (no data watch: the Mesos detector rule); a node that vanished is
    /// left out.
    static func fetch(
        _ client: ZooKeeperClient, basePath: String, names: [String], count: Count
    ) async throws -> [String: GroupRead.Entry] {
        guard !names.isEmpty else { return [:] }
        count { $0.requests += names.count }
        return try await withThrowingTaskGroup(of: (String, GroupRead.Entry?).self) { group in
            for name in names {
                group.addTask {
                    do {
                        let (data, stat) = try await client.get(GroupRead.join(basePath, name))
                        return (name, GroupRead.Entry(data: data, stat: stat))
                    } catch let error as ZooKeeperError where error.code == .noNode {
                        return (name, nil)
                    }
                }
            }
            var entries: [String: GroupRead.Entry] = [:]
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
                return (name, entry.stat)
            }
        }
        let prefix = GroupRead.join(request.basePath, MemberName.jsonLabel + "_")
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
