import CZooKeeper
import HeraldSupport
public import Logging
import NIOPosix

/// An async client for one ZooKeeper session, over the C client (`libzookeeper_mt`).
///
/// Reconnection to the next server is the C client's; this type reports it through
/// `sessionEvents()`. A session that expired stays expired: make a new client. Always `close()`
/// a client; a client dropped without it is closed in the background.
public final class ZooKeeperClient: Sendable {
    let core: SessionCore
    public let configuration: ZooKeeperConfiguration

    /// Sends the C client's own log lines to `logger` (once per process; the last call wins).
    public static func bootstrapLogging(_ logger: Logger) {
        LogBridge.install(logger)
    }

    /// Starts a session and returns at once; the C client connects in the background.
    /// Throws if the C client refuses the server list.
    ///
    /// `zookeeper_init` resolves the server names and starts two threads: it may block. Call it
    /// through `open(configuration:logger:sessionHandler:)` from async code.
    ///
    /// - Parameter sessionHandler: called on the C client's completion thread with every session
    ///   event, from the very first: it must only hand the event on (e.g. yield it into a stream).
    ///   Watch callbacks (`Watch.onFire`) run on the same thread, so a handler that yields into
    ///   the same stream as they do keeps session and watch events in the server's order.
    public init(
        configuration: ZooKeeperConfiguration, logger: Logger,
        sessionHandler: (@Sendable (SessionEvent) -> Void)? = nil
    ) throws {
        self.configuration = configuration
        self.core = SessionCore(logger: logger)
        if let sessionHandler { core.subscribe(handler: sessionHandler) }
        let token = core.register()
        LogBridge.applyCurrentLevel()
        var clientID = clientid_t()
        if let resume = configuration.resume {
            clientID.client_id = resume.id
            withUnsafeMutableBytes(of: &clientID.passwd) { raw in
                for (index, byte) in resume.password.prefix(raw.count).enumerated() {
                    raw[index] = byte
                }
            }
        }
        let flags = (configuration.allowReadOnly ? ZOO_READONLY : 0) | ZOO_NO_LOG_CLIENTENV
        let timeout = Int32(clamping: configuration.sessionTimeout.milliseconds)
        let pointer = withUnsafePointer(to: &clientID) { clientIDPointer in
            zookeeper_init2(
                configuration.servers, CCallbacks.sessionWatcher, timeout,
                configuration.resume == nil ? nil : clientIDPointer,
                UnsafeMutableRawPointer(mutating: herald_token_to_context(UInt(token))),
                Int32(flags), LogBridge.callback)
        }
        guard let pointer else {
            _ = CallbackRegistry.shared.take(token)
            throw ZooKeeperError(
                .badArguments,
                operation: "connect to \(configuration.servers) (no server address could be resolved or parsed)")
        }
        if let interval = configuration.hostResolutionInterval {
            zoo_set_servers_resolution_delay(pointer, Int32(clamping: max(1, interval.milliseconds)))
        }
        core.attach(pointer)
    }

    /// `init(configuration:logger:sessionHandler:)` on a thread of `BlockingPool`, never on
    /// the cooperative pool (which has as many threads as cores, two on a small host).
    public static func open(
        configuration: ZooKeeperConfiguration, logger: Logger,
        sessionHandler: (@Sendable (SessionEvent) -> Void)? = nil
    ) async throws -> ZooKeeperClient {
        try await BlockingPool.shared.runIfActive {
            try ZooKeeperClient(configuration: configuration, logger: logger, sessionHandler: sessionHandler)
        }
    }

    /// Connects, waits for the session (and for the digest credentials to be accepted).
    public static func connect(
        _ configuration: ZooKeeperConfiguration, logger: Logger
    ) async throws -> ZooKeeperClient {
        let client = try await open(configuration: configuration, logger: logger)
        do {
            try await client.waitUntilConnected(
                timeout: configuration.connectTimeout ?? configuration.sessionTimeout)
            if let credentials = configuration.credentials {
                try await client.addAuth(credentials)
            }
        } catch {
            await client.close()
            throw error
        }
        return client
    }

    deinit {
        core.closeDetached()
    }

    // MARK: Session

    /// The session's current state.
    public var state: SessionState { core.sessionState }

    /// The last connected session: id, negotiated timeout, server. Nil before the first connect.
    public var session: SessionInfo? { core.info }

    /// Every session event from now on, in order; finishes after `closed`.
    public func sessionEvents() -> AsyncStream<SessionEvent> { core.subscribe().events }

    /// Waits until the session is connected (or read-only, when allowed).
    public func waitUntilConnected(timeout: Duration) async throws {
        let allowReadOnly = configuration.allowReadOnly
        @Sendable func settled(_ state: SessionState) throws -> Bool {
            switch state {
            case .connected: return true
            case .readOnly: return allowReadOnly
            case .connecting: return false
            case .expired: throw ZooKeeperError(.sessionExpired, operation: "connect")
            case .authFailed: throw ZooKeeperError(.authFailed, operation: "connect")
            case .closed: throw ZooKeeperError(.closing, operation: "connect")
            }
        }
        if try settled(state) { return }
        let (events, unsubscribe) = core.subscribe()
        defer { unsubscribe() }
        let servers = configuration.servers
        // The state may have settled between the first check and the subscription.
        if try settled(self.state) { return }
        let connected: Bool
        do {
            connected = try await withTimeout(timeout) {
                for await event in events where try settled(event.state) { return true }
                return false
            }
        } catch is TimeoutExpired {
            connected = false
        }
        if !connected {
            throw ZooKeeperError(.operationTimeout, operation: "connect to \(servers) within \(timeout)")
        }
    }

    /// `setServers(_:)` on `BlockingPool`: `zoo_set_servers` resolves the names, which may block.
    public func setServers(_ servers: String) async throws {
        try await BlockingPool.shared.runIfActive { try self.setServers(servers) }
    }

    /// Replaces the server list of a live session (`zoo_set_servers`); the C client rebalances.
    /// It resolves the names and may block: from async code the async variant is chosen.
    public func setServers(_ servers: String) throws {
        let rc = core.withHandle { zoo_set_servers($0, servers) } ?? ZooKeeperError.Code.closing.rawValue
        if rc != 0 { throw ZooKeeperError(.init(rawValue: rc), operation: "set servers to \(servers)") }
    }

    /// Adds digest credentials to the session (`zoo_add_auth` with `user:secret`).
    public func addAuth(_ credentials: ZooKeeperConfiguration.DigestCredentials) async throws {
        try await addAuth(scheme: "digest", credential: credentials.authData)
    }

    /// Adds credentials to the session (`digest` with `user:secret`); waits for the verdict.
    public func addAuth(scheme: String, credential: [UInt8]) async throws {
        try await submit("add auth (\(scheme))", path: nil) { handle, context in
            credential.withUnsafeBufferPointer { bytes in
                bytes.withMemoryRebound(to: CChar.self) { chars in
                    zoo_add_auth(handle, scheme, chars.baseAddress, Int32(chars.count), CCallbacks.void, context)
                }
            }
        } decode: { _ in
            ()
        }
    }

    /// Closes the session: pending requests and watches fail with `closing`, subscribers get
    /// `closed`, the C client's threads are joined. Safe to call more than once.
    public func close() async {
        await core.close()
    }

    // MARK: Requests

    /// Queues one C request whose completion resumes the caller; the reply's code is checked
    /// before `decode` sees it.
    func submit<Value: Sendable>(
        _ operation: String, path: String?,
        _ call: (OpaquePointer, UnsafeRawPointer?) -> Int32,
        decode: @escaping @Sendable (Reply) throws -> Value
    ) async throws -> Value {
        if core.sessionState == .expired {
            throw ZooKeeperError(.sessionExpired, operation: operation, path: path)
        }
        let observer = configuration.requestObserver
        let start = ContinuousClock.now
        return try await withCheckedThrowingContinuation { continuation in
            let token = CallbackRegistry.shared.add(
                .request(owner: core.token) { reply in
                    observer?(operation, ContinuousClock.now - start)
                    continuation.resume(
                        with: Result {
                            guard reply.code == 0 else {
                                throw ZooKeeperError(.init(rawValue: reply.code), operation: operation, path: path)
                            }
                            return try decode(reply)
                        })
                })
            let rc =
                core.withHandle { call($0, herald_token_to_context(UInt(token))) }
                ?? ZooKeeperError.Code.closing.rawValue
            if rc != 0, case .request? = CallbackRegistry.shared.take(token) {
                var code = ZooKeeperError.Code(rawValue: rc)
                if code == .invalidState, core.sessionState == .expired { code = .sessionExpired }
                continuation.resume(throwing: ZooKeeperError(code, operation: operation, path: path))
            }
        }
    }
}
