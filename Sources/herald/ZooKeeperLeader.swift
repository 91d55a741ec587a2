import ArgumentParser
import Election
import ElectionModel
import HeraldSupport
import Logging
import MesosLayout
import ZooKeeper

/// `herald leader --zk`: the election read straight from ZooKeeper, for hosts without a local
/// Herald, with the observer's rules (lowest valid `json.info_` candidate, `--quorum`).
enum ZooKeeperLeader {
    /// One read now; with `wait`, an observer follows the group until it names a leader or
    /// `timeout` passes. Throws exit 3 when ZooKeeper cannot be reached at all.
    static func view(url: ZooKeeperURL, required: Int, wait: Bool, timeout: Duration) async throws -> ElectionView {
        // A one-shot command answers in one line (or one error line); the election's reports and
        // the C client's retry chatter would bury it.
        var logger = Logger(label: "herald.leader")
        logger.logLevel = .critical
        ZooKeeperClient.bootstrapLogging(logger)
        let configuration = ZooKeeperConfiguration(
            servers: url.connectString, sessionTimeout: .seconds(10), connectTimeout: timeout)
        guard wait else {
            let client: ZooKeeperClient
            do {
                client = try await ZooKeeperClient.connect(configuration, logger: logger)
            } catch {
                throw HeraldExit(
                    code: ExitCode(3), message: "leader: cannot reach ZooKeeper at \(url.connectString): \(error)")
            }
            do {
                let view = try await OneShotReader.view(client: client, basePath: url.path, required: required)
                await client.close()
                return view
            } catch {
                await client.close()
                throw HeraldExit(code: ExitCode(3), message: "leader: cannot read \(url.path): \(error)")
            }
        }
        let group = ElectionGroup(
            configuration: .init(zooKeeper: configuration, basePath: url.path, required: required), logger: logger)
        let events = group.events()
        let view = await withTaskGroup(of: ElectionView?.self) { tasks in
            tasks.addTask {
                await group.run()
                return nil
            }
            tasks.addTask {
                let view = try? await withTimeout(timeout) { () -> ElectionView? in
                    for await event in events {
                        if case .viewChanged(let view) = event, view.leader != nil, !view.stale { return view }
                    }
                    return nil
                }
                return view ?? nil
            }
            defer { tasks.cancelAll() }
            return await tasks.next() ?? nil
        }
        if let view { return view }
        let last = group.view
        guard group.statistics.reads > 0 else {
            throw HeraldExit(
                code: ExitCode(3), message: "leader: cannot reach ZooKeeper at \(url.connectString) within the timeout")
        }
        return last
    }
}
