import MesosLayout

/// The lease rule applied to what is shown (DESIGN.md "One lease clock"), wherever a view leaves
/// the process: a snapshot served or pushed on the socket, a hook's environment.
extension ElectionView {
    /// The share of the session timeout after the last contact at which this host stops
    /// claiming to lead (D).
    public static let leaseFraction = 0.8

    /// The view as it may be shown at `now`, and whether this host may still be shown leading.
    ///
    /// With `age` the time since the last contact and T the negotiated session timeout:
    /// - past D (`age ≥ 0.8 T`, or no contact at all), this host does not lead: its role is not
    ///   `leader`;
    /// - a host that does not lead never shows itself as the leader (the state becomes
    ///   `no_leader`): the leader a consumer acts on is never this host unless it leads;
    /// - `age ≥ ⅔ T`: the leader is flagged `stale`;
    /// - `age ≥ T`: the session may have expired: no leader at all, state `disconnected`.
    ///
    /// - Parameters:
    ///   - ownID: the MasterInfo id of this host's candidate, if it contends.
    ///   - leading: whether this host's contender leads, as the election last said.
    public func shown(
        at now: ContinuousClock.Instant, ownID: String?, leading: Bool
    ) -> (view: ElectionView, leading: Bool) {
        var view = self
        let timeout = connection.sessionTimeout
        let age = contact.map { now - $0 }
        var leading = leading
        if leading, !(age.map { $0 < timeout * Self.leaseFraction } ?? false) { leading = false }
        if let leader = view.leader, let ownID, leader.info.id == ownID, !leading {
            view.leader = nil
            view.stale = false
            if view.state == .elected { view.state = .noLeader }
        }
        if let age {
            if age >= timeout {
                view.leader = nil
                view.stale = false
                view.state = .disconnected
                if view.connection.state == .connected || view.connection.state == .readOnly {
                    view.connection.state = .connecting
                }
            } else if age >= timeout * 2 / 3, view.leader != nil {
                view.stale = true
            }
        }
        return (view, leading)
    }

    /// The next instant after `now` at which `shown(at:…)` may change on its own: ⅔ T, D or T
    /// after the last contact; nil when none is ahead.
    public func nextLeaseChange(after now: ContinuousClock.Instant) -> ContinuousClock.Instant? {
        guard let contact else { return nil }
        let timeout = connection.sessionTimeout
        return [contact + timeout * 2 / 3, contact + timeout * Self.leaseFraction, contact + timeout]
            .filter { $0 > now }.min()
    }
}
