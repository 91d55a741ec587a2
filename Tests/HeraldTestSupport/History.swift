import Foundation
import NIOConcurrencyHelpers

#if canImport(Glibc)
    import Glibc
#endif

/// CLOCK_MONOTONIC in nanoseconds: the one clock every process of a scenario on this machine
/// shares, so hook runs, snapshots and the test's own faults can be put on one time line.
public enum Monotonic {
    public static func now() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
    }

    /// A small program, compiled once per test process with the system's C compiler, that
    /// appends `<CLOCK_MONOTONIC ns> ARGS…` as one line to stdout: hooks call it so that their
    /// stamps are taken by a process that starts in about a millisecond (a shell's `date` reads
    /// the wall clock, an interpreter starts too slowly to stamp a start time).
    public static func stampTool() throws -> String {
        try tool.withLockedValue { path in
            if let path { return path }
            let directory = NSTemporaryDirectory() + "herald-stamp-\(getpid())"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let source = directory + "/stamp.c"
            let binary = directory + "/stamp"
            try stampSource.write(toFile: source, atomically: true, encoding: .utf8)
            let compiler = ["/usr/bin/cc", "/usr/bin/gcc", "/opt/swift/usr/bin/clang"].first {
                FileManager.default.isExecutableFile(atPath: $0)
            }
            guard let compiler else { throw SetupError("no C compiler (cc, gcc or clang) to build the stamp tool") }
            let status = ChildProcess.stop(
                try ChildProcess.spawn(compiler, ["-O2", "-o", binary, source], output: directory + "/cc.log"),
                signal: nil)
            guard status == 0 else {
                let log = (try? String(contentsOfFile: directory + "/cc.log", encoding: .utf8)) ?? ""
                throw SetupError("cannot compile the stamp tool: \(log)")
            }
            // The compiler creates the file under the process' umask, which a socket test may have
            // narrowed for a moment (socket files are bound under a umask): set the mode itself.
            guard chmod(binary, 0o755) == 0 else { throw SetupError("cannot make the stamp tool executable") }
            path = binary
            return binary
        }
    }

    private static let tool = NIOLockedValueBox<String?>(nil)

    private static let stampSource = """
        #include <stdio.h>
        #include <string.h>
        #include <time.h>
        #include <unistd.h>
        int main(int argc, char **argv) {
            struct timespec t;
            clock_gettime(CLOCK_MONOTONIC, &t);
            char line[4096];
            int n = snprintf(line, sizeof line, "%lld", (long long)t.tv_sec * 1000000000LL + t.tv_nsec);
            for (int i = 1; i < argc && n < (int)sizeof line - 2; i++)
                n += snprintf(line + n, sizeof line - n, " %s", argv[i]);
            if (n > (int)sizeof line - 2) n = (int)sizeof line - 2;
            line[n++] = '\\n';
            return write(1, line, n) == n ? 0 : 1;
        }
        """
}

/// What the hooks of a scenario's hosts recorded, and the leadership invariant judged on it.
///
/// A host holds leadership from the start of its `on_elected` to the end of the `on_demoted`
/// that follows (for ever, if none follows). Two holdings of different hosts must never overlap.
public struct LeadershipHistory: Sendable {
    public struct Stamp: Hashable, Sendable {
        public var time: Int64
        public var host: String
        /// `elected`, `demoted-start`, `demoted`, …: the first word after the time.
        public var event: String
        public var epoch: String

        public init(time: Int64, host: String, event: String, epoch: String = "") {
            self.time = time
            self.host = host
            self.event = event
            self.epoch = epoch
        }
    }

    public struct Holding: Hashable, Sendable, CustomStringConvertible {
        public var host: String
        public var from: Int64
        public var until: Int64?
        public var epoch: String

        public var description: String {
            "\(host) (epoch \(epoch)) from \(from) until \(until.map(String.init) ?? "the end")"
        }
    }

    public var stamps: [Stamp]

    public init(stamps: [Stamp]) {
        self.stamps = stamps.sorted { $0.time < $1.time }
    }

    /// Reads lines `<ns> <event> <host> [epoch]` from `files`; unreadable files count as empty.
    public init(files: [String]) {
        var stamps: [Stamp] = []
        for file in files {
            let text = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
            for line in text.split(separator: "\n") {
                let fields = line.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
                guard fields.count >= 3, let time = Int64(fields[0]) else { continue }
                stamps.append(
                    Stamp(time: time, host: fields[2], event: fields[1], epoch: fields.count > 3 ? fields[3] : ""))
            }
        }
        self.init(stamps: stamps)
    }

    public func of(_ host: String, _ event: String) -> [Stamp] {
        stamps.filter { $0.host == host && $0.event == event }
    }

    /// Each host's holdings: an `elected` opens one, the next `demoted` closes it.
    public var holdings: [Holding] {
        var open: [String: Holding] = [:]
        var done: [Holding] = []
        for stamp in stamps {
            switch stamp.event {
            case "elected":
                if open[stamp.host] == nil {
                    open[stamp.host] = Holding(host: stamp.host, from: stamp.time, until: nil, epoch: stamp.epoch)
                }
            case "demoted":
                if var holding = open.removeValue(forKey: stamp.host) {
                    holding.until = stamp.time
                    done.append(holding)
                }
            default:
                break
            }
        }
        return (done + open.values).sorted { $0.from < $1.from }
    }

    /// Every pair of holdings of different hosts that overlap in time.
    public var overlaps: [(Holding, Holding)] {
        let all = holdings
        var found: [(Holding, Holding)] = []
        for (index, first) in all.enumerated() {
            for second in all[(index + 1)...] where second.host != first.host {
                if second.from < (first.until ?? .max) && first.from < (second.until ?? .max) {
                    found.append((first, second))
                }
            }
        }
        return found
    }
}
