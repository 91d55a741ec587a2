import Foundation

/// The merged history of one fault scenario: one line per event, CLOCK_MONOTONIC nanoseconds
/// first, then the host it happened on (`test` for the scenario itself), the kind and
/// `key=value` fields:
///
///     <ns> <host> hook event=elected|demoted phase=start|end epoch=E
///     <ns> <host> snapshot rev=R state=S leader=H|- epoch=E|- stale=0|1 role=R zk=STATE
///     <ns> <host> process what=started|frozen|thawed|killed|stopped|exited [status=N]
///     <ns> <host> rss kb=N
///     <ns> <host> alive ok=0|1
///     <ns> test fault what=TEXT   /   <ns> test heal
///     <ns> test truth leader=H|- epoch=E|-
///     <ns> test ephemerals count=N [paths=…]
///
/// Snapshot times are the times a watcher received them: the host showed that snapshot then.
public struct FaultHistory: Sendable {
    public struct Event: Hashable, Sendable, CustomStringConvertible {
        public var time: Int64
        public var host: String
        public var kind: String
        public var fields: [String: String]

        public init(time: Int64, host: String, kind: String, fields: [String: String] = [:]) {
            self.time = time
            self.host = host
            self.kind = kind
            self.fields = fields
        }

        public subscript(_ key: String) -> String? { fields[key] }

        public var line: String {
            ([String(time), host, kind] + fields.keys.sorted().map { "\($0)=\(fields[$0]!)" })
                .joined(separator: " ")
        }

        public var description: String { line }

        /// Parses one line; nil for a line that is not an event.
        public init?(line: Substring) {
            let words = line.split(separator: " ")
            guard words.count >= 3, let time = Int64(words[0]) else { return nil }
            var fields: [String: String] = [:]
            for word in words.dropFirst(3) {
                guard let equals = word.firstIndex(of: "=") else { return nil }
                fields[String(word[..<equals])] = String(word[word.index(after: equals)...])
            }
            self.init(time: time, host: String(words[1]), kind: String(words[2]), fields: fields)
        }
    }

    public private(set) var events: [Event]

    public init(events: [Event]) {
        // Stable by time: events of one host keep the order they were recorded in.
        self.events = events.enumerated().sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }
            .map(\.element)
    }

    public init(text: String) {
        self.init(events: text.split(separator: "\n").compactMap { Event(line: $0) })
    }

    public var text: String { events.map(\.line).joined(separator: "\n") + "\n" }

    /// The hosts that ran Herald (everything but `test`).
    public var hosts: [String] { Array(Set(events.map(\.host)).subtracting(["test"])).sorted() }

    // MARK: The rules

    /// What the checker is told about a scenario.
    public struct Rules: Sendable {
        /// Every socket must agree with the truth within this long after the last heal.
        public var convergence: Int64
        /// A host resumed after a freeze must start `on_demoted` within this long; until then its
        /// hook holding counts as ended at the resume.
        public var resumeGrace: Int64
        /// The largest resident set any process may reach, in KiB.
        public var maximumRSSKiB: Int
        /// Hosts whose leader must be the truth at the end (all by default).
        public var judged: Set<String>?

        public init(
            convergence: Int64, resumeGrace: Int64 = 200_000_000, maximumRSSKiB: Int = 256 * 1024,
            judged: Set<String>? = nil
        ) {
            self.convergence = convergence
            self.resumeGrace = resumeGrace
            self.maximumRSSKiB = maximumRSSKiB
            self.judged = judged
        }
    }

    public struct Violation: Hashable, Sendable, CustomStringConvertible {
        public var invariant: Int
        public var description: String
    }

    /// A span of time during which a host held leadership, and why.
    public struct Holding: Hashable, Sendable, CustomStringConvertible {
        public var host: String
        public var from: Int64
        public var until: Int64
        public var why: String

        public var description: String {
            "\(host) \(why) from \(from) until \(until == .max ? "the end" : String(until))"
        }
    }

    /// Every invariant judged on the whole history; empty when all hold.
    public func check(_ rules: Rules) -> [Violation] {
        overlapping(rules) + epochsBackwards() + unconverged(rules) + unhealthy(rules) + leftovers()
    }

    /// The worst time after the last heal (or the start) until a judged socket agreed with the
    /// truth for good, in nanoseconds; nil when some socket never did.
    public func convergence(_ rules: Rules) -> Int64? {
        var worst: Int64 = 0
        for host in judgedHosts(rules) {
            guard let time = agreedSince(host) else { return nil }
            worst = max(worst, time - healedAt)
        }
        return worst
    }

    // MARK: 1. One leader at a time

    /// A host's holdings. Hooks: from the start of `on_elected` to the end of the `on_demoted`
    /// after it. Socket: from a snapshot claiming the host leads (its own role is leader, or it
    /// names itself leader and is not stale) to the next snapshot that does not. A frozen or
    /// dead process acts on nothing: holdings pause at `frozen` and end at `killed`/`exited`.
    /// A resumed host has `resumeGrace` to start `on_demoted`; if it does, its hook holding
    /// ends at the resume.
    public func holdings(_ rules: Rules) -> [Holding] {
        var found: [Holding] = []
        for host in hosts {
            found += holdings(of: host, rules)
        }
        return found.sorted { ($0.from, $0.host) < ($1.from, $1.host) }
    }

    private func holdings(of host: String, _ rules: Rules) -> [Holding] {
        let own = events.filter { $0.host == host }
        var found: [Holding] = []
        var hookHeld: String?  // the epoch of the on_elected that has not been undone
        var hookFrom: Int64?
        var socketFrom: Int64?
        var frozen = false
        func close(_ start: inout Int64?, _ end: Int64, _ why: String) {
            if let from = start, end > from { found.append(Holding(host: host, from: from, until: end, why: why)) }
            start = nil
        }
        func hookWhy() -> String { "ran on_elected (epoch \(hookHeld ?? "?"))" }
        for (index, event) in own.enumerated() {
            switch (event.kind, event["what"] ?? event["event"] ?? "", event["phase"] ?? "") {
            case ("hook", "elected", "start"):
                if hookHeld == nil {
                    hookHeld = event["epoch"] ?? "?"
                    if !frozen { hookFrom = event.time }
                }
            case ("hook", "demoted", "end"):
                close(&hookFrom, event.time, hookWhy())
                hookHeld = nil
            case ("snapshot", _, _):
                if !Self.claims(event, host: host) {
                    close(&socketFrom, event.time, "socket claimed to lead")
                } else if socketFrom == nil, !frozen {
                    socketFrom = event.time
                }
            case ("process", "frozen", _):
                frozen = true
                close(&hookFrom, event.time, hookWhy())
                // What it pushed before the freeze is not shown again: the next push decides.
                close(&socketFrom, event.time, "socket claimed to lead")
            case ("process", "thawed", _):
                frozen = false
                guard hookHeld != nil else { break }
                let demoted = own[(index + 1)...].first {
                    $0.kind == "hook" && $0["event"] == "demoted" && $0["phase"] == "start"
                }
                if let demoted, demoted.time - event.time <= rules.resumeGrace {
                    hookHeld = nil  // demoted promptly: the holding ended with the freeze
                } else {
                    hookFrom = event.time
                }
            case ("process", "killed", _), ("process", "exited", _), ("process", "stopped", _):
                close(&hookFrom, event.time, hookWhy())
                close(&socketFrom, event.time, "socket claimed to lead")
                hookHeld = nil
            default:
                break
            }
        }
        close(&hookFrom, .max, hookWhy())
        close(&socketFrom, .max, "socket claimed to lead")
        return found
    }

    static func claims(_ snapshot: Event, host: String) -> Bool {
        snapshot["role"] == "leader" || (snapshot["leader"] == host && snapshot["stale"] == "0")
    }

    /// Each host's holdings merged where they overlap (its hooks and its socket together).
    public func mergedHoldings(_ rules: Rules) -> [Holding] {
        var merged: [Holding] = []
        for holding in holdings(rules) {
            if let index = merged.lastIndex(where: { $0.host == holding.host }), merged[index].until >= holding.from {
                merged[index].until = max(merged[index].until, holding.until)
                if !merged[index].why.contains(holding.why) { merged[index].why += " and " + holding.why }
            } else {
                merged.append(holding)
            }
        }
        return merged
    }

    private func overlapping(_ rules: Rules) -> [Violation] {
        let all = mergedHoldings(rules)
        var found: [Violation] = []
        for (index, first) in all.enumerated() {
            for second in all[(index + 1)...] where second.host != first.host {
                guard second.from < first.until, first.from < second.until else { continue }
                let from = max(first.from, second.from)
                let until = min(first.until, second.until)
                found.append(
                    Violation(
                        invariant: 1,
                        description: """
                            two leaders from \(from) until \(until == .max ? "the end" : String(until)) \
                            (\(until == .max ? "open" : "\((until - from) / 1_000_000) ms")): \(first); \(second)
                            """))
            }
        }
        return found
    }

    // MARK: 2. Epochs never go backwards on a socket

    private func epochsBackwards() -> [Violation] {
        var found: [Violation] = []
        for host in hosts {
            var last: (epoch: Int64, time: Int64)?
            for event in events where event.host == host && event.kind == "snapshot" {
                guard let epoch = event["epoch"].flatMap({ Int64($0) }) else { continue }
                if let last, epoch < last.epoch {
                    found.append(
                        Violation(
                            invariant: 2,
                            description:
                                "\(host)'s socket went from epoch \(last.epoch) (at \(last.time)) back to \(epoch) at \(event.time)"
                        ))
                }
                last = (epoch, event.time)
            }
        }
        return found
    }

    // MARK: 3. Convergence after the fault

    /// The last heal, or the first event when the scenario has no heal.
    public var healedAt: Int64 {
        events.last { $0.host == "test" && $0.kind == "heal" }?.time ?? events.first?.time ?? 0
    }

    public var truth: Event? { events.last { $0.host == "test" && $0.kind == "truth" } }

    /// The hosts whose sockets must agree: those with snapshots that were running when the
    /// truth was read (a host killed or stopped and not started again is not judged).
    private func judgedHosts(_ rules: Rules) -> [String] {
        let truthTime = truth?.time ?? .max
        return hosts.filter { host in
            let last = events.last { $0.host == host && $0.kind == "process" && $0.time <= truthTime }
            return (rules.judged?.contains(host) ?? true) && last?["what"] != "killed" && last?["what"] != "stopped"
                && events.contains { $0.host == host && $0.kind == "snapshot" }
        }
    }

    /// When `host`'s socket last started agreeing with the truth (and agreed until its last
    /// snapshot before the truth was read); nil if its last snapshot disagrees.
    private func agreedSince(_ host: String) -> Int64? {
        guard let truth else { return nil }
        let snapshots = events.filter { $0.host == host && $0.kind == "snapshot" && $0.time <= truth.time }
        var since: Int64?
        for snapshot in snapshots {
            let agrees =
                truth["leader"] == "-"
                ? snapshot["leader"] == "-"
                : snapshot["state"] == "elected" && snapshot["stale"] == "0"
                    && snapshot["leader"] == truth["leader"] && snapshot["epoch"] == truth["epoch"]
            if agrees {
                if since == nil { since = snapshot.time }
            } else {
                since = nil
            }
        }
        return since
    }

    private func unconverged(_ rules: Rules) -> [Violation] {
        guard let truth else {
            return [Violation(invariant: 3, description: "no ZooKeeper truth was recorded")]
        }
        var found: [Violation] = []
        for host in judgedHosts(rules) {
            let last = events.last { $0.host == host && $0.kind == "snapshot" && $0.time <= truth.time }
            guard let since = agreedSince(host) else {
                found.append(
                    Violation(
                        invariant: 3,
                        description: """
                            \(host)'s socket never agreed with ZooKeeper (leader \(truth["leader"] ?? "?") \
                            epoch \(truth["epoch"] ?? "?")): its last snapshot was \(last?.line ?? "none")
                            """))
                continue
            }
            let took = since - healedAt
            if took > rules.convergence {
                found.append(
                    Violation(
                        invariant: 3,
                        description:
                            "\(host)'s socket agreed with ZooKeeper \(took / 1_000_000) ms after the heal (bound \(rules.convergence / 1_000_000) ms)"
                    ))
            }
        }
        return found
    }

    // MARK: 4. No crash, no hang, bounded memory

    private func unhealthy(_ rules: Rules) -> [Violation] {
        var found: [Violation] = []
        for event in events {
            switch event.kind {
            case "alive" where event["ok"] != "1":
                found.append(
                    Violation(invariant: 4, description: "\(event.host) did not answer at \(event.time): \(event.line)")
                )
            case "process" where event["what"] == "exited":
                found.append(
                    Violation(
                        invariant: 4,
                        description:
                            "\(event.host) exited on its own at \(event.time) (status \(event["status"] ?? "?"))"
                    ))
            case "process" where event["what"] == "stopped" && (event["status"] ?? "0") != "0":
                found.append(
                    Violation(
                        invariant: 4,
                        description: "\(event.host) ended with status \(event["status"] ?? "?") when stopped")
                )
            case "rss":
                if let kib = event["kb"].flatMap({ Int($0) }), kib > rules.maximumRSSKiB {
                    found.append(
                        Violation(
                            invariant: 4,
                            description:
                                "\(event.host) used \(kib / 1024) MiB at \(event.time) (bound \(rules.maximumRSSKiB / 1024) MiB)"
                        ))
                }
            default:
                break
            }
        }
        return found
    }

    // MARK: 5. No ephemeral node left

    private func leftovers() -> [Violation] {
        guard let count = events.last(where: { $0.host == "test" && $0.kind == "ephemerals" }) else {
            return [Violation(invariant: 5, description: "the ephemeral nodes left were not counted")]
        }
        guard count["count"] == "0" else {
            return [
                Violation(
                    invariant: 5,
                    description:
                        "\(count["count"] ?? "?") ephemeral node(s) left after every process stopped: \(count["paths"] ?? "")"
                )
            ]
        }
        return []
    }
}
