public import Election
public import ElectionModel
import MesosLayout

#if canImport(Glibc)
    import Glibc
#endif

/// The line protocol of the election processes that tests and benchmarks run as children
/// (`Benchmarks/election/PROTOCOL.md`): `<CLOCK_MONOTONIC ns> <event>` on stdout, one `write(2)`
/// per line, so the lines stay whole in a shared file and compare across processes.
public enum ContenderLines {
    public static func emit(_ line: String) {
        let bytes = Array("\(monotonicNanoseconds()) \(line)\n".utf8)
        _ = bytes.withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
    }

    /// `elected NAME`, `demoted NAME` and `leader NAME|-`; other events print nothing.
    public static func emit(_ event: ElectionEvent, names: [ContenderID: String]) {
        switch event {
        case .elected(let id, _, _):
            emit("elected \(names[id] ?? "?")")
        case .demoted(let id, _):
            emit("demoted \(names[id] ?? "?")")
        case .leaderChanged(_, let leader):
            emit("leader \(leader?.info.hostname ?? "-")")
        default:
            break
        }
    }

    /// `lead NAME 0|1` each time a contender's own belief changes: `leaderEpoch`, which honours
    /// the lease, is what an application would act on. After a gap of more than five intervals
    /// (the process was stopped), the first poll is printed even when unchanged: what the process
    /// believed the moment it ran again.
    public static func pollBeliefs(
        _ group: ElectionGroup, _ names: [ContenderID: String], every interval: Duration
    ) async {
        var believed: [ContenderID: Bool] = [:]
        var last = ContinuousClock.now
        while !Task.isCancelled {
            let resumed = ContinuousClock.now - last > interval * 5
            for (id, name) in names {
                let now = group.leaderEpoch(id) != nil
                if believed[id, default: false] != now || (resumed && now) {
                    believed[id] = now
                    emit("lead \(name) \(now ? 1 : 0)")
                }
            }
            last = ContinuousClock.now
            try? await Task.sleep(for: interval)
        }
    }

    /// CLOCK_MONOTONIC in nanoseconds: the clock of the lines above, of Python's
    /// `time.monotonic_ns` and of Java's `System.nanoTime` on Linux.
    public static func monotonicNanoseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }
}
