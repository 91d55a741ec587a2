import NIOConcurrencyHelpers

/// Maps the integer tokens handed to the C client as callback contexts to the Swift side that
/// waits for them.
///
/// No Swift object pointer ever crosses into C: a completion or watcher that arrives after its
/// entry was removed (the client was closed, the watch already failed) finds nothing and is
/// dropped. Whoever removes an entry owns it, so each continuation is resumed exactly once.
final class CallbackRegistry: Sendable {
    static let shared = CallbackRegistry()

    enum Entry: Sendable {
        /// A request's completion: called once with the C reply.
        case request(owner: UInt, complete: @Sendable (Reply) -> Void)
        /// A node watch: fulfilled by the node event, or failed by expiry or close.
        case watch(owner: UInt, promise: Promise<WatchEvent>)
        /// A client's session watcher: lives as long as the handle.
        case session(SessionCore)

        var owner: UInt {
            switch self {
            case .request(let owner, _), .watch(let owner, _): return owner
            case .session(let core): return core.token
            }
        }
    }

    fileprivate struct Table {
        var entries: [UInt: Entry] = [:]
        var next: UInt = 1
    }

    fileprivate let table = NIOLockedValueBox(Table())

    func add(_ entry: Entry) -> UInt {
        table.withLockedValue { table in
            let token = table.next
            table.next += 1
            table.entries[token] = entry
            return token
        }
    }

    /// A token for an entry published later with `set` (so that an owner can know its own token
    /// before anything can call back with it).
    func reserve() -> UInt {
        table.withLockedValue { table in
            defer { table.next += 1 }
            return table.next
        }
    }

    func set(_ token: UInt, _ entry: Entry) {
        table.withLockedValue { $0.entries[token] = entry }
    }

    /// Removes and returns an entry (the caller now owns it).
    func take(_ token: UInt) -> Entry? {
        table.withLockedValue { $0.entries.removeValue(forKey: token) }
    }

    /// Returns an entry without removing it (session watchers, watches on session events).
    func peek(_ token: UInt) -> Entry? {
        table.withLockedValue { $0.entries[token] }
    }

    /// Removes every request and watch of one client, for `close()` and expiry.
    func takeAll(owner: UInt, includeRequests: Bool) -> [Entry] {
        table.withLockedValue { table in
            var taken: [Entry] = []
            for (token, entry) in table.entries where entry.owner == owner {
                switch entry {
                case .session: continue
                case .request: if !includeRequests { continue }
                case .watch: break
                }
                taken.append(entry)
                table.entries[token] = nil
            }
            return taken
        }
    }

}

/// A C reply, copied out of the C client's buffers before the callback returns.
enum Reply: Sendable {
    case void(Int32)
    case stat(Int32, Stat?)
    case data(Int32, [UInt8]?, Stat?)
    case string(Int32, String?, Stat?)
    case strings(Int32, [String], Stat?)
    case acl(Int32, [ACL], Stat?)
    /// A multi's overall code; the per-step results are read from its buffers.
    case multi(Int32)

    var code: Int32 {
        switch self {
        case .void(let rc), .stat(let rc, _), .data(let rc, _, _), .string(let rc, _, _),
            .strings(let rc, _, _), .acl(let rc, _, _), .multi(let rc):
            return rc
        }
    }
}

extension CallbackRegistry {
    /// Watches of one client still waiting for their event (for tests and diagnostics).
    func pendingWatches(owner: UInt) -> Int {
        table.withLockedValue { table in
            table.entries.values.filter {
                if case .watch(let entryOwner, _) = $0 { return entryOwner == owner }
                return false
            }.count
        }
    }
}
