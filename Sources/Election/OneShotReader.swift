public import ElectionModel
import MesosLayout
public import ZooKeeper

/// One-shot reads of the election group, for hosts without a running Herald (`herald leader
/// --zk`): the same rules as the observer (lowest valid `json.info_` candidate, quorum, invalid
/// members skipped), without watches.
public enum OneShotReader {
    /// The view of the group under `basePath`, read on `client` (which must be connected). A
    /// missing base path reads as an empty group.
    public static func view(client: ZooKeeperClient, basePath: String, required: Int) async throws -> ElectionView {
        var observer = ObserverState(required: required, sessionTimeout: client.configuration.sessionTimeout)
        let session = client.session
        _ = observer.handle(
            .connected(
                server: session?.server,
                sessionTimeout: session?.negotiatedTimeout ?? client.configuration.sessionTimeout,
                sessionID: session?.id ?? 0))
        _ = observer.handle(.read(try await read(client: client, basePath: basePath)))
        return observer.view
    }

    /// The children of `basePath` and plain gets of its numbered children.
    public static func read(client: ZooKeeperClient, basePath: String) async throws -> GroupMembers {
        let listing: (children: [String], stat: Stat)
        do {
            listing = try await client.children(basePath)
        } catch let error as ZooKeeperError where error.code == .noNode {
            return GroupMembers(basePath: basePath, children: [], entries: [:])
        }
        let numbered = listing.children.filter { MemberName($0) != nil }
        let entries = try await Effect.fetch(client, basePath: basePath, names: numbered) { _ in }
        return GroupMembers(basePath: basePath, children: listing.children, pzxid: listing.stat.pzxid, entries: entries)
    }
}
