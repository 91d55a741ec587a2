import Foundation
import HeraldService
import Logging
import MesosLayout
import ZooKeeper

#if canImport(Glibc)
    import Glibc
#endif

/// A pool of follower hosts in one process: `count` `FollowerDirectory` instances, each on a
/// session of its own, registering `PREFIX-i`. Prints `registered` once every node is there,
/// then runs until SIGTERM or SIGINT, and closes every session before it exits (so that the
/// nodes go at once, not a session timeout later).
enum Pool {
    static func run(
        servers: String, root: String, prefix: String, count: Int, lists: Bool, sessionTimeout: Duration
    ) async throws {
        let logger = {
            var logger = Logger(label: "pool")
            logger.logLevel = .critical
            return logger
        }()
        ZooKeeperClient.bootstrapLogging(logger)
        let paths = HeraldPaths(mesosBase: "/unused", root: root)
        let directories = (0..<count).map { index in
            FollowerDirectory(
                zooKeeper: .init(servers: servers, sessionTimeout: sessionTimeout), paths: paths,
                registration: .init(
                    hostname: "\(prefix)-\(index)", ip: "10.\(index / 65536 % 256).\(index / 256 % 256).\(index % 256)",
                    port: 5051, attributes: ["node_id:\(prefix)-\(index)"]),
                acl: ACL.openUnsafe, logger: logger, lists: lists)
        }
        let (stop, stopped) = AsyncStream<Void>.makeStream()
        signal(SIGTERM, SIG_IGN)
        signal(SIGINT, SIG_IGN)
        let sources = [SIGTERM, SIGINT].map { number in
            let source = DispatchSource.makeSignalSource(signal: number)
            source.setEventHandler { stopped.yield() }
            source.resume()
            return source
        }
        defer { sources.forEach { $0.cancel() } }
        await withTaskGroup(of: Void.self) { tasks in
            for directory in directories { tasks.addTask { await directory.run() } }
            tasks.addTask {
                // Registered when the directory lists every member of this pool.
                let probe = try? await ZooKeeperClient.connect(
                    .init(servers: servers, sessionTimeout: .seconds(30)), logger: logger)
                while let probe, !Task.isCancelled {
                    let children = (try? await probe.children(paths.followers).children) ?? []
                    if children.filter({ $0.hasPrefix(prefix + "-") }).count >= count {
                        FileHandle.standardOutput.write(Data("registered\n".utf8))
                        break
                    }
                    try? await Task.sleep(for: .milliseconds(200))
                }
                await probe?.close()
            }
            for await _ in stop { break }
            tasks.cancelAll()
        }
    }
}
