import NIOCore

/// The metrics server's listener, from binding to stopped, with the callers of
/// `listeningPort()` that wait for it.
///
/// A value type behind the server's lock: transitions return the continuations to resume and
/// the channel to close, which the server does after releasing the lock. A shutdown that arrives
/// while the bind is still in flight is remembered, and the listener is closed as soon as it
/// exists, so `run()` cannot outlive a shutdown that came early.
struct MetricsListener: Sendable {
    typealias Waiter = CheckedContinuation<Int, any Error>

    private enum Phase: Sendable {
        case binding(shutdownRequested: Bool)
        case listening(port: Int, channel: any Channel)
        case closing(port: Int)
        case failed(MetricsServerError)
        case stopped
    }

    enum WaitAction: Sendable {
        case resume(Waiter, Result<Int, any Error>)
        case suspended
    }

    private var phase = Phase.binding(shutdownRequested: false)
    private var waiters: [Waiter] = []

    init() {}

    mutating func waitForPort(_ waiter: Waiter) -> WaitAction {
        switch phase {
        case .binding:
            waiters.append(waiter)
            return .suspended
        case .listening(let port, _), .closing(let port):
            return .resume(waiter, .success(port))
        case .failed(let error):
            return .resume(waiter, .failure(error))
        case .stopped:
            return .resume(waiter, .failure(MetricsServerError(address: "-", reason: "the server has stopped")))
        }
    }

    /// The listener is bound: returns the waiters to give the port to, and whether a shutdown
    /// came meanwhile (close the channel at once).
    mutating func listening(port: Int, channel: any Channel) -> (waiters: [Waiter], closeNow: Bool) {
        guard case .binding(let shutdownRequested) = phase else { return ([], true) }
        phase = shutdownRequested ? .closing(port: port) : .listening(port: port, channel: channel)
        defer { waiters = [] }
        return (waiters, shutdownRequested)
    }

    mutating func failed(_ error: MetricsServerError) -> [Waiter] {
        phase = .failed(error)
        defer { waiters = [] }
        return waiters
    }

    /// Returns the channel to close, if the listener is open.
    mutating func shutdown() -> (any Channel)? {
        switch phase {
        case .binding:
            phase = .binding(shutdownRequested: true)
            return nil
        case .listening(let port, let channel):
            phase = .closing(port: port)
            return channel
        case .closing, .failed, .stopped:
            return nil
        }
    }

    /// `run()` is returning: whoever still waits will never get a port.
    mutating func stopped() -> [Waiter] {
        if case .failed = phase {} else { phase = .stopped }
        defer { waiters = [] }
        return waiters
    }
}
