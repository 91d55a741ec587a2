import NIOCore

/// The whole pipeline of a connection accepted over the cap: it sends the one
/// `too_many_connections` line as soon as the channel is active, then closes it. It reads nothing
/// the client may have sent meanwhile (no decoder, no request loop), and the connection is never
/// counted, so it is never released either.
final class RefusedConnectionHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    private let line: String
    private var sent = false

    init(limit: Int) {
        line =
            DiscoveryProtocolError(
                .tooManyConnections,
                "the server already has its limit of \(limit) connections open; try again later"
            ).line
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { refuse(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        refuse(context: context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Dropped: a refused connection's requests are not answered.
    }

    private func refuse(context: ChannelHandlerContext) {
        guard !sent else { return }
        sent = true
        context.closeAfterWriting(line)
    }
}
