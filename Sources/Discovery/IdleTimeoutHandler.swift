import NIOCore

/// Closes a connection that sends no complete request line for `timeout`, with one
/// `idle_timeout` error line, so that silent clients cannot hold descriptors for ever.
///
/// - The clock starts when the connection becomes active and restarts with each complete line
///   (blank lines included: the line decoder before this handler only passes on whole lines, so
///   bytes without a newline do not count).
/// - `stop()` (the connection issued `watch`) disarms it for good: watchers are silent by design.
///   The request loop calls it right after reading the `watch` line, which has just restarted the
///   clock, so only a loop stalled for a whole timeout could let the timer fire first.
/// - One timer per connection, re-armed only when it fires: a request moves `lastRequest` and
///   the timer, when it fires early, waits out the remainder. Requests cost no timer churn.
final class IdleTimeoutHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = LineFrame
    typealias InboundOut = LineFrame

    private let timeout: TimeAmount
    private var context: ChannelHandlerContext?
    private var lastRequest = NIODeadline.now()
    private var timer: Scheduled<Void>?
    private var stopped = false

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { start(context: context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancel()
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context: context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancel()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .line = unwrapInboundIn(data) { lastRequest = .now() }
        context.fireChannelRead(data)
    }

    /// The connection watches: it is never closed for idleness from now on.
    func stop() {
        stopped = true
        cancel()
    }

    private func start(context: ChannelHandlerContext) {
        guard timer == nil, !stopped else { return }
        lastRequest = .now()
        arm(context: context)
    }

    private func arm(context: ChannelHandlerContext) {
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: lastRequest + timeout) { [weak self] in
            self?.fire()
        }
    }

    private func fire() {
        timer = nil
        guard !stopped, let context else { return }
        if NIODeadline.now() < lastRequest + timeout {
            arm(context: context)
            return
        }
        stopped = true
        let milliseconds = timeout.nanoseconds / 1_000_000
        let error = DiscoveryProtocolError(
            .idleTimeout, "no request for \(milliseconds) ms; closing the connection (ping keeps it open, watch too)")
        context.closeAfterWriting(error.line)
    }

    private func cancel() {
        timer?.cancel()
        timer = nil
    }
}
