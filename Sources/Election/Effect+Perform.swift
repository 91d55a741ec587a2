import ElectionModel
import Logging
import ZooKeeper

/// Carrying out one effect: the request, wait or timer, and the input it posts back.
extension Effect {
    func perform(_ context: Context) async {
        let post = context.post
        let count = context.count
        switch self {
        case .openSession(let generation, let delay):
            if delay > .zero {
                guard (try? await Task.sleep(for: delay)) != nil else { return }
            }
            var zooKeeper = context.zooKeeper()
            zooKeeper.resume = nil
            zooKeeper.allowReadOnly = false
            do {
                // Session events are handed on from the completion thread, as watch events are.
                let client = try await ZooKeeperClient.open(configuration: zooKeeper, logger: context.logger) {
                    post.yield(.session($0, generation: generation))
                }
                context.sessions.insert(client, generation: generation)
                post.yield(.sessionOpened(generation: generation))
            } catch {
                post.yield(.sessionOpenFailed(generation: generation, error: "\(error)"))
            }
        case .authenticate(let generation, let credential):
            guard let client = context.sessions[generation] else { return }
            count { $0.requests += 1 }
            do {
                try await client.addAuth(scheme: "digest", credential: credential)
                post.yield(.authenticated(generation: generation, error: nil))
            } catch {
                post.yield(.authenticated(generation: generation, error: Self.zooKeeperError(error, "add auth")))
            }
        case .read(let generation, let basePath, let watch, let known):
            guard let client = context.sessions[generation] else { return }
            do {
                let result = try await Self.read(client, basePath: basePath, watch: watch, known: known, count: count)
                post.yield(.readDone(generation: generation, result))
            } catch {
                post.yield(.readFailed(generation: generation, Self.zooKeeperError(error, "read \(basePath)")))
            }
        case .awaitWatch(let watch, let generation):
            // Handed on from the completion thread, so watch events reach the loop in server order.
            watch.onFire { result in
                guard case .success = result else { return }
                count { $0.watchEvents += 1 }
                post.yield(.watchFired(generation: generation))
            }
        case .watchPredecessor(let generation, let path, let name, let children):
            guard let client = context.sessions[generation] else { return }
            count { $0.requests += 1 }
            guard let (stat, watch) = try? await client.existsAndWatch(path) else { return }
            guard stat != nil else {
                post.yield(.predecessorGone(generation: generation, name: name, exact: false))
                return
            }
            count { $0.predecessorWatches += 1 }
            watch.onFire { result in
                guard case .success(let event) = result, event.kind == .deleted else { return }
                // The server sends a node's NodeDeleted before its parent's NodeChildrenChanged:
                // if the children watch has not fired yet, nothing else changed since the last read.
                count { $0.watchEvents += 1 }
                post.yield(.predecessorGone(generation: generation, name: name, exact: children.intact))
            }
        case .retryRead(let generation, let delay):
            guard (try? await Task.sleep(for: delay)) != nil else { return }
            post.yield(.retryRead(generation: generation))
        case .sessionTimer(let delay, let generation, let disconnect):
            guard (try? await Task.sleep(for: delay)) != nil else { return }
            post.yield(.sessionTimer(generation: generation, disconnect: disconnect))
        case .create(let contender, let generation, let request):
            guard let client = context.sessions[generation] else {
                post.yield(
                    .createFailed(
                        contender, generation: generation, error: ZooKeeperError(.closing, operation: "create"))
                )
                return
            }
            do {
                let (name, stat) = try await Self.findOrCreate(client, request, count: count)
                post.yield(.created(contender, generation: generation, name: name, stat: stat))
            } catch {
                post.yield(
                    .createFailed(contender, generation: generation, error: Self.zooKeeperError(error, "create")))
            }
        case .retryCreate(let contender, let generation, let delay):
            guard (try? await Task.sleep(for: delay)) != nil else { return }
            post.yield(.retryCreate(contender, generation: generation))
        case .delete(let generation, let path, let gate):
            if let gate { await gate() }
            guard let client = context.sessions[generation] else {
                post.yield(
                    .deleted(path: path, generation: generation, error: ZooKeeperError(.closing, operation: "delete")))
                return
            }
            count { $0.requests += 1 }
            do {
                try await client.delete(path)
                post.yield(.deleted(path: path, generation: generation, error: nil))
            } catch {
                let failure = Self.zooKeeperError(error, "delete")
                post.yield(.deleted(path: path, generation: generation, error: failure.code == .noNode ? nil : failure))
            }
        case .close(let generation):
            // `close` joins the C client's threads on a Dispatch thread, not on this one.
            await context.sessions.remove(generation)?.close()
        case .setServers(let generation, let servers):
            do {
                try await context.sessions[generation]?.setServers(servers)
            } catch {
                context.logger.warning("cannot apply the new ZooKeeper servers", metadata: ["error": "\(error)"])
            }
        case .resume(let continuation):
            continuation.resume()
        case .heartbeatTimer(let generation, let delay):
            guard (try? await Task.sleep(for: delay)) != nil else { return }
            post.yield(.heartbeatDue(generation: generation))
        case .heartbeat(let generation, let path, let children):
            guard let client = context.sessions[generation] else { return }
            let sentAt = ContinuousClock.now
            count { $0.heartbeats += 1 }
            // Any reply proves the session was alive when the request left.
            guard (try? await client.exists(path)) != nil else {
                post.yield(.heartbeatFailed(generation: generation))
                return
            }
            post.yield(.heartbeatDone(generation: generation, sentAt: sentAt, childrenIntact: children.intact))
        case .leaseTimer(let generation, let deadline):
            guard (try? await Task.sleep(until: deadline, clock: .continuous)) != nil else { return }
            post.yield(.leaseCheck(generation: generation))
        }
    }

    static func zooKeeperError(_ error: any Error, _ operation: String) -> ZooKeeperError {
        (error as? ZooKeeperError) ?? ZooKeeperError(.systemError, operation: "\(operation): \(error)")
    }
}
