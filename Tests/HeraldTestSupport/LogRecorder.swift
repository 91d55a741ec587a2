import InMemoryLogging
public import Logging
import NIOConcurrencyHelpers

/// Records what a `Logger` is given, for tests to read and to wait on.
///
/// Waiting is event-driven: `wait(count:where:)` suspends until enough records match (counting
/// the ones already there, then each new one once), so tests never sleep to let a hook or a
/// connection catch up.
public final class LogRecorder: Sendable {
    public struct Record: Sendable, CustomStringConvertible {
        public var level: Logger.Level
        public var message: String
        public var metadata: [String: String]

        public var description: String {
            let fields = metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            return "\(level) \(message) [\(fields.joined(separator: " "))]"
        }
    }

    private struct Waiter {
        var id: Int
        var predicate: @Sendable (Record) -> Bool
        var missing: Int
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var waiters: [Waiter] = []
        var nextID = 0
    }

    /// Where the records are kept: swift-log's in-memory handler (every logger of this recorder
    /// shares its store).
    private let store = InMemoryLogHandler()
    private let state = NIOLockedValueBox(State())

    public init() {}

    /// A logger at `trace` that records into this recorder.
    public func logger(label: String = "herald.tests") -> Logger {
        var logger = Logger(label: label) { _ in Handler(recorder: self, store: self.store) }
        logger.logLevel = .trace
        return logger
    }

    public var records: [Record] { store.entries.map(Record.init) }

    public func records(where predicate: (Record) -> Bool) -> [Record] {
        records.filter(predicate)
    }

    /// Returns once at least `count` records match `predicate`. Throws `CancellationError` when
    /// the test is cancelled (its time limit passed) while waiting.
    public func wait(count: Int = 1, where predicate: @escaping @Sendable (Record) -> Bool) async throws {
        let id = state.withLockedValue { state in
            defer { state.nextID += 1 }
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                // Counted under the lock that `store` holds while it stores a record: each record
                // is counted once, here or there.
                let done = state.withLockedValue { state in
                    let missing = count - records.count(where: predicate)
                    guard missing > 0 else { return true }
                    state.waiters.append(
                        Waiter(id: id, predicate: predicate, missing: missing, continuation: continuation))
                    return false
                }
                if done { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLockedValue { state -> Waiter? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index)
            }
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Stores `event` in `handler` and lets the waiters that `record` (its reading) satisfies go
    /// on; both under the lock `wait` counts under, so each record is counted once.
    fileprivate func store(_ event: LogEvent, as record: Record, in handler: InMemoryLogHandler) {
        let satisfied = state.withLockedValue { state -> [Waiter] in
            handler.log(event: event)
            var satisfied: [Waiter] = []
            for index in state.waiters.indices.reversed() where state.waiters[index].predicate(record) {
                state.waiters[index].missing -= 1
                if state.waiters[index].missing == 0 { satisfied.append(state.waiters.remove(at: index)) }
            }
            return satisfied
        }
        for waiter in satisfied { waiter.continuation.resume() }
    }

    private struct Handler: LogHandler {
        let recorder: LogRecorder
        var store: InMemoryLogHandler

        var logLevel: Logger.Level {
            get { store.logLevel }
            set { store.logLevel = newValue }
        }

        var metadata: Logger.Metadata {
            get { store.metadata }
            set { store.metadata = newValue }
        }

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { store[metadataKey: key] }
            set { store[metadataKey: key] = newValue }
        }

        func log(event: LogEvent) {
            var merged = store.metadata
            merged.merge(event.metadata ?? [:]) { _, new in new }
            let record = Record(level: event.level, message: "\(event.message)", metadata: merged.mapValues { "\($0)" })
            recorder.store(event, as: record, in: store)
        }
    }
}

extension LogRecorder.Record {
    init(_ entry: InMemoryLogHandler.Entry) {
        self.init(level: entry.level, message: "\(entry.message)", metadata: entry.metadata.mapValues { "\($0)" })
    }
}
