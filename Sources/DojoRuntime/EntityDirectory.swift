public import DojoDomain
import DojoStorage
public import Foundation
import Logging
import Synchronization
import Tracing

/// The resident actors of one kind, keyed by id: activates on first use (once, however many callers
/// arrive together), passivates the idle and, past the cap, the least recently used, and replaces
/// an actor that stepped down.
public final class EntityDirectory<A: Aggregate>: Sendable {
    private enum Entry {
        case activating(Task<EntityActor<A>, any Error>, generation: Int)
        /// `generation`: the node's ownership generation the actor was activated in (0 alone).
        case active(EntityActor<A>, lastUsed: ContinuousClock.Instant, generation: Int)
    }

    private struct Entries {
        var map: [String: Entry] = [:]
        var residentCount = 0
        var accepting = true
        var activations = 0
        var passivations = 0
    }

    private let entries = Mutex(Entries())
    private let environment: ActorEnvironment
    /// Entities another node owned when last asked, for a second: commands for them go straight
    /// there, without a claim in Redis each time. A node that no longer owns one says so (`moved`)
    /// and the next attempt asks again.
    private let remoteOwners = Mutex<[String: (node: String, until: ContinuousClock.Instant)]>([:])

    init(environment: ActorEnvironment) {
        self.environment = environment
    }

    /// Actors resident now.
    public var residentCount: Int { entries.withLock { $0.residentCount } }
    /// Activations and passivations since start.
    public var counts: (activations: Int, passivations: Int) { entries.withLock { ($0.activations, $0.passivations) } }

    /// Sends a command to the entity `id`, activating it if needed.
    ///
    /// - Parameters:
    ///   - commandID: makes the command idempotent: a repeat within the actor's window returns the
    ///     original sequence numbers and appends nothing.
    ///   - cause: the source event of a reaction; a cause already applied is not applied again.
    /// - Throws: ``DomainError`` when the command is refused; ``RuntimeError`` `busy`,
    ///   `unavailable`, `fenced` (after one transparent retry) or `shutting_down`.
    public func send(
        _ id: String,
        _ command: A.Command,
        context: CommandContext,
        commandID: String? = nil,
        cause: Cause? = nil
    ) async throws -> CommandResult<A> {
        let request = ForwardedRequest<A>(command: command, context: context, commandID: commandID, cause: cause)
        if let node = knownOwner(id), let answer = try await forwardOrForget(request, id: id, to: node) {
            return try answer.result()
        }
        do {
            return try await sendHere(id, command, context: context, commandID: commandID, cause: cause)
        } catch let owner as NotOwner {
            remember(id, owner: owner.node)
            do {
                return try await forward(request, id: id, to: owner.node).result()
            } catch let error as ForwardingError {
                _ = remoteOwners.withLock { $0.removeValue(forKey: id) }
                throw RuntimeError(.unavailable, "\(error); its actors go to another node when its membership lapses: retry")
            }
        }
    }

    private func knownOwner(_ id: String) -> String? {
        remoteOwners.withLock { owners in
            guard let known = owners[id], known.until > .now else { return nil }
            return known.node
        }
    }

    private func remember(_ id: String, owner node: String) {
        remoteOwners.withLock { owners in
            if owners.count > 100_000 { owners.removeAll() }
            owners[id] = (node, .now + .seconds(1))
        }
    }

    /// Forwards to the owner last seen; nil (and the owner forgotten) when it no longer owns the
    /// entity or the request surely did not reach it, so the caller asks again. A forward that
    /// may have reached it (no answer in time) is not sent again: its outcome is unknown.
    private func forwardOrForget(_ request: ForwardedRequest<A>, id: String, to node: String) async throws -> ForwardedAnswer<A>? {
        do {
            let answer = try await forward(request, id: id, to: node)
            if answer.failure?.moved != true { return answer }
        } catch is ForwardingError {
            // Not delivered: perhaps gone; its claims lapse with its membership.
        }
        _ = remoteOwners.withLock { $0.removeValue(forKey: id) }
        return nil
    }

    /// Sends to the actor of this node (activating it if this node may own it).
    private func sendHere(
        _ id: String,
        _ command: A.Command,
        context: CommandContext,
        commandID: String?,
        cause: Cause?
    ) async throws -> CommandResult<A> {
        var fencedRetried = false
        for _ in 0..<100 {
            let actor = try await actor(for: id)
            do {
                let result = try await actor.send(command, context: context, commandID: commandID, cause: cause)
                if let answeredAt = result.answeredAt { environment.stages.record(.answer, .now - answeredAt) }
                return result
            } catch let error as RuntimeError where error.code == .stopped {
                remove(id, actor)
                await Task.yield()
            } catch let error as RuntimeError where error.code == .fenced && !fencedRetried {
                // The command was not recorded; decide it again against the state in storage.
                fencedRetried = true
                remove(id, actor)
            } catch let error as RuntimeError where error.code == .fenced || error.code == .unavailable {
                remove(id, actor)
                throw error
            }
        }
        throw RuntimeError(.unavailable, "\(A.kind.rawValue):\(id) could not be reached")
    }

    /// The entity's current state and sequence (activating it if needed; from its owner when
    /// another node owns it).
    public func read(_ id: String) async throws -> (state: A.State, sequence: Int64) {
        if let node = knownOwner(id), let answer = try await forwardOrForget(ForwardedRequest<A>(), id: id, to: node) {
            return try Self.state(of: answer)
        }
        do {
            return try await readHere(id)
        } catch let owner as NotOwner {
            remember(id, owner: owner.node)
            do {
                return try Self.state(of: try await forward(ForwardedRequest<A>(), id: id, to: owner.node))
            } catch let error as ForwardingError {
                _ = remoteOwners.withLock { $0.removeValue(forKey: id) }
                throw RuntimeError(.unavailable, "\(error); retry")
            }
        }
    }

    private static func state(of answer: ForwardedAnswer<A>) throws -> (state: A.State, sequence: Int64) {
        try answer.rethrow()
        guard let state = answer.state else { throw RuntimeError(.unavailable, "the owner's answer has no state") }
        return (state, answer.sequence)
    }

    private func readHere(_ id: String) async throws -> (state: A.State, sequence: Int64) {
        for _ in 0..<100 {
            let actor = try await actor(for: id)
            do {
                return try await actor.read()
            } catch let error as RuntimeError where error.code == .stopped {
                remove(id, actor)
                await Task.yield()
            }
        }
        throw RuntimeError(.unavailable, "\(A.kind.rawValue):\(id) could not be reached")
    }

    private enum Lookup {
        case ready(EntityActor<A>)
        case wait(Task<EntityActor<A>, any Error>)
        case refused
    }

    func actor(for id: String) async throws -> EntityActor<A> {
        guard let key = EntityKey(kind: A.kind, id: id) else {
            throw DomainError(.invalid, "invalid_id", "an id is 1–\(EntityKey.maximumIDLength) characters of A–Z a–z 0–9 - _")
        }
        let environment = self.environment
        // With several nodes: a node whose membership lapsed serves nothing (another may own its
        // actors now), and an actor activated before a lapse is activated again, claim first.
        var generation = 0
        if let ownership = environment.ownership {
            guard let current = ownership.generation() else {
                throw RuntimeError(.unavailable, "this node's membership in the cluster has lapsed; retry (another node takes over)")
            }
            generation = current
        }
        let lookup: Lookup = entries.withLock { entries in
            guard entries.accepting else { return .refused }
            switch entries.map[id] {
            case .active(let actor, _, let activatedIn) where activatedIn == generation:
                entries.map[id] = .active(actor, lastUsed: .now, generation: generation)
                return .ready(actor)
            case .activating(let task, let activatedIn) where activatedIn == generation:
                return .wait(task)
            case .active, .activating, nil:
                if case .active = entries.map[id] { entries.residentCount -= 1 }
                let task = Task {
                    if let ownership = environment.ownership {
                        switch try await ownership.claim(key) {
                        case .owned: environment.metrics.ownership(A.kind, "claimed")
                        case .ownedBy(let node):
                            environment.metrics.ownership(A.kind, "elsewhere")
                            throw NotOwner(node: node)
                        }
                    }
                    return try await EntityActor<A>.activate(key: key, environment: environment)
                }
                entries.map[id] = .activating(task, generation: generation)
                return .wait(task)
            }
        }
        switch lookup {
        case .ready(let actor):
            return actor
        case .refused:
            throw RuntimeError(.shuttingDown, "the server is shutting down")
        case .wait(let task):
            do {
                let actor = try await task.value
                let (installed, overCap) = entries.withLock { entries -> (EntityActor<A>, Bool) in
                    if case .activating(let current, let activatedIn) = entries.map[id], current == task {
                        entries.map[id] = .active(actor, lastUsed: .now, generation: activatedIn)
                        entries.residentCount += 1
                        entries.activations += 1
                    } else if case .active(let current, _, _) = entries.map[id] {
                        return (current, false)
                    }
                    return (actor, entries.residentCount > environment.configuration.maximumResidentActors)
                }
                environment.metrics.resident(A.kind, residentCount)
                if overCap { Task { await self.passivateLeastRecentlyUsed() } }
                return installed
            } catch {
                entries.withLock { entries in
                    if case .activating(let current, _) = entries.map[id], current == task { entries.map[id] = nil }
                }
                if error is RuntimeError || error is DomainError || error is NotOwner { throw error }
                environment.logger.error("activation failed", metadata: ["stream": "\(key)", "error": "\(error)"])
                throw RuntimeError(.unavailable, "\(key) could not be loaded: \(error)")
            }
        }
    }

    /// Drops `actor` from the directory if it is still the one registered for `id`.
    private func remove(_ id: String, _ actor: EntityActor<A>, passivated: Bool = false) {
        let removed = entries.withLock { entries -> Bool in
            guard case .active(let current, _, _) = entries.map[id], current === actor else { return false }
            entries.map[id] = nil
            entries.residentCount -= 1
            // Counted together with the removal, so the two counts never disagree.
            if passivated { entries.passivations += 1 }
            return true
        }
        if removed { environment.metrics.resident(A.kind, residentCount) }
    }

    // MARK: Passivation

    /// Passivates actors unused for at least `idle`. Returns how many.
    @discardableResult
    func passivateIdle(olderThan idle: Duration) async -> Int {
        let cutoff = ContinuousClock.now - idle
        let candidates = entries.withLock { entries in
            entries.map.compactMap { id, entry -> (String, EntityActor<A>)? in
                guard case .active(let actor, let lastUsed, _) = entry, lastUsed < cutoff else { return nil }
                return (id, actor)
            }
        }
        return await passivate(candidates)
    }

    /// Passivates the least recently used 1% (at least one) when over the cap.
    private func passivateLeastRecentlyUsed() async {
        let cap = environment.configuration.maximumResidentActors
        let candidates = entries.withLock { entries -> [(String, EntityActor<A>)] in
            let excess = entries.residentCount - cap
            guard excess > 0 else { return [] }
            let active = entries.map.compactMap { id, entry -> (String, EntityActor<A>, ContinuousClock.Instant)? in
                guard case .active(let actor, let lastUsed, _) = entry else { return nil }
                return (id, actor, lastUsed)
            }
            return active.sorted { $0.2 < $1.2 }.prefix(max(excess, cap / 100, 1)).map { ($0.0, $0.1) }
        }
        _ = await passivate(candidates)
    }

    private func passivate(_ candidates: [(String, EntityActor<A>)]) async -> Int {
        var count = 0
        for (id, actor) in candidates {
            let (stopped, snapshot) = await actor.stopIfIdle()
            guard stopped else { continue }
            remove(id, actor, passivated: true)
            count += 1
            if let snapshot { await save(snapshot) }
            if let ownership = environment.ownership, let key = EntityKey(kind: A.kind, id: id) { await ownership.release(key) }
        }
        if count > 0 { environment.metrics.passivated(A.kind, count) }
        return count
    }

    private func save(_ snapshot: Snapshot) async {
        let storage = environment.storage
        do {
            try await withTimeout(environment.configuration.storageTimeout) { try await storage.saveSnapshot(snapshot) }
            environment.metrics.snapshotSaved(A.kind)
        } catch {
            environment.logger.warning("snapshot not saved", metadata: ["stream": "\(snapshot.stream)", "error": "\(error)"])
        }
    }

    // MARK: Forwarding

    /// Sends `request` to the node that owns entity `id` and decodes its answer.
    private func forward(_ request: ForwardedRequest<A>, id: String, to node: String) async throws -> ForwardedAnswer<A> {
        guard let forwarder = environment.forwarder else {
            throw RuntimeError(.unavailable, "\(A.kind.rawValue):\(id) is owned by node \(node), and this node cannot forward")
        }
        environment.metrics.forwarded(A.kind)
        var request = request
        if environment.configuration.tracing { request.traceparent = TraceContext.traceparent(of: ServiceContext.current ?? .topLevel) }
        let body = try JSONEncoder().encode(request)
        let answer = try await forwarder.forward(to: node, kind: A.kind, id: id, request: body)
        // (A ForwardingError passes through: the caller decides whether to ask again.)
        do {
            return try JSONDecoder().decode(ForwardedAnswer<A>.self, from: answer)
        } catch {
            throw RuntimeError(.unavailable, "node \(node) answered what is not an answer: \(error)")
        }
    }

    /// Answers a request forwarded by another node: handled here, never forwarded again (an entity
    /// that moved meanwhile is `unavailable`: the caller retries and finds the new owner).
    public func answerForwarded(_ id: String, _ body: Data) async -> Data {
        let answer: ForwardedAnswer<A>
        do {
            let request = try JSONDecoder().decode(ForwardedRequest<A>.self, from: body)
            // The caller's trace continues here (traces on): the command's spans are its children.
            let trace = request.traceparent.map { TraceContext.context(traceparent: $0) } ?? ServiceContext.current ?? .topLevel
            answer = try await ServiceContext.withValue(trace) {
                if let command = request.command, let context = request.context {
                    return ForwardedAnswer(
                        result: try await self.sendHere(id, command, context: context, commandID: request.commandID, cause: request.cause)
                    )
                }
                let (state, sequence) = try await self.readHere(id)
                return ForwardedAnswer(state: state, sequence: sequence)
            }
        } catch let owner as NotOwner {
            var moved = ForwardedAnswer<A>(error: RuntimeError(.unavailable, "\(A.kind.rawValue):\(id) moved to node \(owner.node); retry"))
            moved.failure?.moved = true
            answer = moved
        } catch let error as DecodingError {
            answer = ForwardedAnswer(error: RuntimeError(.unavailable, "a forwarded request that is not one: \(error)"))
        } catch {
            answer = ForwardedAnswer(error: error)
        }
        return (try? JSONEncoder().encode(answer))
            ?? Data(#"{"failure":{"runtime":"unavailable","code":"unavailable","message":"unencodable"}}"#.utf8)
    }

    /// Refuses new activations, lets every actor finish what it is handling, and snapshots it.
    func shutdown() async {
        let actors = entries.withLock { entries -> [EntityActor<A>] in
            entries.accepting = false
            return entries.map.values.compactMap { entry in
                if case .active(let actor, _, _) = entry { return actor }
                return nil
            }
        }
        await withTaskGroup(of: Void.self) { group in
            for actor in actors {
                group.addTask {
                    if let snapshot = await actor.stopForShutdown() { await self.save(snapshot) }
                }
            }
        }
        entries.withLock {
            $0.map.removeAll()
            $0.residentCount = 0
        }
    }
}
