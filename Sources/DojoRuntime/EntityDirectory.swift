public import DojoDomain
import DojoStorage
import Foundation
import Logging
import Synchronization

/// The resident actors of one kind, keyed by id: activates on first use (once, however many callers
/// arrive together), passivates the idle and, past the cap, the least recently used, and replaces
/// an actor that stepped down.
public final class EntityDirectory<A: Aggregate>: Sendable {
    private enum Entry {
        case activating(Task<EntityActor<A>, any Error>)
        case active(EntityActor<A>, lastUsed: ContinuousClock.Instant)
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

    /// The entity's current state and sequence (activating it if needed).
    public func read(_ id: String) async throws -> (state: A.State, sequence: Int64) {
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
        let lookup: Lookup = entries.withLock { entries in
            guard entries.accepting else { return .refused }
            switch entries.map[id] {
            case .active(let actor, _):
                entries.map[id] = .active(actor, lastUsed: .now)
                return .ready(actor)
            case .activating(let task):
                return .wait(task)
            case nil:
                let task = Task { try await EntityActor<A>.activate(key: key, environment: environment) }
                entries.map[id] = .activating(task)
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
                    if case .activating(let current) = entries.map[id], current == task {
                        entries.map[id] = .active(actor, lastUsed: .now)
                        entries.residentCount += 1
                        entries.activations += 1
                    } else if case .active(let current, _) = entries.map[id] {
                        return (current, false)
                    }
                    return (actor, entries.residentCount > environment.configuration.maximumResidentActors)
                }
                environment.metrics.resident(A.kind, residentCount)
                if overCap { Task { await self.passivateLeastRecentlyUsed() } }
                return installed
            } catch {
                entries.withLock { entries in
                    if case .activating(let current) = entries.map[id], current == task { entries.map[id] = nil }
                }
                if error is RuntimeError || error is DomainError { throw error }
                environment.logger.error("activation failed", metadata: ["stream": "\(key)", "error": "\(error)"])
                throw RuntimeError(.unavailable, "\(key) could not be loaded: \(error)")
            }
        }
    }

    /// Drops `actor` from the directory if it is still the one registered for `id`.
    private func remove(_ id: String, _ actor: EntityActor<A>, passivated: Bool = false) {
        let removed = entries.withLock { entries -> Bool in
            guard case .active(let current, _) = entries.map[id], current === actor else { return false }
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
                guard case .active(let actor, let lastUsed) = entry, lastUsed < cutoff else { return nil }
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
                guard case .active(let actor, let lastUsed) = entry else { return nil }
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

    /// Refuses new activations, lets every actor finish what it is handling, and snapshots it.
    func shutdown() async {
        let actors = entries.withLock { entries -> [EntityActor<A>] in
            entries.accepting = false
            return entries.map.values.compactMap { entry in
                if case .active(let actor, _) = entry { return actor }
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
