import CZooKeeper
import NIOConcurrencyHelpers

/// ZooKeeper's limit on a node's data (`jute.maxbuffer`, 1 MiB by default).
public let maxNodeDataSize = 1024 * 1024

extension ZooKeeperClient {
    /// Creates a node; returns its path (with the sequence suffix for sequential modes) and Stat.
    @discardableResult
    public func create(
        _ path: String, data: [UInt8] = [], mode: CreateMode = .persistent, acl: [ACL] = ACL.openUnsafe
    ) async throws -> (path: String, stat: Stat) {
        try checkSize(data, "create", path)
        let vector = CACLVector(acl)
        return try await submit("create", path: path) { handle, context in
            withBytes(data) { bytes, count in
                vector.withPointer { aclPointer in
                    zoo_acreate2(
                        handle, path, bytes, count, aclPointer, mode.cFlags, CCallbacks.stringStat, context)
                }
            }
        } decode: { reply in
            guard case .string(_, let created, let stat) = reply, let created, let stat else {
                throw ZooKeeperError(.marshallingError, operation: "create", path: path)
            }
            return (created, stat)
        }
    }

    /// Reads a node's data (bytes, binary-safe) and Stat.
    public func get(_ path: String) async throws -> (data: [UInt8], stat: Stat) {
        try await getData(path, watch: nil)
    }

    /// Reads a node's data and leaves a watch that fires once on its change or deletion.
    public func getAndWatch(_ path: String) async throws -> (data: [UInt8], stat: Stat, watch: Watch) {
        let watch = makeWatch()
        let (data, stat) = try await getData(path, watch: watch)
        return (data, stat, watch.watch)
    }

    /// Replaces a node's data if its version matches (`anyVersion` skips the check).
    @discardableResult
    public func set(_ path: String, data: [UInt8], version: Int32 = anyVersion) async throws -> Stat {
        try checkSize(data, "set", path)
        return try await submit("set", path: path) { handle, context in
            withBytes(data) { bytes, count in
                zoo_aset(handle, path, bytes, count, version, CCallbacks.stat, context)
            }
        } decode: { reply in
            guard case .stat(_, let stat?) = reply else {
                throw ZooKeeperError(.marshallingError, operation: "set", path: path)
            }
            return stat
        }
    }

    /// Deletes a node if its version matches (`anyVersion` skips the check).
    public func delete(_ path: String, version: Int32 = anyVersion) async throws {
        try await submit("delete", path: path) { handle, context in
            zoo_adelete(handle, path, version, CCallbacks.void, context)
        } decode: { _ in
            ()
        }
    }

    /// The node's Stat, or nil if it does not exist.
    public func exists(_ path: String) async throws -> Stat? {
        try await existsStat(path, watch: nil)
    }

    /// The node's Stat (or nil) and a watch that fires once when it is created, changed or deleted.
    public func existsAndWatch(_ path: String) async throws -> (stat: Stat?, watch: Watch) {
        let watch = makeWatch()
        let stat = try await existsStat(path, watch: watch)
        return (stat, watch.watch)
    }

    /// The node's children (names, unsorted as the server sends them) and its Stat.
    public func children(_ path: String) async throws -> (children: [String], stat: Stat) {
        try await childrenList(path, watch: nil)
    }

    /// The children and a watch that fires once when the list changes or the node is deleted.
    public func childrenAndWatch(_ path: String) async throws -> (children: [String], stat: Stat, watch: Watch) {
        let watch = makeWatch()
        let (children, stat) = try await childrenList(path, watch: watch)
        return (children, stat, watch.watch)
    }

    /// The node's ACL and Stat.
    public func getACL(_ path: String) async throws -> (acl: [ACL], stat: Stat) {
        try await submit("get ACL", path: path) { handle, context in
            zoo_aget_acl(handle, path, CCallbacks.acl, context)
        } decode: { reply in
            guard case .acl(_, let acl, let stat?) = reply else {
                throw ZooKeeperError(.marshallingError, operation: "get ACL", path: path)
            }
            return (acl, stat)
        }
    }

    /// Replaces the node's ACL if its ACL version (`Stat.aversion`) matches.
    public func setACL(_ path: String, acl: [ACL], version: Int32 = anyVersion) async throws {
        let vector = CACLVector(acl)
        try await submit("set ACL", path: path) { handle, context in
            vector.withPointer { aclPointer in
                zoo_aset_acl(
                    handle, path, version, UnsafeMutablePointer(mutating: aclPointer), CCallbacks.void, context)
            }
        } decode: { _ in
            ()
        }
    }

    /// Creates `path` and every missing parent as persistent nodes with empty data and `acl`;
    /// nodes that exist already are left as they are. Returns the paths it created.
    @discardableResult
    public func ensurePath(_ path: String, acl: [ACL] = ACL.openUnsafe) async throws -> [String] {
        guard path.hasPrefix("/"), path != "/", !path.hasSuffix("/") else {
            throw ZooKeeperError(.badArguments, operation: "ensure path", path: path)
        }
        var created: [String] = []
        var prefix = ""
        for component in path.split(separator: "/", omittingEmptySubsequences: false).dropFirst() {
            prefix += "/\(component)"
            do {
                try await create(prefix, acl: acl)
                created.append(prefix)
            } catch let error as ZooKeeperError where error.code == .nodeExists {
                continue
            } catch let error as ZooKeeperError where error.code == .noAuth {
                // The server checks the parent's CREATE right before existence: an existing node
                // under a parent this session may not write to is still fine.
                if try await exists(prefix) != nil { continue }
                throw error
            }
        }
        return created
    }

    /// Runs the operations as one transaction: all of them or none.
    /// Throws `MultiError` (with every step's code) when a step fails.
    public func multi(_ operations: [Operation]) async throws -> [OperationResult] {
        if operations.isEmpty { return [] }
        let buffers = MultiBuffers(operations)
        let token = NIOLockedValueBox<UInt>(0)
        do {
            let results = try await submitMulti(buffers) { registered in token.withLockedValue { $0 = registered } }
            core.release(bufferFor: token.withLockedValue { $0 })
            return results
        } catch let error as ZooKeeperError where error.code == .closing {
            // The C client may still write the results until `zookeeper_close` returns; the
            // session core keeps the buffers until then.
            throw error
        } catch {
            core.release(bufferFor: token.withLockedValue { $0 })
            throw error
        }
    }

    // MARK: Internals

    private struct PendingWatch {
        let watch: Watch
        let token: UInt
    }

    private func makeWatch() -> PendingWatch {
        let promise = Promise<WatchEvent>()
        let token = CallbackRegistry.shared.add(.watch(owner: core.token, promise: promise))
        return PendingWatch(watch: Watch(promise: promise), token: token)
    }

    /// A watch the server did not register (the read failed) will never fire: forget it.
    private func discard(_ watch: PendingWatch?) {
        if let watch { _ = CallbackRegistry.shared.take(watch.token) }
    }

    private func watcherContext(_ watch: PendingWatch?) -> UnsafeMutableRawPointer? {
        watch.map { UnsafeMutableRawPointer(mutating: herald_token_to_context(UInt($0.token))) }
    }

    private func getData(_ path: String, watch: PendingWatch?) async throws -> ([UInt8], Stat) {
        let watcher = watch == nil ? nil : CCallbacks.nodeWatcher
        let watcherContext = watcherContext(watch)
        do {
            return try await submit("get", path: path) { handle, context in
                zoo_awget(handle, path, watcher, watcherContext, CCallbacks.data, context)
            } decode: { reply in
                guard case .data(_, let data, let stat?) = reply else {
                    throw ZooKeeperError(.marshallingError, operation: "get", path: path)
                }
                return (data ?? [], stat)
            }
        } catch {
            discard(watch)
            throw error
        }
    }

    private func existsStat(_ path: String, watch: PendingWatch?) async throws -> Stat? {
        let watcher = watch == nil ? nil : CCallbacks.nodeWatcher
        let watcherContext = watcherContext(watch)
        do {
            return try await submit("exists", path: path) { handle, context in
                zoo_awexists(handle, path, watcher, watcherContext, CCallbacks.stat, context)
            } decode: { reply in
                guard case .stat(_, let stat?) = reply else {
                    throw ZooKeeperError(.marshallingError, operation: "exists", path: path)
                }
                return stat
            }
        } catch let error as ZooKeeperError where error.code == .noNode {
            // The server keeps an exists watch on a missing node: it fires on creation.
            return nil
        } catch {
            discard(watch)
            throw error
        }
    }

    private func childrenList(_ path: String, watch: PendingWatch?) async throws -> ([String], Stat) {
        let watcher = watch == nil ? nil : CCallbacks.nodeWatcher
        let watcherContext = watcherContext(watch)
        do {
            return try await submit("get children", path: path) { handle, context in
                zoo_awget_children2(handle, path, watcher, watcherContext, CCallbacks.stringsStat, context)
            } decode: { reply in
                guard case .strings(_, let children, let stat?) = reply else {
                    throw ZooKeeperError(.marshallingError, operation: "get children", path: path)
                }
                return (children, stat)
            }
        } catch {
            discard(watch)
            throw error
        }
    }

    private func submitMulti(
        _ buffers: MultiBuffers, registered: (UInt) -> Void
    ) async throws -> [OperationResult] {
        let core = self.core
        let count = Int32(buffers.operations.count)
        do {
            return try await submit("multi", path: buffers.operations.first?.path) { handle, context in
                let token = UInt(bitPattern: context.map { Int(bitPattern: $0) } ?? 0)
                core.retain(buffers, for: token)
                registered(token)
                return zoo_amulti(handle, count, buffers.ops, buffers.results, CCallbacks.multi, context)
            } decode: { _ in
                buffers.operationResults
            }
        } catch let error as ZooKeeperError
            where error.operation == "multi" && ZooKeeperClient.stepCodes.contains(error.code)
        {
            // Only a step's own failure is a MultiError; a failure of the whole request (closing,
            // connection loss, timeout, expiry…) is rethrown as it is. The code is checked before
            // the buffers are read: during close the C client may still be writing them.
            let codes = buffers.codes
            guard let index = codes.firstIndex(where: { $0 != nil && $0 != .runtimeInconsistency }) else {
                throw error
            }
            let operation = buffers.operations[index]
            throw MultiError(
                failedIndex: index, codes: codes,
                error: ZooKeeperError(codes[index]!, operation: "multi \(operation.name)", path: operation.path))
        }
    }
}

extension ZooKeeperClient {
    /// Codes a single step of a multi fails with (as opposed to the whole request).
    static let stepCodes: Set<ZooKeeperError.Code> = [
        .noNode, .nodeExists, .badVersion, .notEmpty, .noChildrenForEphemerals, .invalidACL, .noAuth,
        .ephemeralOnLocalSession,
    ]

    /// Refuses data over ZooKeeper's limit before sending: the server would drop the connection
    /// and every request in flight would fail with connection loss.
    func checkSize(_ data: [UInt8], _ operation: String, _ path: String) throws {
        if data.count > maxNodeDataSize {
            throw ZooKeeperError(.badArguments, operation: "\(operation) (\(data.count) bytes > 1 MiB)", path: path)
        }
    }
}

/// Passes bytes to C as `(const char *, int)`; an empty array is sent as empty data, not null.
private func withBytes<R>(_ data: [UInt8], _ body: (UnsafePointer<CChar>?, Int32) -> R) -> R {
    data.withUnsafeBufferPointer { buffer in
        buffer.withMemoryRebound(to: CChar.self) { chars in
            if let base = chars.baseAddress { return body(base, Int32(chars.count)) }
            return withUnsafePointer(to: CChar(0)) { body($0, 0) }
        }
    }
}
