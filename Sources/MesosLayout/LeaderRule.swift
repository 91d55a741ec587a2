/// How a reader of the Mesos base path picks the leading master from its children.
///
/// The two rules disagree when old-format nodes (`info_`, bare numbers) sit below the lowest
/// `json.info_` node, which is why Herald only ever writes `json.info_` candidates and reports
/// anything else (see `GroupListing.hazards(children:lowestData:)`).
public enum LeaderRule: Sendable, Hashable, CaseIterable {
    /// Mesos masters and agents (`src/zookeeper/group.cpp`, `detector.cpp`): the smallest sequence
    /// among *all* numbered children, whatever their label.
    case mesos
    /// mesos-go's detector (mesos-dns, mesos-consul): the smallest non-negative sequence among
    /// `json.info_` children, and only when there are none, among `info_` children. Bare numbers
    /// and other labels are ignored.
    case mesosGo
    /// pymesos' `MasterDetector` (`pymesos/detector.py`, 0.3.15): the smallest child *name*, by
    /// string comparison, of all children but `log_replicas`, whatever it is. Any other child
    /// that sorts before the leader's name (`herald`, `info_…`, bare numbers) is taken for it.
    case pymesos
}
