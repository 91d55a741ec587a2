import NIOConcurrencyHelpers
import ZooKeeper

/// The children watch of the last read the loop processed; read on the completion thread.
final class WatchBox: Sendable {
    private let watch = NIOLockedValueBox<Watch?>(nil)

    var current: Watch? {
        get { watch.withLockedValue { $0 } }
        set { watch.withLockedValue { $0 = newValue } }
    }

    /// Whether nothing changed among the children since the last read: its watch has not fired.
    var intact: Bool { current.map { !$0.hasFired } ?? false }
}
