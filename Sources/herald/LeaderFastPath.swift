#if canImport(Glibc)
    import Glibc
#endif

/// `herald leader --socket PATH`, answered before ArgumentParser parses anything.
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
    /// `leader --socket PATH`; nil otherwise.
    static func socketPath(in arguments: ArraySlice<String>) -> String? {
        guard arguments.count == 3 else { return nil }
        let start = arguments.startIndex
        guard arguments[start] == "leader", arguments[start + 1] == "--socket" else { return nil }
        let path = arguments[start + 2]
        // ArgumentParser refuses a value that looks like an option, and an empty one is left to it too.
        guard let first = path.utf8.first, first != UInt8(ascii: "-") else { return nil }
        return path
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
