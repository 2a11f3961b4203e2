public import DojoDomain
public import DojoStorage
import Foundation
import Logging
import Metrics
import Synchronization
import Tracing

/// Something that follows the event log of some kinds: reactions between entities, projections into
/// the records tables, later the rooms of other nodes.
///
/// `handle` gets each stream's events in order, contiguous, starting right after the last position
/// stored for this consumer. It may get events again after a crash (at least once), so it must be
/// idempotent. A thrown error leaves the position where it was; the events come again later.
public protocol EventConsumer: Sendable {
    /// A stable name: the key of the stored positions.
    var name: String { get }
    /// The kinds of stream it follows.
    var kinds: [EntityKind] { get }
    func handle(stream: String, events: [RecordedEvent]) async throws
    /// Handles several streams at once (one transaction, say). If it throws, the runner handles
    /// each stream alone, so one bad stream does not hold back the others.
    func handle(batch: [(stream: String, events: [RecordedEvent])]) async throws
    /// Streams of kinds with a lower order are handed over first in a round (a projection hands
    /// over the rows others refer to first: venues before the matches at their tables).
    func order(of kind: EntityKind) -> Int
}

extension EventConsumer {
    public func order(of kind: EntityKind) -> Int { 0 }

    public func handle(batch: [(stream: String, events: [RecordedEvent])]) async throws {
        for (stream, events) in batch { try await handle(stream: stream, events: events) }
    }

    /// Handles the batch's streams `limit` at a time (each stream's events in order), for a
    /// consumer whose streams are independent (reactions whose targets decide each command
    /// themselves). A failure throws; the runner then handles each stream alone, and targets
    /// recognise what was already applied by its cause.
    func handleConcurrently(_ batch: [(stream: String, events: [RecordedEvent])], limit: Int) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            var pending = batch.makeIterator()
            var running = 0
            while running < limit, let next = pending.next() {
                group.addTask { try await handle(stream: next.stream, events: next.events) }
                running += 1
            }
            while try await group.next() != nil {
                if let next = pending.next() { group.addTask { try await handle(stream: next.stream, events: next.events) } }
            }
        }
    }
}

/// Runs one consumer: takes committed events from the actors as they happen (no extra read), and
/// reads from the log whatever it did not see (after a restart, after a failure, or past its
/// buffer). Positions are stored after each round, in one statement.
final class ConsumerRunner: Sendable {
    private struct State {
        /// Committed events not handled yet, per stream (in order; may have gaps, then the log is read).
        var pending: [String: [RecordedEvent]] = [:]
        /// Streams the sweep found behind, to read from the log.
        var behind: Set<String> = []
        /// Known positions (cache of the stored ones plus progress not yet stored).
        var positions: [String: Int64] = [:]
    }

    let consumer: any EventConsumer
    private let storage: any Storage
    private let logger: Logger
    private let configuration: RuntimeConfiguration
    private let state = Mutex(State())
    private let wake: AsyncStream<Void>.Continuation
    private let wakes: AsyncStream<Void>
    private let handled: Counter
    private let failures: Counter
    private let lag: Gauge

    /// Events buffered per stream before the runner reads the log instead.
    static let maximumBufferedPerStream = 1_000
    /// Streams read from the log at once.
    static let concurrency = 8
    /// Streams handed to the consumer in one batch.
    static let maximumBatchStreams = 500

    /// With several nodes: a stream's events are handled by the node that owns its entity (the
    /// one whose actor committed them, told at once); a sweep takes only the streams this node owns
    /// or can claim, so each stream is handled on one node, and a dead node's streams by whichever
    /// node claims them next.
    private let ownership: (any EntityOwnership)?

    init(
        consumer: any EventConsumer,
        storage: any Storage,
        configuration: RuntimeConfiguration,
        logger: Logger,
        ownership: (any EntityOwnership)? = nil
    ) {
        self.consumer = consumer
        self.ownership = ownership
        self.storage = storage
        self.configuration = configuration
        self.logger = logger
        (wakes, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let dimensions = [("consumer", consumer.name)]
        handled = Counter(label: "dojo_consumer_events_total", dimensions: dimensions)
        failures = Counter(label: "dojo_consumer_failures_total", dimensions: dimensions)
        lag = Gauge(label: "dojo_consumer_pending_streams", dimensions: dimensions)
    }

    func follows(_ kind: EntityKind) -> Bool { consumer.kinds.contains(kind) }

    /// Hands over committed events (called by the actors, must not block).
    func notify(_ events: [RecordedEvent]) {
        guard let stream = events.first?.stream else { return }
        state.withLock { state in
            if state.behind.contains(stream) { return }
            var buffered = state.pending[stream, default: []]
            if buffered.count + events.count > Self.maximumBufferedPerStream {
                state.pending[stream] = nil
                state.behind.insert(stream)
            } else {
                buffered.append(contentsOf: events)
                state.pending[stream] = buffered
            }
        }
        wake.yield()
    }

    /// Runs until cancelled: a sweep of the log first (what happened before a crash), then rounds.
    func run() async {
        await withDiscardingTaskGroup { group in
            // The sweeper is a child of this task: cancelling the runner (shutdown) ends it too.
            group.addTask {
                while !Task.isCancelled {
                    await self.sweep()
                    try? await Task.sleep(for: self.configuration.consumerSweepInterval)
                }
            }
            let clock = ContinuousClock()
            for await _ in wakes {
                let started = clock.now
                await round()
                if Task.isCancelled { break }
                // At most one round per interval: under load a round then takes many streams in one
                // transaction instead of competing with the actors' appends for commits.
                try? await Task.sleep(until: started + configuration.consumerRoundInterval, clock: clock)
            }
            group.cancelAll()
        }
    }

    /// Handles everything pending now; returns when done (used by `run` and by tests).
    func round() async {
        let (work, behind) = state.withLock { state in
            let work = state.pending
            let behind = state.behind
            state.pending = [:]
            state.behind = []
            return (work, behind)
        }
        let streams = Array(Set(work.keys).union(behind))
        guard !streams.isEmpty else { return }
        lag.record(streams.count)
        await loadPositions(for: streams)

        // The events of each stream from its position: from memory when contiguous, else the log.
        var ready: [(stream: String, events: [RecordedEvent])] = []
        await withTaskGroup(of: (String, [RecordedEvent]?).self) { group in
            var iterator = streams.makeIterator()
            var running = 0
            func addNext() -> Bool {
                guard let stream = iterator.next() else { return false }
                // A stream found behind lost notifications (dropped while it was behind): its
                // buffer may look contiguous and still miss the newest events, so read the log.
                let buffered = behind.contains(stream) ? [] : work[stream] ?? []
                group.addTask { (stream, await self.events(stream: stream, buffered: buffered)) }
                return true
            }
            while running < Self.concurrency, addNext() { running += 1 }
            for await (stream, events) in group {
                if let events, !events.isEmpty { ready.append((stream, events)) }
                if !addNext() { running -= 1 }
            }
        }

        // In the consumer's order of kinds, so a batch boundary never puts a row before the row it
        // refers to (a territory before its venue: a foreign key refused it until the next sweep).
        func order(_ stream: String) -> Int { EntityKey(stream).map { consumer.order(of: $0.kind) } ?? Int.max }
        ready = ready.enumerated().sorted { (order($0.element.stream), $0.offset) < (order($1.element.stream), $1.offset) }.map(\.element)
        var progress: [String: Int64] = [:]
        if configuration.tracing {
            // A stream whose events carry a trace is delivered alone, in a span of that trace, so
            // the commands a reaction sends continue it (the cost: such streams lose batching).
            var untraced: [(stream: String, events: [RecordedEvent])] = []
            for (stream, events) in ready {
                guard let traceparent = events.lazy.compactMap({ TraceContext.traceparent(inPayload: $0.payload) }).first else {
                    untraced.append((stream, events))
                    continue
                }
                let consumer = self.consumer
                let delivered = await withSpan("consume \(consumer.name)", context: TraceContext.context(traceparent: traceparent), ofKind: .consumer)
                {
                    span in
                    span.attributes["dojo.consumer"] = consumer.name
                    span.attributes["dojo.stream"] = stream
                    span.attributes["dojo.events"] = events.count
                    span.attributes["dojo.sequence.first"] = Int(events.first!.sequence)
                    return await handleAlone(stream, events)
                }
                if delivered { progress[stream] = events.last!.sequence }
            }
            ready = untraced
        }
        for start in stride(from: 0, to: ready.count, by: Self.maximumBatchStreams) {
            let batch = Array(ready[start..<min(start + Self.maximumBatchStreams, ready.count)])
            do {
                try await consumer.handle(batch: batch)
                for (stream, events) in batch { progress[stream] = events.last!.sequence }
                handled.increment(by: batch.reduce(0) { $0 + $1.events.count })
            } catch {
                for (stream, events) in batch {
                    if await handleAlone(stream, events) { progress[stream] = events.last!.sequence }
                }
            }
        }
        guard !progress.isEmpty else { return }
        let handledPositions = progress
        state.withLock { state in
            for (stream, position) in handledPositions { state.positions[stream] = max(state.positions[stream] ?? 0, position) }
            if state.positions.count > 100_000 { state.positions.removeAll() }
        }
        do {
            try await withTimeout(configuration.storageTimeout) {
                try await self.storage.saveConsumerPositions(consumer: self.consumer.name, handledPositions, at: Date())
            }
        } catch {
            // The events are handled again after a restart: harmless, consumers are idempotent.
            logger.warning("consumer positions not saved", metadata: ["consumer": "\(consumer.name)", "error": "\(error)"])
        }
        lag.record(0)
    }

    /// Hands one stream's events to the consumer alone; a failure is logged and counted, and the
    /// next sweep retries. Returns whether they were handled.
    private func handleAlone(_ stream: String, _ events: [RecordedEvent]) async -> Bool {
        do {
            try await consumer.handle(stream: stream, events: events)
            handled.increment(by: events.count)
            return true
        } catch {
            failures.increment()
            logger.error(
                "consumer failed on a stream; it is retried by the next sweep",
                metadata: ["consumer": "\(consumer.name)", "stream": "\(stream)", "first": "\(events.first!.sequence)", "error": "\(error)"]
            )
            return false
        }
    }

    /// The events of `stream` after its position; nil when the log could not be read.
    private func events(stream: String, buffered: [RecordedEvent]) async -> [RecordedEvent]? {
        let position = state.withLock { $0.positions[stream] ?? 0 }
        let events = buffered.filter { $0.sequence > position }
        if events.first?.sequence == position + 1, isContiguous(events) { return events }
        do {
            return try await readLog(stream: stream, after: position)
        } catch {
            failures.increment()
            logger.error("consumer cannot read the log", metadata: ["consumer": "\(consumer.name)", "stream": "\(stream)", "error": "\(error)"])
            return nil
        }
    }

    private func isContiguous(_ events: [RecordedEvent]) -> Bool {
        zip(events, events.dropFirst()).allSatisfy { $1.sequence == $0.sequence + 1 }
    }

    private func readLog(stream: String, after position: Int64) async throws -> [RecordedEvent] {
        var events: [RecordedEvent] = []
        var after = position
        while true {
            let from = after
            let page = try await withTimeout(configuration.storageTimeout) {
                try await self.storage.readEvents(stream: stream, after: from, limit: 1_000)
            }
            events.append(contentsOf: page)
            guard page.count == 1_000, let last = page.last?.sequence else { break }
            after = last
            if events.count >= 10_000 { break }  // the rest comes next round
        }
        return events
    }

    private func loadPositions(for streams: [String]) async {
        let unknown = state.withLock { state in streams.filter { state.positions[$0] == nil } }
        guard !unknown.isEmpty else { return }
        do {
            let stored = try await withTimeout(configuration.storageTimeout) {
                try await self.storage.consumerPositions(consumer: self.consumer.name, streams: unknown)
            }
            state.withLock { state in
                for stream in unknown { state.positions[stream] = max(state.positions[stream] ?? 0, stored[stream] ?? 0) }
            }
        } catch {
            // Unknown positions would mean handling whole streams again; wait for the next round.
            logger.warning("consumer positions not loaded", metadata: ["consumer": "\(consumer.name)", "error": "\(error)"])
            state.withLock { state in
                for stream in unknown where state.positions[stream] == nil { state.behind.insert(stream) }
            }
        }
    }

    /// Finds streams the log holds events of that this consumer has not handled.
    func sweep() async {
        do {
            var found: [StreamLag] = []
            for kind in consumer.kinds {
                found += try await withTimeout(configuration.storageTimeout) {
                    try await self.storage.streamsBehind(consumer: self.consumer.name, prefix: kind.rawValue + ":", limit: 1_000)
                }
            }
            if let ownership, !found.isEmpty {
                // A node whose membership lapsed takes nothing: its streams go to whoever claims them.
                guard ownership.generation() != nil else { return }
                var owned: [StreamLag] = []
                for lag in found {
                    guard let key = EntityKey(lag.stream), case .owned = try await ownership.claim(key) else { continue }
                    owned.append(lag)
                }
                found = owned
            }
            guard !found.isEmpty else { return }
            state.withLock { state in
                for lag in found where (state.positions[lag.stream] ?? lag.position) < lag.lastSequence {
                    state.positions[lag.stream] = max(state.positions[lag.stream] ?? 0, lag.position)
                    state.behind.insert(lag.stream)
                }
            }
            wake.yield()
        } catch {
            logger.warning("consumer sweep failed", metadata: ["consumer": "\(consumer.name)", "error": "\(error)"])
        }
    }

    func finish() { wake.finish() }
}
