import CZooKeeper

/// The C entry points. They run on the C client's completion thread and only copy, look up the
/// token and resume: no blocking, no calls back into the C client (CONVENTIONS item 5).
enum CCallbacks {
    static func token(_ context: UnsafeRawPointer?) -> UInt {
        UInt(herald_context_to_token(context))
    }

    static func deliver(_ context: UnsafeRawPointer?, _ reply: Reply) {
        guard case .request(_, let complete)? = CallbackRegistry.shared.take(token(context)) else {
            return
        }
        complete(reply)
    }

    static let void: void_completion_t = { rc, context in
        deliver(context, .void(rc))
    }

    static let multi: void_completion_t = { rc, context in
        deliver(context, .multi(rc))
    }

    static let stat: stat_completion_t = { rc, stat, context in
        deliver(context, .stat(rc, stat.map { Stat($0.pointee) }))
    }

    static let data: data_completion_t = { rc, value, length, stat, context in
        var bytes: [UInt8]? = nil
        if let value, length >= 0 {
            bytes = Array(UnsafeRawBufferPointer(start: value, count: Int(length)))
        }
        deliver(context, .data(rc, bytes, stat.map { Stat($0.pointee) }))
    }

    static let stringStat: string_stat_completion_t = { rc, value, stat, context in
        deliver(context, .string(rc, value.map { String(cString: $0) }, stat.map { Stat($0.pointee) }))
    }

    static let stringsStat: strings_stat_completion_t = { rc, strings, stat, context in
        deliver(context, .strings(rc, CVectors.strings(strings), stat.map { Stat($0.pointee) }))
    }

    static let acl: acl_completion_t = { rc, acl, stat, context in
        deliver(context, .acl(rc, CVectors.acls(acl), stat.map { Stat($0.pointee) }))
    }

    /// The handle's default watcher: session events only (node watches use `nodeWatcher`).
    static let sessionWatcher: watcher_fn = { handle, type, state, _, context in
        guard type == ZOO_SESSION_EVENT, let handle,
            case .session(let core)? = CallbackRegistry.shared.peek(token(context))
        else { return }
        core.sessionEvent(state: state, handle: handle)
    }

    /// A node watch. The C client also calls it with every session event and keeps it
    /// registered until the node event; only a terminal session state fails it.
    static let nodeWatcher: watcher_fn = { _, type, state, path, context in
        let token = token(context)
        if type == ZOO_SESSION_EVENT {
            guard state == ZOO_EXPIRED_SESSION_STATE || state == ZOO_AUTH_FAILED_STATE,
                case .watch(_, let promise)? = CallbackRegistry.shared.take(token)
            else { return }
            let code: ZooKeeperError.Code = state == ZOO_AUTH_FAILED_STATE ? .authFailed : .sessionExpired
            promise.fulfil(.failure(ZooKeeperError(code, operation: "watch")))
            return
        }
        guard case .watch(_, let promise)? = CallbackRegistry.shared.take(token) else { return }
        let kind = WatchEvent.Kind(cType: type) ?? .notWatching
        promise.fulfil(.success(WatchEvent(kind: kind, path: path.map { String(cString: $0) } ?? "")))
    }
}
