import ArgumentParser
import Discovery

/// `herald watch`: stream snapshots as JSON lines, reconnecting when Herald restarts.
struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Stream snapshots from the local Herald as JSON lines.",
        discussion: """
            Prints the current snapshot, then one line per change. A slow reader skips to the newest \
            snapshot. Reconnects (50 ms doubling to 2 s) when Herald restarts; the first snapshot \
            after a restart may have a lower revision. Exit code 3 when the socket cannot be reached \
            at start.
            """)

    @OptionGroup var socket: SocketOptions

    @Option(help: "Exit after this many snapshots.")
    var count: Int?

    func validate() throws {
        if let count, count < 1 { throw ValidationError("--count must be at least 1") }
    }

    func run() async throws {
        let client = socket.client(timeout: .seconds(5))
        do {
            try await client.ping()
        } catch {
            throw HeraldExit.socket("watch", error)
        }
        var printed = 0
        for await snapshot in client.updates() {
            guard let line = try? snapshot.encodedLine() else { continue }
            StandardOutput.write(String(decoding: line, as: UTF8.self))
            printed += 1
            if let count, printed >= count { return }
        }
    }
}
