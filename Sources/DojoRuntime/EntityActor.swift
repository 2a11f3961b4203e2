import DojoDomain
import DojoStorage
import Foundation
import Logging
import Tracing

/// What every actor of a runtime shares.
struct ActorEnvironment: Sendable {
    var writer: EventLogWriter
    var storage: any Storage
    var configuration: RuntimeConfiguration
    var logger: Logger
    var metrics: RuntimeMetrics
    /// Where each command's time goes (``CommandStage``).
    var stages: CommandStageClock
    /// Called after events are durable and applied, in sequence order per stream.
    var onCommitted: @Sendable (EntityKey, [CommittedEvent]) -> Void
    var now: @Sendable () -> Date
    /// With several nodes: who owns which actor, and the way to the owner (nil: one node).
    var ownership: (any EntityOwnership)? = nil
    var forwarder: (any CommandForwarder)? = nil
}

/// A bounded memory of keys in insertion order; the oldest is forgotten first.
struct BoundedMemo<Value: Codable & Sendable & Equatable>: Codable, Sendable, Equatable {
    private(set) var values: [String: Value] = [:]
    private var order: [String] = []
    private var head = 0
    var capacity: Int

    init(capacity: Int) { self.capacity = max(1, capacity) }

    subscript(key: String) -> Value? { values[key] }

    mutating func set(_ key: String, _ value: Value) {
        if values.updateValue(value, forKey: key) == nil {
            order.append(key)
        }
        while values.count > capacity, head < order.count {
            values.removeValue(forKey: order[head])
            head += 1
        }
        if head > 64, head * 2 > order.count {
            order.removeFirst(head)
            head = 0
        }
    }

    var count: Int { values.count }

    // Encoded as the live entries in insertion order.
    enum CodingKeys: String, CodingKey { case entries, capacity }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        capacity = try container.decode(Int.self, forKey: .capacity)
        for entry in try container.decode([Entry].self, forKey: .entries) { set(entry.key, entry.value) }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(capacity, forKey: .capacity)
        try container.encode(order[head...].compactMap { key in values[key].map { Entry(key: key, value: $0) } }, forKey: .entries)
    }

    private struct Entry: Codable {
        var key: String
        var value: Value
    }

    static func == (lhs: Self, rhs: Self) -> Bool { lhs.values == rhs.values }
}

/// The sequence range a command appended.
struct Receipt: Codable, Sendable, Equatable {
    var first: Int64
    var last: Int64
    /// The command's fingerprint (`commandHash`): a repeat of the id with another command is
    /// refused, not answered with the first outcome. Nil for receipts from before fingerprints.
    /// Eight bytes in the actor's memory (a receipt per remembered id), its bits as an Int64.
    var fingerprint: Int64? = nil
}

/// A stable fingerprint of a command (FNV-1a over its full description): equal commands, equal
/// fingerprints, in this build and across restarts (it is kept in the events' metadata).
func commandHash(_ command: some Sendable) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in String(reflecting: command).utf8 {
        hash ^= UInt64(byte)
        hash &*= 0x0000_0100_0000_01b3
    }
    return hash
}

/// A fingerprint as 16 hex digits (events' metadata, command ids).
func hexFingerprint(_ hash: UInt64) -> String {
    let hex = String(hash, radix: 16)
    return String(repeating: "0", count: 16 - hex.count) + hex
}

/// ``commandHash(_:)`` as 16 hex digits.
func commandFingerprint(_ command: some Sendable) -> String { hexFingerprint(commandHash(command)) }

/// The state an actor snapshots: the domain state plus its idempotency memory.
struct SnapshotBody<State: Codable & Sendable>: Codable, Sendable {
    static var envelopeVersion: Int { 1 }
    var envelope: Int
    var state: State
    var receipts: BoundedMemo<Receipt>
    var causes: BoundedMemo<Int64>
}

/// The one owner of an entity's state in this process (ARCHITECTURE §1).
///
/// Commands queue in a bounded mailbox and are handled in order. The actor decides up to
/// `maximumCommandsPerAppend` queued commands against a working copy of its state, appends all
/// their events as one conditional append (the group-commit writer batches it with other actors'),
/// and only when that is durable applies them, acknowledges each sender and hands the events on.
/// If the append fails for any reason the actor stops: a conflict means another writer got there
/// first (fencing), and any other failure leaves the durable outcome unknown, so the next command
/// reactivates the entity from storage instead of trusting memory.
actor EntityActor<A: Aggregate> {
    nonisolated let key: EntityKey
    nonisolated let stream: String
    private let environment: ActorEnvironment
    private(set) var state: A.State
    private(set) var sequence: Int64
    private var receipts: BoundedMemo<Receipt>
    private var causes: BoundedMemo<Int64>

    private var mailbox: [Job] = []
    private var mailboxHead = 0
    private var draining = false
    private var stopped: RuntimeError.Code?
    private var drainWaiters: [CheckedContinuation<Void, Never>] = []

    private var snapshotSequence: Int64
    private var lastSnapshotAt: ContinuousClock.Instant

    private struct Job {
        var command: A.Command
        var context: CommandContext
        var commandID: String?
        var cause: Cause?
        var enqueued: ContinuousClock.Instant
        /// The context of the command's span (traces on): its decision and append are its children.
        var trace: ServiceContext?
        var continuation: CheckedContinuation<CommandResult<A>, any Error>
    }

    private init(
        key: EntityKey,
        environment: ActorEnvironment,
        state: A.State,
        sequence: Int64,
        receipts: BoundedMemo<Receipt>,
        causes: BoundedMemo<Int64>,
        snapshotSequence: Int64
    ) {
        self.key = key
        self.stream = key.description
        self.environment = environment
        self.state = state
        self.sequence = sequence
        self.receipts = receipts
        self.causes = causes
        self.snapshotSequence = snapshotSequence
        self.lastSnapshotAt = .now
    }

    // MARK: Activation

    /// Loads the entity: the latest readable snapshot, then every event after it.
    static func activate(key: EntityKey, environment: ActorEnvironment) async throws -> EntityActor<A> {
        let started = ContinuousClock.now
        let configuration = environment.configuration
        let storage = environment.storage
        let stream = key.description
        var state = A.initialState(id: key.id)
        var sequence: Int64 = 0
        var receipts = BoundedMemo<Receipt>(capacity: configuration.commandIDWindow)
        var causes = BoundedMemo<Int64>(capacity: configuration.causeWindow)

        let snapshot = try await withTimeout(configuration.storageTimeout) { try await storage.loadSnapshot(stream: stream) }
        if let snapshot {
            if snapshot.formatVersion == A.stateFormatVersion,
                let body = try? JSONDecoder().decode(SnapshotBody<A.State>.self, from: Data(snapshot.state)),
                body.envelope == SnapshotBody<A.State>.envelopeVersion
            {
                state = body.state
                sequence = snapshot.sequence
                receipts = body.receipts
                receipts.capacity = configuration.commandIDWindow
                causes = body.causes
                causes.capacity = configuration.causeWindow
            } else {
                environment.metrics.snapshotsIgnored(A.kind)
                environment.logger.warning(
                    "snapshot ignored: unreadable or of another format; rebuilding from the log",
                    metadata: ["stream": "\(stream)", "snapshot.format": "\(snapshot.formatVersion)", "expected.format": "\(A.stateFormatVersion)"]
                )
            }
        }
        let snapshotSequence = sequence
        let decoder = JSONDecoder()
        while true {
            let after = sequence
            let page = try await withTimeout(configuration.storageTimeout) {
                try await storage.readEvents(stream: stream, after: after, limit: 1_000)
            }
            for recorded in page {
                let envelope: EventEnvelope<A.Event>
                do {
                    envelope = try decoder.decode(EventEnvelope<A.Event>.self, from: Data(recorded.payload.utf8))
                } catch {
                    throw RuntimeError(.unavailable, "event \(recorded.sequence) of \(stream) cannot be read: \(error)")
                }
                A.apply(&state, envelope.event)
                if let id = envelope.meta?.commandId {
                    receipts.set(
                        id,
                        Receipt(
                            first: receipts[id]?.first ?? recorded.sequence,
                            last: recorded.sequence,
                            fingerprint: envelope.meta?.commandHash.flatMap { UInt64($0, radix: 16) }.map { Int64(bitPattern: $0) }
                        )
                    )
                }
                if let cause = envelope.meta?.cause { causes.set(cause.stream, max(causes[cause.stream] ?? 0, cause.seq)) }
                sequence = recorded.sequence
            }
            if page.count < 1_000 { break }
        }
        environment.metrics.activated(A.kind, duration: ContinuousClock.now - started, replayed: Int(sequence - snapshotSequence))
        return EntityActor(
            key: key,
            environment: environment,
            state: state,
            sequence: sequence,
            receipts: receipts,
            causes: causes,
            snapshotSequence: snapshotSequence
        )
    }

    // MARK: Commands

    /// Queues a command and waits for its result. Throws ``DomainError`` when refused,
    /// ``RuntimeError`` `busy` when the mailbox is full, `stopped` when this actor stepped down.
    func send(_ command: A.Command, context: CommandContext, commandID: String?, cause: Cause?) async throws -> CommandResult<A> {
        guard environment.configuration.tracing else {
            return try await enqueue(command, context: context, commandID: commandID, cause: cause, trace: nil)
        }
        // A span per command, in the caller's trace (a request's, a socket message's, or the
        // cause's for a reaction); a refusal is recorded on it as an error.
        return try await withSpan("\(A.kind.rawValue) \(TraceContext.commandName(command))", ofKind: .internal) { span in
            span.attributes["dojo.entity"] = stream
            if let commandID { span.attributes["dojo.command_id"] = commandID }
            if let cause { span.attributes["dojo.cause"] = "\(cause.stream)#\(cause.seq)" }
            let result = try await enqueue(command, context: context, commandID: commandID, cause: cause, trace: ServiceContext.current)
            span.attributes["dojo.sequence"] = Int(result.sequence)
            span.attributes["dojo.duplicate"] = result.duplicate
            return result
        }
    }

    private func enqueue(
        _ command: A.Command,
        context: CommandContext,
        commandID: String?,
        cause: Cause?,
        trace: ServiceContext?
    ) async throws -> CommandResult<A> {
        if let stopped { throw RuntimeError(.stopped, "actor \(stream) stopped (\(stopped.rawValue))") }
        let depth = mailbox.count - mailboxHead
        guard depth < environment.configuration.mailboxCapacity else {
            environment.metrics.busy(A.kind)
            throw RuntimeError(.busy, "\(stream) has \(depth) commands waiting; retry shortly")
        }
        environment.metrics.mailboxDepth(A.kind, depth + 1)
        return try await withCheckedThrowingContinuation { continuation in
            mailbox.append(
                Job(command: command, context: context, commandID: commandID, cause: cause, enqueued: .now, trace: trace, continuation: continuation)
            )
            if !draining {
                draining = true
                Task { await self.drain() }
            }
        }
    }

    /// The current state and sequence.
    func read() throws -> (state: A.State, sequence: Int64) {
        if let stopped { throw RuntimeError(.stopped, "actor \(stream) stopped (\(stopped.rawValue))") }
        return (state, sequence)
    }

    private func drain() async {
        while mailboxHead < mailbox.count, stopped == nil {
            let end = min(mailbox.count, mailboxHead + environment.configuration.maximumCommandsPerAppend)
            let jobs = Array(mailbox[mailboxHead..<end])
            mailboxHead = end
            if mailboxHead == mailbox.count {
                // An idle actor keeps no mailbox buffer: memory per idle actor matters more.
                mailbox = []
                mailboxHead = 0
            }
            await process(jobs)
        }
        if let stopped {
            let code: RuntimeError.Code = stopped == .shuttingDown ? .shuttingDown : .stopped
            for job in mailbox[mailboxHead...] {
                job.continuation.resume(throwing: RuntimeError(code, "actor \(stream) stopped before handling the command"))
            }
            mailbox.removeAll()
            mailboxHead = 0
        }
        draining = false
        for waiter in drainWaiters { waiter.resume() }
        drainWaiters.removeAll()
    }

    private enum Outcome {
        case refused(any Error)
        case unchanged(duplicate: Receipt?)
        case appended(Receipt, events: Range<Int>)
    }

    private func process(_ jobs: [Job]) async {
        let now = environment.now()
        let stages = environment.stages
        let measuring = stages.enabled
        if measuring {
            let started = ContinuousClock.now
            for job in jobs { stages.record(.mailbox, started - job.enqueued) }
        }
        var working = state
        var typed: [A.Event] = []
        var newEvents: [NewEvent] = []
        var outcomes: [Outcome] = []
        outcomes.reserveCapacity(jobs.count)
        var batchReceipts: [String: Receipt] = [:]
        var batchCauses: [String: Int64] = [:]

        for job in jobs {
            // A client's command id names one command (the Idempotency-Key draft: a key reused for
            // another payload is refused). The system's own retries may carry what changed since.
            let hash = job.commandID != nil && !job.context.principal.isSystem ? commandHash(job.command) : nil
            let fingerprint = hash.map { Int64(bitPattern: $0) }
            if let id = job.commandID, let receipt = batchReceipts[id] ?? receipts[id] {
                if let fingerprint, let known = receipt.fingerprint, known != fingerprint {
                    outcomes.append(
                        .refused(
                            DomainError(.invalid, "idempotency_key_reused", "command id \(id.prefix(64)) was used for another command: send a new id")
                        )
                    )
                    continue
                }
                outcomes.append(.unchanged(duplicate: receipt))
                continue
            }
            if let cause = job.cause, (batchCauses[cause.stream] ?? causes[cause.stream] ?? 0) >= cause.seq {
                outcomes.append(.unchanged(duplicate: Receipt(first: sequence, last: sequence)))
                continue
            }
            let decision = job.trace.map { InstrumentationSystem.tracer.startAnySpan("decide", context: $0, ofKind: .internal) }
            defer { decision?.end() }
            do {
                let decideStarted = measuring ? ContinuousClock.now : nil
                defer { if let decideStarted { stages.record(.decide, .now - decideStarted) } }
                let events = try A.decide(working, job.command, job.context)
                decision?.attributes["dojo.events"] = events.count
                guard !events.isEmpty else {
                    outcomes.append(.unchanged(duplicate: nil))
                    continue
                }
                // The command's trace goes into its events' metadata: reactions continue it.
                let traceparent = job.trace.flatMap(TraceContext.traceparent(of:))
                let meta =
                    (job.commandID != nil || job.cause != nil || traceparent != nil)
                    ? EventEnvelope<A.Event>.Meta(
                        commandId: job.commandID,
                        cause: job.cause,
                        commandHash: hash.map(hexFingerprint),
                        trace: traceparent
                    )
                    : nil
                var encoded: [NewEvent] = []
                for event in events {
                    let (payload, range) = EventEnvelope.encoded(event, meta: meta)
                    encoded.append(NewEvent(type: A.eventType(event), encoded: payload, eventRange: range))
                }
                let first = sequence + Int64(newEvents.count) + 1
                let receipt = Receipt(first: first, last: first + Int64(events.count) - 1, fingerprint: fingerprint)
                let range = typed.count..<(typed.count + events.count)
                let applyStarted = measuring ? ContinuousClock.now : nil
                for event in events { A.apply(&working, event) }
                if let applyStarted { stages.record(.apply, .now - applyStarted) }
                typed.append(contentsOf: events)
                newEvents.append(contentsOf: encoded)
                if let id = job.commandID { batchReceipts[id] = receipt }
                if let cause = job.cause { batchCauses[cause.stream] = cause.seq }
                outcomes.append(.appended(receipt, events: range))
            } catch {
                decision?.recordError(error)
                outcomes.append(.refused(error))
            }
        }

        guard !newEvents.isEmpty else {
            finish(jobs, outcomes, typed, appendError: nil)
            return
        }
        let append = appendSpan(jobs, events: newEvents.count)
        defer { append?.end() }
        do {
            let result = try await environment.writer.append(
                AppendRequest(stream: stream, expectedSequence: sequence, events: newEvents),
                trace: append?.context
            )
            append?.attributes["dojo.sequence.first"] = Int(result.firstSequence)
            append?.attributes["dojo.sequence.last"] = Int(result.lastSequence)
            if measuring, let timing = result.timing {
                let resumed = ContinuousClock.now
                for outcome in outcomes {
                    guard case .appended = outcome else { continue }
                    stages.record(.queue, timing.queued)
                    stages.record(.commit, timing.transaction)
                    stages.record(.wakeup, resumed - timing.committedAt)
                }
            }
            state = working
            sequence = result.lastSequence
            for (id, receipt) in batchReceipts { receipts.set(id, receipt) }
            for (source, seq) in batchCauses { causes.set(source, seq) }
            environment.metrics.appended(A.kind, events: newEvents.count)
            for event in newEvents { environment.metrics.recorded(type: event.type) }
            finish(jobs, outcomes, typed, appendError: nil)
            var committed: [CommittedEvent] = []
            committed.reserveCapacity(newEvents.count)
            for (offset, event) in newEvents.enumerated() {
                committed.append(
                    RecordedEvent(
                        stream: stream,
                        sequence: result.firstSequence + Int64(offset),
                        type: event.type,
                        payload: event.payload,
                        recordedAt: now,
                        eventRange: event.eventRange
                    )
                )
            }
            environment.onCommitted(key, committed)
            maybeSnapshot()
        } catch {
            append?.recordError(error)
            let code: RuntimeError.Code
            if let storageError = error as? StorageError, storageError.code == .conflict {
                code = .fenced
                environment.metrics.fenced(A.kind)
                environment.logger.warning("append conflicted: another writer owns the stream; stepping down", metadata: ["stream": "\(stream)"])
            } else {
                code = (error as? StorageError)?.code == .shuttingDown ? .shuttingDown : .unavailable
                environment.logger.error("append failed; stepping down", metadata: ["stream": "\(stream)", "error": "\(error)"])
            }
            stopped = .fenced
            finish(jobs, outcomes, typed, appendError: RuntimeError(code, "the command was not recorded: \(error)"))
        }
    }

    /// The span of the durable append of a batch of commands (traces on): in the first traced
    /// command's trace, linked to the others'. Nil when no command of the batch is traced.
    private func appendSpan(_ jobs: [Job], events: Int) -> (any Span)? {
        let traced = jobs.compactMap(\.trace)
        guard let parent = traced.first else { return nil }
        let span = InstrumentationSystem.tracer.startAnySpan("append", context: parent, ofKind: .internal)
        span.attributes["dojo.stream"] = stream
        span.attributes["dojo.sequence.expected"] = Int(sequence)
        span.attributes["dojo.events"] = events
        span.attributes["dojo.commands"] = jobs.count
        for other in traced.dropFirst() { span.addLink(SpanLink(context: other, attributes: [:])) }
        return span
    }

    private func finish(_ jobs: [Job], _ outcomes: [Outcome], _ typed: [A.Event], appendError: RuntimeError?) {
        var decidedOnTentativeState = false
        let answeredAt: ContinuousClock.Instant? = environment.stages.enabled ? .now : nil
        for (job, outcome) in zip(jobs, outcomes) {
            switch outcome {
            case .refused(let error):
                // A refusal decided after another command's tentative events is only valid if they were recorded.
                if let appendError, decidedOnTentativeState {
                    job.continuation.resume(throwing: appendError)
                } else {
                    job.continuation.resume(throwing: error)
                }
                environment.metrics.command(A.kind, outcome: "refused", since: job.enqueued)
                if let error = error as? DomainError { environment.metrics.refused(A.kind, code: error.code) }
            case .unchanged(let duplicate):
                if let appendError, decidedOnTentativeState {
                    job.continuation.resume(throwing: appendError)
                    continue
                }
                let receipt = duplicate ?? Receipt(first: sequence, last: sequence)
                job.continuation.resume(
                    returning: CommandResult(
                        sequence: duplicate == nil ? sequence : receipt.last,
                        firstSequence: duplicate == nil ? nil : receipt.first,
                        events: [],
                        duplicate: duplicate != nil,
                        state: state,
                        answeredAt: answeredAt
                    )
                )
                environment.metrics.command(A.kind, outcome: duplicate == nil ? "unchanged" : "duplicate", since: job.enqueued)
            case .appended(let receipt, let range):
                decidedOnTentativeState = true
                if let appendError {
                    job.continuation.resume(throwing: appendError)
                    environment.metrics.command(A.kind, outcome: "failed", since: job.enqueued)
                } else {
                    job.continuation.resume(
                        returning: CommandResult(
                            sequence: receipt.last,
                            firstSequence: receipt.first,
                            events: [],
                            duplicate: false,
                            state: state,
                            answeredAt: answeredAt
                        ).with(events: Array(typed[range]))
                    )
                    environment.metrics.command(A.kind, outcome: "appended", since: job.enqueued)
                }
            }
        }
    }

    // MARK: Snapshots and stopping

    private func maybeSnapshot() {
        let configuration = environment.configuration
        let pending = sequence - snapshotSequence
        guard
            pending >= Int64(configuration.snapshotEveryEvents)
                || (pending > 0 && ContinuousClock.now - lastSnapshotAt >= configuration.snapshotInterval)
        else { return }
        guard let snapshot = makeSnapshot() else { return }
        let storage = environment.storage
        let logger = environment.logger
        let timeout = configuration.storageTimeout
        let metrics = environment.metrics
        Task.detached {
            do {
                try await withTimeout(timeout) { try await storage.saveSnapshot(snapshot) }
                metrics.snapshotSaved(A.kind)
            } catch {
                logger.warning("snapshot not saved", metadata: ["stream": "\(snapshot.stream)", "error": "\(error)"])
            }
        }
    }

    /// The snapshot of the current state, or nil when the last one is current.
    private func makeSnapshot() -> Snapshot? {
        guard sequence > snapshotSequence else { return nil }
        let body = SnapshotBody(envelope: SnapshotBody<A.State>.envelopeVersion, state: state, receipts: receipts, causes: causes)
        guard let bytes = try? JSONEncoder.dojo().encode(body) else { return nil }
        snapshotSequence = sequence
        lastSnapshotAt = .now
        return Snapshot(stream: stream, sequence: sequence, formatVersion: A.stateFormatVersion, state: Array(bytes), takenAt: environment.now())
    }

    /// True when no command is queued or being handled.
    var isIdle: Bool { !draining && mailboxHead == mailbox.count }

    /// Stops the actor if it is idle (for passivation). Returns whether it stopped, and the
    /// snapshot to save if the state moved since the last one.
    func stopIfIdle() -> (stopped: Bool, snapshot: Snapshot?) {
        guard stopped == nil, isIdle else { return (false, nil) }
        stopped = .stopped
        return (true, makeSnapshot())
    }

    /// Stops the actor after the commands it is handling (for shutdown); queued commands not yet
    /// started get `shutting_down`. Returns the snapshot to save.
    func stopForShutdown() async -> Snapshot? {
        if stopped == nil { stopped = .shuttingDown }
        if draining {
            await withCheckedContinuation { drainWaiters.append($0) }
        }
        return makeSnapshot()
    }
}

extension CommandResult {
    fileprivate func with(events: [A.Event]) -> CommandResult {
        var copy = self
        copy.events = events
        return copy
    }
}
