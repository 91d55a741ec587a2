import NIOConcurrencyHelpers

/// Liveness of the election loop, for a watchdog (systemd's `WATCHDOG=1`).
extension ElectionGroup {
    /// Whether the loop handles a probe within `limit`: it is running and not stuck in an input.
    ///
    /// The probe is an input like any other, so it waits behind whatever the loop has queued; a
    /// loop that has ended (or never started) never takes it. Cheap enough to call every few
    /// seconds: one enqueued value and a lock read every 10 ms until it is taken.
    public func isResponsive(within limit: Duration) async -> Bool {
        let before = shared.withLockedValue { $0.started ? $0.turns : nil }
        guard let before else { return false }
        if case .terminated = post.yield(.probe) { return false }
        let clock = ContinuousClock()
        let deadline = clock.now + limit
        while clock.now < deadline {
            if shared.withLockedValue({ $0.turns }) != before { return true }
            do { try await clock.sleep(for: .milliseconds(10)) } catch { return false }
        }
        return shared.withLockedValue { $0.turns } != before
    }
}
