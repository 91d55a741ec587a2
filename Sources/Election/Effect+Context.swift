import Logging
import ZooKeeper

extension Effect {
    /// The environment effects run in: where outcomes go, the clients, the counters.
    struct Context: Sendable {
        var post: AsyncStream<DriverInput>.Continuation
        var sessions: SessionTable
        var zooKeeper: @Sendable () -> ZooKeeperConfiguration
        var logger: Logger
        var count: Count
    }
}
