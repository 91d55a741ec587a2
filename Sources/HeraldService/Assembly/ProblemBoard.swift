public import Discovery
public import Logging
import Metrics
import NIOConcurrencyHelpers

/// What the parts of `herald serve` that retry (the follower directory, the metrics listener)
/// report while they fail: one line per component, shown in every snapshot (`problems`), by
/// `herald status`, and in the metrics (`herald_component_failing{component}` 0 or 1,
/// `herald_component_failures_total{component}`). A failure never ends the process; the
/// component clears its line once it works again.
public final class ProblemBoard: Sendable {
    private let state = NIOLockedValueBox(State())

    private struct State {
        var problems: [String: String] = [:]
        var listeners: [@Sendable () -> Void] = []
    }

    public init() {}

    /// The current problems, by component.
    public var current: [Snapshot.Problem] {
        state.withLockedValue { state in
            state.problems.sorted { $0.key < $1.key }.map { Snapshot.Problem(component: $0.key, message: $0.value) }
        }
    }

    /// `component` failed with `message` (one line) and is being retried.
    public func report(_ component: String, _ message: String) {
        let line = message.split(whereSeparator: \.isNewline).joined(separator: " ")
        Counter(label: "herald_component_failures_total", dimensions: [("component", component)]).increment()
        Gauge(label: "herald_component_failing", dimensions: [("component", component)]).record(1)
        notify(
            state.withLockedValue { state in
                guard state.problems[component] != line else { return [] }
                state.problems[component] = line
                return state.listeners
            })
    }

    /// `component` works again.
    public func clear(_ component: String) {
        let listeners = state.withLockedValue { state in
            state.problems.removeValue(forKey: component) == nil ? [] : state.listeners
        }
        if !listeners.isEmpty {
            Gauge(label: "herald_component_failing", dimensions: [("component", component)]).record(0)
        }
        notify(listeners)
    }

    /// Calls `body` after every change.
    public func onChange(_ body: @escaping @Sendable () -> Void) {
        state.withLockedValue { $0.listeners.append(body) }
    }

    private func notify(_ listeners: [@Sendable () -> Void]) {
        for listener in listeners { listener() }
    }
}
