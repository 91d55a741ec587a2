import NIOCore

/// Pushes snapshots to one watching connection, on its event loop, without ever queueing more than
/// one of them.
///
/// The back-pressure rule: a snapshot is written only while the channel is writable (NIO's
/// outbound buffer is under its high-water mark of 64 KiB). Otherwise it is kept as the one
/// pending snapshot, replacing any older pending one, and written when the channel becomes
/// writable again. A watcher that stops reading therefore costs at most the kernel socket buffer,
/// NIO's high-water mark plus one line, and one pending snapshot; it skips the revisions it was too
/// slow for, never delays other connections (each write is a non-blocking syscall on its own
/// socket) and is never closed for being slow. Revisions only go forward: an offer that is not
/// newer than what was written or is pending is dropped.
///
/// Requests are served by the connection's task through `NIOAsyncChannel`; this handler only
/// handles the push side, so a publish fans out with one task per event loop rather than a task
/// wake-up per watcher. It is the first handler of the pipeline (it passes the raw bytes on
/// untouched), so that its writes go straight to the channel, and it keeps the channel's
/// writability itself: a fan-out to thousands of watchers touches as little of each connection
/// as it can.
final class SnapshotPushHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let store: SnapshotStore
    private var context: ChannelHandlerContext?
    private var watchers: WatcherSet?
    private var lastWritten: UInt64 = 0
    private var pending: SnapshotStore.Published?
    private var closing = false
    /// The channel's writability, as of its last `channelWritabilityChanged`.
    private var isWritable = true
    /// This handler's place in its loop's `WatcherSet` while it watches (kept by the set).
    var watcherIndex: Int?

    init(store: SnapshotStore) {
        self.store = store
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        isWritable = context.channel.isWritable
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        stopWatching()
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        stopWatching()
        pending = nil
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        isWritable = context.channel.isWritable
        if isWritable, let next = pending {
            pending = nil
            write(next, context: context)
        }
        context.fireChannelWritabilityChanged()
    }

    /// `watch`: the current snapshot now, then every newer one.
    func startWatching() {
        guard let context, watchers == nil, !closing else { return }
        let set = store.watchers(on: context.eventLoop)
        let current = store.refresh()
        if set.isShutDown {
            shutDown(final: current, grace: .seconds(1))
            return
        }
        set.add(self)
        watchers = set
        offer(current, force: true)
    }

    /// `get` on a watching connection: answered through the push path, so the line can never
    /// overtake (or be overtaken by) a newer pushed revision.
    func resendCurrent() {
        offer(store.refresh(), force: true)
    }

    /// A newer snapshot for this watcher (see the type's back-pressure rule). `force` sends the
    /// current one again even when it was already written (the answer to `get`).
    func offer(_ published: SnapshotStore.Published, force: Bool = false) {
        guard let context, !closing else { return }
        let newest = max(lastWritten, pending?.revision ?? 0)
        guard force ? published.revision >= newest : published.revision > newest else { return }
        if isWritable, pending == nil {
            write(published, context: context)
        } else {
            pending = published
        }
    }

    /// Shutdown: the final snapshot unless already written, then close once it is flushed, or
    /// after `grace` for a watcher that does not read.
    func shutDown(final published: SnapshotStore.Published, grace: TimeAmount) {
        guard let context, !closing else { return }
        closing = true
        stopWatching()
        var line = context.channel.allocator.buffer(capacity: 0)
        if published.revision > lastWritten {
            line = published.line
        } else if let pending {
            line = pending.line
        }
        pending = nil
        let channel = context.channel
        let timer = context.eventLoop.scheduleTask(in: grace) { channel.close(promise: nil) }
        context.writeAndFlush(wrapOutboundOut(line)).whenComplete { _ in
            timer.cancel()
            channel.close(promise: nil)
        }
    }

    /// Writes `published`, or, when the lease rule may have changed it since it was made (a
    /// pending snapshot written late, an offer queued before a freeze), the store's current one
    /// aged to now.
    private func write(_ published: SnapshotStore.Published, context: ChannelHandlerContext) {
        var (line, revision) = (published.line, published.revision)
        if published.isExpired(at: .now) {
            let fresh = store.refresh()
            if fresh.revision >= revision { (line, revision) = (fresh.line, fresh.revision) }
        }
        lastWritten = revision
        context.writeAndFlush(wrapOutboundOut(line), promise: nil)
    }

    private func stopWatching() {
        watchers?.remove(self)
        watchers = nil
    }
}
