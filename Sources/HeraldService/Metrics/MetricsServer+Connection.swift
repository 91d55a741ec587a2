import Logging
import NIOCore
import NIOHTTP1
import Prometheus

extension MetricsServer {
    /// Answers the requests of one connection until the client closes it, asks to close it, goes
    /// idle, or breaks the protocol. Never throws: one client's trouble ends only its connection.
    func serve(_ connection: Connection) async {
        let peer = connection.channel.remoteAddress.map { "\($0)" } ?? "unknown"
        do {
            try await connection.executeThenClose { requests, responses in
                var head: HTTPRequestHead?
                for try await part in requests {
                    switch part {
                    case .head(let requestHead):
                        head = requestHead
                    case .body:
                        // Nothing here takes a body: read and drop it.
                        continue
                    case .end:
                        guard let request = head else { continue }
                        head = nil
                        let status = try await respond(
                            to: request, on: responses, allocator: connection.channel.allocator)
                        logger.trace(
                            "metrics request",
                            metadata: [
                                "peer": "\(peer)", "method": "\(request.method)", "uri": "\(request.uri)",
                                "status": "\(status.code)",
                            ])
                        if !request.isKeepAlive { return }
                    }
                }
            }
        } catch is CancellationError {
            // Shutting down.
        } catch {
            // Garbage, a reset, an abandoned keep-alive: normal enough on a scrape port.
            logger.debug("metrics connection ended", metadata: ["peer": "\(peer)", "error": "\(error)"])
        }
    }

    private func respond(
        to request: HTTPRequestHead, on responses: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>,
        allocator: ByteBufferAllocator
    ) async throws -> HTTPResponseStatus {
        let path = request.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        var headers = HTTPHeaders()
        let status: HTTPResponseStatus
        var body: ByteBuffer
        let checks: [Substring] = ["/health", "/leader"]
        if path != "/metrics" && !(health != nil && checks.contains(path)) {
            status = .notFound
            let served = health == nil ? "only /metrics is" : "/metrics, /health and /leader are"
            body = allocator.buffer(string: "not found: \(served) served here\n")
            headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
        } else if request.method != .GET && request.method != .HEAD {
            status = .methodNotAllowed
            body = allocator.buffer(string: "method not allowed: use GET\n")
            headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
            headers.add(name: "Allow", value: "GET, HEAD")
        } else if let health, path != "/metrics" {
            let verdict = path == "/leader" ? await health.leader() : await health.health()
            status = verdict.healthy ? .ok : .serviceUnavailable
            body = allocator.buffer(string: verdict.reason + "\n")
            headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
            headers.add(name: "Cache-Control", value: "no-store")
        } else {
            status = .ok
            var bytes: [UInt8] = []
            bytes.reserveCapacity(16384)
            registry.emit(into: &bytes)
            body = allocator.buffer(bytes: bytes)
            headers.add(name: "Content-Type", value: "text/plain; version=0.0.4; charset=utf-8")
        }
        headers.add(name: "Content-Length", value: "\(body.readableBytes)")
        headers.add(name: "Connection", value: request.isKeepAlive ? "keep-alive" : "close")
        if request.method == .HEAD { body.clear() }

        try await responses.write(.head(HTTPResponseHead(version: request.version, status: status, headers: headers)))
        if body.readableBytes > 0 { try await responses.write(.body(.byteBuffer(body))) }
        try await responses.write(.end(nil))
        return status
    }
}
