import ArgumentParser
import Discovery
import Foundation

/// `--socket PATH`, shared by the commands that read the local socket.
struct SocketOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Herald's socket (default: $HERALD_SOCKET, else \(DiscoveryServer.defaultSocketPath)).",
            valueName: "PATH"))
    var socket: String?

    var path: String {
        socket ?? DiscoveryClient.socketPath(environment: ProcessInfo.processInfo.environment)
    }

    func client(timeout: Duration) -> DiscoveryClient {
        DiscoveryClient(socketPath: path, timeout: timeout)
    }
}

extension HeraldExit {
    /// Exit code 3 for everything that keeps the command from getting an answer over the socket.
    static func socket(_ command: String, _ error: DiscoveryClientError) -> HeraldExit {
        HeraldExit(code: ExitCode(3), message: "\(command): \(error)")
    }
}

/// Writes straight to file descriptor 1: `print` is block-buffered into a pipe, which would hold
/// back `herald watch`'s lines.
enum StandardOutput {
    static func write(_ text: String) {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeMutableBytes { raw in
                Foundation.write(1, raw.baseAddress.map { $0 + offset }, raw.count - offset)
            }
            if written <= 0 { return }
            offset += written
        }
        bytes.removeAll()
    }
}
