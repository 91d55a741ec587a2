import NIOCore

extension ChannelHandlerContext {
    /// Writes one last line (an error line saying why) and closes the channel once it is
    /// flushed, or after `grace` when the peer does not read and the line cannot go out.
    ///
    /// The line is written from this handler's position, below the `NIOAsyncChannel` that serves
    /// requests, so it needs no cooperation from the connection's task: that task sees the end of
    /// its inbound stream and returns.
    func closeAfterWriting(_ line: String, grace: TimeAmount = .seconds(1)) {
        let channel = self.channel
        let timer = eventLoop.scheduleTask(in: grace) { channel.close(promise: nil) }
        writeAndFlush(NIOAny(channel.allocator.buffer(string: line))).whenComplete { _ in
            timer.cancel()
            channel.close(promise: nil)
        }
    }
}
