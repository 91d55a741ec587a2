import NIOConcurrencyHelpers
public import NIOCore
public import NIOPosix

#if canImport(Glibc)
    import Glibc
#endif

/// ZooKeeper's four-letter words (`srvr`, `mntr`, `ruok`): a plain TCP connection on which the
/// server answers one word and closes. The ensemble's health as each server reports it, apart
/// from any session.
public enum FourLetterWord {
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// Answers longer than this are cut (a `mntr` is a few kilobytes).
    static let maximumAnswer = 1 << 20

    /// The server's answer to `word` at `host:port` (IPv4/IPv6 literal or name), all of it once
    /// the server has closed; a `Failure` naming what went wrong when it cannot connect or has
    /// not closed within `timeout`.
    public static func ask(
        _ word: String, host: String, port: Int, timeout: Duration,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> String {
        let limit = TimeAmount(timeout)
        let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        do {
            channel = try await ClientBootstrap(group: group)
                .connectTimeout(limit)
                .connect(host: host, port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw Failure(description: reason(error, host: host))
        }
        // At the deadline the connection is closed, which ends the read below.
        let expired = NIOLockedValueBox(false)
        let deadline = channel.channel.eventLoop.scheduleTask(in: limit) {
            expired.withLockedValue { $0 = true }
            channel.channel.close(promise: nil)
        }
        defer { deadline.cancel() }
        var answer = ByteBuffer()
        do {
            try await channel.executeThenClose { inbound, outbound in
                try await outbound.write(ByteBuffer(string: word))
                for try await var chunk in inbound {
                    answer.writeBuffer(&chunk)
                    if answer.readableBytes >= maximumAnswer { return }
                }
            }
        } catch {
            throw Failure(description: "no answer: \(reason(error, host: host))")
        }
        if expired.withLockedValue({ $0 }) { throw Failure(description: "no answer within \(timeout)") }
        return String(buffer: answer)
    }

    /// `Mode: leader` → `leader`; a refusal (`srvr is not executed because it is not in the
    /// whitelist.`) or nothing → nil.
    public static func mode(fromSrvr text: String) -> String? {
        guard let line = text.split(whereSeparator: \.isNewline).first(where: { $0.hasPrefix("Mode:") }) else {
            return nil
        }
        let mode = line.dropFirst("Mode:".count).drop(while: \.isWhitespace)
        guard let last = mode.lastIndex(where: { !$0.isWhitespace }) else { return "" }
        return String(mode[...last])
    }

    /// The system's words for a failed connection (`Connection refused`), as an operator reads
    /// them elsewhere.
    private static func reason(_ error: any Error, host: String) -> String {
        if let error = error as? NIOConnectionError {
            if let failure = error.connectionErrors.first, let io = failure.error as? IOError {
                return String(cString: strerror(io.errnoCode))
            }
            if error.dnsAError != nil || error.dnsAAAAError != nil || error.connectionErrors.isEmpty {
                return "cannot resolve \(host)"
            }
        }
        if let error = error as? IOError { return String(cString: strerror(error.errnoCode)) }
        if case ChannelError.connectTimeout = error { return String(cString: strerror(ETIMEDOUT)) }
        return "\(error)"
    }
}
