import NIOPosix

/// The threads the C client's blocking calls run on: `zookeeper_init` (it resolves the server
/// names and starts two threads) and `zookeeper_close` (it flushes and joins them). Never the
/// cooperative pool, which has as many threads as cores (two on a small host), and not NIO's
/// shared blocking pool either, where a slow close would wait behind (or hold up) someone
/// else's work. Four threads: a close that waits for an unreachable server never holds up the
/// next session's open.
enum BlockingPool {
    static let shared: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 4)
        pool.start()
        return pool
    }()
}
