import NIOCore

/// What the line decoder hands on: a complete line, or the news that the peer sent a line longer
/// than allowed.
enum LineFrame: Sendable {
    /// One line without its `\n` (and without a trailing `\r`).
    case line(ByteBuffer)
    /// More than `maximumLength` bytes arrived without a newline. Nothing follows: the decoder
    /// drops every later byte, the connection is about to be closed.
    case tooLong
}

/// Splits newline-delimited input, refusing lines longer than `maximumLength` bytes.
///
/// The decoder checks the buffered length on every read, so a client that never sends `\n` costs
/// at most `maximumLength` bytes before it is told off. Not `ByteToMessageHandler`'s own
/// `maximumBufferSize`: that one fails the channel with an error, while the protocol answers an
/// over-long request with an `error` line first (DESIGN.md), which `.tooLong` lets the server do.
struct LineFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = LineFrame

    /// 64 KiB for requests to the server (DESIGN.md); the client allows far longer snapshots.
    let maximumLength: Int
    private var refused = false
    /// How far the buffer was already searched for a newline, so a slowly arriving long line is
    /// scanned once rather than once per read.
    private var searched = 0

    init(maximumLength: Int) {
        self.maximumLength = maximumLength
    }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        if refused {
            buffer.moveReaderIndex(to: buffer.writerIndex)
            return .needMoreData
        }
        let view = buffer.readableBytesView
        let start = view.index(view.startIndex, offsetBy: searched)
        guard let newline = view[start...].firstIndex(of: UInt8(ascii: "\n")) else {
            searched = view.count
            if view.count > maximumLength {
                refuse(context: context, buffer: &buffer)
            }
            return .needMoreData
        }
        searched = 0
        let length = newline - view.startIndex
        if length > maximumLength {
            refuse(context: context, buffer: &buffer)
            return .needMoreData
        }
        guard var line = buffer.readSlice(length: length) else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 1)
        if line.readableBytesView.last == UInt8(ascii: "\r") {
            line.moveWriterIndex(to: line.writerIndex - 1)
        }
        context.fireChannelRead(Self.wrapInboundOut(.line(line)))
        return .continue
    }

    mutating func decodeLast(
        context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool
    ) throws -> DecodingState {
        // A partial line at EOF has nobody left to answer: drop it.
        while try decode(context: context, buffer: &buffer) == .continue {}
        buffer.moveReaderIndex(to: buffer.writerIndex)
        return .needMoreData
    }

    private mutating func refuse(context: ChannelHandlerContext, buffer: inout ByteBuffer) {
        refused = true
        buffer.moveReaderIndex(to: buffer.writerIndex)
        context.fireChannelRead(Self.wrapInboundOut(.tooLong))
    }
}
