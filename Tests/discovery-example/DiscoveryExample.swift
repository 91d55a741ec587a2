import Discovery

#if canImport(Glibc)
    import Glibc
#endif

/// `discovery-example [SOCKET]`: the smallest consumer of Herald on a follower host. It asks the
/// local socket for the current snapshot and prints the leader as `IP:PORT` (what mesos-resolve
/// prints); without a leader it prints the state and exits 1, without a socket it exits 3.
///
/// It links the `Discovery` library and nothing of the election's ZooKeeper side: DiscoveryTests
/// run it against a live server and check that it loads no ZooKeeper client library.
@main
struct DiscoveryExample {
    static func main() async {
        let path = CommandLine.arguments.dropFirst().first ?? DiscoveryServer.defaultSocketPath
        let client = DiscoveryClient(socketPath: path, timeout: .seconds(5))
        do {
            let snapshot = try await client.current()
            guard let leader = snapshot.leader else {
                print("no leader: \(snapshot.state.rawValue)")
                exit(1)
            }
            print(leader.hostPort)
        } catch {
            print("cannot ask Herald: \(error)")
            exit(error.isUnreachable ? 3 : 1)
        }
    }
}
