import Discovery

#if canImport(Glibc)
    import Glibc
#endif

/// `herald leader --socket PATH` and `herald leader`, answered before ArgumentParser parses anything.
///
/// Scripts and health checks run this one command in loops, and for them building the parser's
/// command tree (every subcommand's options, found through the Swift runtime's protocol
/// conformance look-ups) cost several times the exchange with the socket. Only these exact
/// arguments take this path; any other spelling, option or path that looks like an option goes
/// through ArgumentParser, which then decides. The work is `LeaderCommand`'s own: the same
/// blocking exchange (`LeaderSource.current`), the same default timeout, the same printing
/// (`LeaderCommand.report`) and the same errors and exit codes (`Herald.exit(with:)`).
enum LeaderFastPath {
    /// The socket path when `arguments` (without the program name) are exactly
    /// `leader --socket PATH`, or `leader` alone (`$HERALD_SOCKET`, else the default path, as
    /// `SocketOptions.path`); nil otherwise.
    static func socketPath(in arguments: ArraySlice<String>) -> String? {
        let start = arguments.startIndex
        guard arguments.first == "leader" else { return nil }
        if arguments.count == 1 { return environmentSocketPath() }
        guard arguments.count == 3, arguments[start + 1] == "--socket" else { return nil }
        let path = arguments[start + 2]
        // ArgumentParser refuses a value that looks like an option, and an empty one is left to it too.
        guard let first = path.utf8.first, first != UInt8(ascii: "-") else { return nil }
        return path
    }

    /// `DiscoveryClient.socketPath(environment:)` without building Foundation's environment
    /// dictionary.
    private static func environmentSocketPath() -> String {
        if let value = getenv("HERALD_SOCKET"), value.pointee != 0 { return String(cString: value) }
        return DiscoveryServer.defaultSocketPath
    }

    /// Asks the socket, prints the leader and ends the process as `herald leader --socket PATH`
    /// does through ArgumentParser.
    static func run(socketPath path: String) -> Never {
        do {
            let answer = try LeaderSource.current(
                socketPath: path, timeout: LeaderCommand.limit(LeaderCommand.defaultTimeout))
            try LeaderCommand.report(answer, format: .hostport, waited: nil)
        } catch {
            Herald.exit(with: error)
        }
        Glibc.exit(0)
    }
}
