#if canImport(Glibc)
    import Glibc
#endif

/// The progress line of `herald leader --wait`: once the wait has lasted a second, and only when
/// stderr is a terminal (a script's or a unit's log gets nothing), one line on stderr rewritten
/// in place every second, and erased when the wait ends.
enum WaitProgress {
    /// Runs `body`; shows the line while it takes longer than a second.
    static func around<T: Sendable>(
        enabled: Bool, timeout: String, _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        guard enabled, isatty(2) == 1 else { return try await body() }
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                let start = ContinuousClock.now
                var shown = false
                defer { if shown { StandardError.write("\r\u{1B}[K") } }
                while true {
                    do { try await Task.sleep(for: .seconds(1)) } catch { return nil }
                    shown = true
                    let elapsed = (ContinuousClock.now - start).components.seconds
                    StandardError.write(
                        "\r\u{1B}[Kherald leader: waiting for a leader… \(elapsed) s of \(timeout)")
                }
            }
            defer { group.cancelAll() }
            while let result = try await group.next() {
                if let result { return result }
            }
            fatalError("the waiting task ended without a result")
        }
    }
}
