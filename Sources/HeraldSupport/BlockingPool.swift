public import NIOPosix

#if canImport(Glibc)
    import Glibc
#endif

/// Where every blocking call of the process runs: never on the cooperative pool, which has as
/// many threads as cores (two on a small host), and not on NIO's singleton pool either, where a
/// slow call would wait behind (or hold up) someone else's work.
///
/// The rule, by how long a call can block:
/// - Calls that end within a bounded time run on `shared`, four threads: the C client's
///   `zookeeper_init` (it resolves the server names), `zoo_set_servers` and `zookeeper_close`
///   (it flushes and joins the client's threads, and waits for an unreachable server). Four, so
///   that a close that hangs never holds up the next session's open.
/// - Calls that block for as long as someone else decides get a thread of their own
///   (`onOwnThread`): a hook's `posix_spawn`, its `waitid` and the reading of its output (until
///   the hook's timeout), the system resolver's `getaddrinfo` (its own timeouts). None of them
///   can hold a thread of `shared`, however many hooks hang or look-ups wait; each costs a thread
///   only while it runs. (A four-letter word needs none: it runs on NIO, `FourLetterWord`.)
public enum BlockingPool {
    /// Threads of `shared`.
    public static let threads = 4

    /// The pool for bounded blocking calls; started once, never shut down.
    public static let shared: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: threads)
        pool.start()
        return pool
    }()

    /// Runs `body` on a new thread of its own and returns its result. It always runs, even when
    /// the calling task is cancelled (a hook's process must be reaped), and cancellation takes
    /// effect only when it returns.
    public static func onOwnThread<Result: Sendable>(_ body: @escaping @Sendable () -> Result) async -> Result {
        await withCheckedContinuation { continuation in
            detach { continuation.resume(returning: body()) }
        }
    }

    /// A detached POSIX thread running `body`.
    private static func detach(_ body: @escaping @Sendable () -> Void) {
        let context = Unmanaged.passRetained(Body(body)).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(
            &thread, nil,
            { context in
                Unmanaged<Body>.fromOpaque(context!).takeRetainedValue().run()
                return nil
            }, context)
        precondition(rc == 0, "cannot start a thread for a blocking call: error \(rc)")
        pthread_detach(thread)
    }

    private final class Body: Sendable {
        let run: @Sendable () -> Void
        init(_ run: @escaping @Sendable () -> Void) { self.run = run }
    }
}
