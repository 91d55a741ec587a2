import CZooKeeper
import Dispatch
import HeraldSupport
import Logging
import NIOConcurrencyHelpers
import NIOPosix

/// The handle, its session state and its subscribers; shared by the public client and the C
/// session watcher (through the registry, by token).
///
/// Two locks: `handle` guards the `zhandle_t*` against `close()` while a request is being queued
/// (the C calls made under it never block and never call back), and `state` guards what the
/// session watcher updates on the completion thread. `state` may be taken while `handle` is held
/// (a multi retains its buffers), never the other way round.
final class SessionCore: Sendable {
    let logger: Logger
    /// The session watcher's registry token, which also marks this client's requests and watches.
    let token: UInt = CallbackRegistry.shared.reserve()

    private struct HandleBox: @unchecked Sendable {
        // The pointer is only dereferenced by the C client; Swift passes it on.
        let pointer: OpaquePointer
    }

    private struct State {
        var session: SessionState = .connecting
        var info: SessionInfo?
        /// Buffers of in-flight `multi` requests, kept until C is done with them.
        var multiBuffers: [UInt: MultiBuffers] = [:]
    }

    private let handle = NIOLockedValueBox<HandleBox?>(nil)
    private let state = NIOLockedValueBox(State())
    /// Told of every session event: streams, and handlers called on the completion thread itself
    /// (so that their events keep their order with watch callbacks). Added to and read under
    /// `state`'s lock, so that who is told agrees with the state each event leaves.
    private let subscribers = Broadcaster<SessionEvent>()
    private let closed = Promise<Void>()

    init(logger: Logger) {
        self.logger = logger
    }

    /// Publishes the session watcher under `token`; called once, before the handle exists.
    func register() -> UInt {
        CallbackRegistry.shared.set(token, .session(self))
        return token
    }

    func attach(_ pointer: OpaquePointer) {
        handle.withLockedValue { $0 = HandleBox(pointer: pointer) }
    }

    var sessionState: SessionState { state.withLockedValue { $0.session } }
    var info: SessionInfo? { state.withLockedValue { $0.info } }

    /// Runs a non-blocking C call with the live handle, or returns nil once closing started.
    func withHandle(_ body: (OpaquePointer) -> Int32) -> Int32? {
        handle.withLockedValue { box in box.map { body($0.pointer) } }
    }

    // MARK: Session events (completion thread)

    func sessionEvent(state cState: Int32, handle pointer: OpaquePointer) {
        let newState: SessionState
        switch cState {
        case ZOO_CONNECTED_STATE: newState = .connected
        case ZOO_READONLY_STATE: newState = .readOnly
        case ZOO_EXPIRED_SESSION_STATE: newState = .expired
        case ZOO_AUTH_FAILED_STATE: newState = .authFailed
        default: newState = .connecting
        }
        var info: SessionInfo?
        if newState == .connected || newState == .readOnly {
            info = Self.readInfo(pointer)
        }
        let (event, receivers): (SessionEvent?, Broadcaster<SessionEvent>.Receivers?) =
            state.withLockedValue { state in
                guard !state.session.isTerminal else { return (nil, nil) }
                let previous = state.session
                state.session = newState
                if let info { state.info = info }
                let event: SessionEvent?
                switch newState {
                case .connected: event = .connected(info!)
                case .readOnly: event = .readOnly(info!)
                case .expired: event = .expired
                case .authFailed: event = .authFailed
                case .connecting: event = previous == .connecting ? nil : .connecting
                case .closed: event = nil
                }
                return (event, subscribers.receivers())
            }
        guard let event else { return }
        logger.debug("ZooKeeper session event", metadata: ["event": "\(event)"])
        receivers?.yield(event)
        if newState.isTerminal {
            failWatches(ZooKeeperError(newState == .expired ? .sessionExpired : .authFailed, operation: "watch"))
        }
    }

    private static func readInfo(_ pointer: OpaquePointer) -> SessionInfo {
        var id: Int64 = 0
        var password = [UInt8](repeating: 0, count: 16)
        if let client = zoo_client_id(pointer) {
            id = client.pointee.client_id
            withUnsafeBytes(of: client.pointee.passwd) { raw in
                for index in 0..<min(16, raw.count) { password[index] = raw[index] }
            }
        }
        return SessionInfo(
            credentials: SessionCredentials(id: id, password: password),
            negotiatedTimeout: .milliseconds(Int(zoo_recv_timeout(pointer))),
            server: connectedServer(pointer)
        )
    }

    /// `host:port` of the server this handle's socket is connected to (`[host]:port` for IPv6),
    /// from the socket's peer address; nil when not connected read-write.
    ///
    /// Not `zoo_get_current_server`: in the C client 3.8.0 it formats into one buffer shared by
    /// every handle of the process (ZOOKEEPER-4810), which another handle's I/O thread may
    /// overwrite between the call and the copy, so a process with several sessions could name
    /// another session's server.
    static func connectedServer(_ pointer: OpaquePointer) -> String? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        return withUnsafeMutablePointer(to: &storage) { storage in
            storage.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                guard zookeeper_get_connected_host(pointer, address, &length) != nil else { return nil }
                return format(address)
            }
        }
    }

    /// `host:port`, or `[host]:port` for IPv6, of an IPv4 or IPv6 socket address.
    static func format(_ address: UnsafePointer<sockaddr>) -> String? {
        switch Int32(address.pointee.sa_family) {
        case AF_INET:
            return address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { ipv4 in
                var bytes = ipv4.pointee.sin_addr
                return text(AF_INET, &bytes).map { "\($0):\(UInt16(bigEndian: ipv4.pointee.sin_port))" }
            }
        case AF_INET6:
            return address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { ipv6 in
                var bytes = ipv6.pointee.sin6_addr
                return text(AF_INET6, &bytes).map { "[\($0)]:\(UInt16(bigEndian: ipv6.pointee.sin6_port))" }
            }
        default:
            return nil
        }
    }

    /// An address' text form (`inet_ntop`).
    private static func text(_ family: Int32, _ bytes: UnsafeRawPointer) -> String? {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: Int(INET6_ADDRSTRLEN) + 1) { buffer in
            inet_ntop(family, bytes, buffer.baseAddress, socklen_t(buffer.count)).map { String(cString: $0) }
        }
    }

    // MARK: Subscribers

    /// A stream of session events from now on, and a function that ends it early (the stream
    /// also ends when its consumer is cancelled, and after `closed`).
    func subscribe() -> (events: AsyncStream<SessionEvent>, cancel: @Sendable () -> Void) {
        let (stream, continuation) = AsyncStream<SessionEvent>.makeStream()
        // Removed from `subscribers` when its consumer ends.
        let key = add { $0.add(continuation) }
        guard let key else {
            continuation.yield(.closed)
            continuation.finish()
            return (stream, {})
        }
        // A terminal state reached before this subscription would otherwise never be told.
        switch sessionState {
        case .expired: continuation.yield(.expired)
        case .authFailed: continuation.yield(.authFailed)
        default: break
        }
        return (stream, { [subscribers] in subscribers.remove(key) })
    }

    /// Calls `handler` on the completion thread with every session event from now on; registered
    /// before the handle exists, it misses none. It must only hand the event on.
    func subscribe(handler: @escaping @Sendable (SessionEvent) -> Void) {
        _ = add { $0.add(handler: handler) }
    }

    /// Adds a subscriber unless the client is closed (nil then).
    private func add(
        _ body: (Broadcaster<SessionEvent>) -> Broadcaster<SessionEvent>.Key
    ) -> Broadcaster<SessionEvent>.Key? {
        state.withLockedValue { state in
            guard state.session != .closed else { return nil }
            return body(subscribers)
        }
    }

    // MARK: Multi buffers

    func retain(_ buffers: MultiBuffers, for token: UInt) {
        state.withLockedValue { $0.multiBuffers[token] = buffers }
    }

    func release(bufferFor token: UInt) {
        _ = state.withLockedValue { $0.multiBuffers.removeValue(forKey: token) }
    }

    // MARK: Closing

    private func failWatches(_ error: ZooKeeperError) {
        for entry in CallbackRegistry.shared.takeAll(owner: token, includeRequests: false) {
            if case .watch(_, let promise) = entry { promise.fulfil(.failure(error)) }
        }
    }

    /// Stops new requests, fails everything pending, tells subscribers; returns the handle to
    /// close, or nil if closing had started already.
    private func beginClose() -> HandleBox? {
        guard
            let box = handle.withLockedValue({ box -> HandleBox? in
                defer { box = nil }; return box
            })
        else { return nil }
        let receivers = state.withLockedValue { state in
            state.session = .closed
            return subscribers.removeAll()
        }
        receivers.yield(.closed)
        receivers.finish()
        for entry in CallbackRegistry.shared.takeAll(owner: token, includeRequests: true) {
            switch entry {
            case .request(_, let complete): complete(.void(ZooKeeperError.Code.closing.rawValue))
            case .watch(_, let promise):
                promise.fulfil(.failure(ZooKeeperError(.closing, operation: "watch")))
            case .session: break
            }
        }
        return box
    }

    /// `zookeeper_close` blocks (it flushes and joins the C client's threads): it runs on
    /// `BlockingPool`, as `zookeeper_init` does (`ZooKeeperClient.open`), never on the cooperative
    /// pool and never on a C callback thread.
    private func finishClose(_ box: HandleBox) {
        BlockingPool.shared.submit { [self] _ in
            zookeeper_close(box.pointer)
            _ = CallbackRegistry.shared.take(token)
            state.withLockedValue { $0.multiBuffers = [:] }
            closed.fulfil(.success(()))
        }
    }

    func close() async {
        if let box = beginClose() { finishClose(box) }
        _ = await closed.result()
    }

    /// For a client dropped without `close()`: the same, without waiting.
    func closeDetached() {
        if let box = beginClose() { finishClose(box) }
    }
}

extension SessionState {
    var isTerminal: Bool { self == .expired || self == .authFailed || self == .closed }
}
