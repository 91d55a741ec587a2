/// Turns a hook's stdout and stderr bytes into log lines, within limits.
///
/// A hook's output goes into Herald's log, which is shared with everything else Herald reports, so
/// a chatty or broken hook (a binary dumped to stdout, a loop printing forever) must not be able to
/// flood it: a line is cut at `lineLimit` bytes (the rest of it, up to the next newline, is
/// skipped) and a run logs at most `totalLimit` bytes across both streams, then says once that it
/// stopped. The bytes past the limits are still read (and dropped), so the hook never blocks on a
/// full pipe.
///
/// A value type without I/O, so that every cut can be tested without a process.
struct HookOutput: Sendable {
    enum Stream: String, Sendable {
        case stdout
        case stderr
    }

    enum Event: Hashable, Sendable {
        /// One line, without its newline (and without a trailing carriage return); `truncated` when
        /// it was cut at the line limit.
        case line(Stream, String, truncated: Bool)
        /// The run's output reached the total limit: nothing more is logged.
        case limitReached(Int)
    }

    /// The bytes of the line being assembled for one stream.
    private struct Pending: Sendable {
        var bytes: [UInt8] = []
        /// The line was already emitted, cut: skip up to the next newline.
        var skipping = false
    }

    let lineLimit: Int
    let totalLimit: Int
    /// The bytes of the lines logged so far.
    private(set) var logged = 0
    /// Whether the total limit was reached (and said so).
    private(set) var exhausted = false
    private var stdout = Pending()
    private var stderr = Pending()

    init(lineLimit: Int = 4096, totalLimit: Int = 65536) {
        precondition(lineLimit > 0 && totalLimit > 0, "HookOutput limits must be positive")
        self.lineLimit = lineLimit
        self.totalLimit = totalLimit
    }

    /// Takes bytes read from `stream`, returns the lines they complete.
    mutating func append(_ bytes: some Sequence<UInt8>, from stream: Stream) -> [Event] {
        var pending = take(stream)
        defer { put(pending, stream) }
        var events: [Event] = []
        for byte in bytes {
            if byte == UInt8(ascii: "\n") {
                if !pending.skipping { emit(pending.bytes, stream, truncated: false, into: &events) }
                pending = Pending()
            } else if !pending.skipping {
                pending.bytes.append(byte)
                if pending.bytes.count >= lineLimit {
                    emit(pending.bytes, stream, truncated: true, into: &events)
                    pending = Pending(skipping: true)
                }
            }
        }
        return events
    }

    /// The unterminated last line of each stream, once the hook's output has ended.
    mutating func finish() -> [Event] {
        var events: [Event] = []
        for stream in [Stream.stdout, .stderr] {
            let pending = take(stream)
            if !pending.skipping, !pending.bytes.isEmpty {
                emit(pending.bytes, stream, truncated: false, into: &events)
            }
        }
        return events
    }

    private mutating func emit(_ bytes: [UInt8], _ stream: Stream, truncated: Bool, into events: inout [Event]) {
        guard !exhausted else { return }
        guard logged + bytes.count <= totalLimit else {
            exhausted = true
            events.append(.limitReached(totalLimit))
            return
        }
        logged += bytes.count
        var line = bytes[...]
        if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
        // Invalid UTF-8 becomes U+FFFD: the log gets text either way.
        events.append(.line(stream, String(decoding: line, as: UTF8.self), truncated: truncated))
    }

    private mutating func take(_ stream: Stream) -> Pending {
        switch stream {
        case .stdout:
            defer { stdout = Pending() }
            return stdout
        case .stderr:
            defer { stderr = Pending() }
            return stderr
        }
    }

    private mutating func put(_ pending: Pending, _ stream: Stream) {
        switch stream {
        case .stdout: stdout = pending
        case .stderr: stderr = pending
        }
    }
}
