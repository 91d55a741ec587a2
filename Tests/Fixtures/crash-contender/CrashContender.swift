import Election
import HeraldTestSupport
import Logging
import MesosLayout
import ZooKeeper

#if canImport(Glibc)
    import Glibc
#endif

/// One contender in a process of its own, for the tests that kill or stop a leader process
/// (`ElectionCrashTests`): it contends once and prints its events and beliefs in the line
/// protocol of `ContenderLines` until it is killed.
///
///     crash-contender SERVERS BASE SESSION_TIMEOUT_MS NAME
@main
enum CrashContender {
    static func main() async throws {
        let arguments = CommandLine.arguments.dropFirst()
        guard arguments.count == 4, let timeoutMs = Int(arguments[arguments.startIndex + 2]) else {
            print("usage: crash-contender SERVERS BASE SESSION_TIMEOUT_MS NAME")
            exit(2)
        }
        let servers = arguments[arguments.startIndex]
        let base = arguments[arguments.startIndex + 1]
        let name = arguments[arguments.startIndex + 3]
        var logger = Logger(label: "crash-contender")
        logger.logLevel = .warning
        ZooKeeperClient.bootstrapLogging(logger)
        let group = ElectionGroup(
            configuration: .init(
                zooKeeper: ZooKeeperConfiguration(servers: servers, sessionTimeout: .milliseconds(timeoutMs)),
                basePath: base, required: 1),
            logger: logger)
        let events = group.events()
        let id = group.contend(
            MasterInfo(id: "crash-\(name)", ipv4: "10.0.0.1", port: 5050, hostname: name, version: nil))
        let names = [id: name]
        ContenderLines.emit("ready")
        await withTaskGroup(of: Void.self) { tasks in
            tasks.addTask { await group.run() }
            tasks.addTask {
                for await event in events { ContenderLines.emit(event, names: names) }
            }
            tasks.addTask { await ContenderLines.pollBeliefs(group, names, every: .milliseconds(1)) }
        }
    }
}
