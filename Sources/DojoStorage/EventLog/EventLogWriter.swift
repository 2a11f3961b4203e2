public import Foundation
public import Logging
import Metrics
public import ServiceLifecycle
import Synchronization
public import Tracing

/// The group-commit writer: every actor's appends go through it, and it writes them to storage in
/// large batches, one transaction per batch, so the database sees few large writes.
///
/// A caller awaits ``append(_:)`` and gets its own result only once the batch holding it is durable
/// (acknowledge after the durable append). While batches are being committed, new appends queue;
/// as soon as fewer than ``Configuration/maximumConcurrentBatches`` are in flight, everything queued
/// (up to ``Configuration/maximumBatch`` requests) becomes the next batch. There is no timer: under
/// light load a lone append commits at once, under heavy load batches grow by themselves. Several
/// batches in flight keep both the database and this process busy (one batch at a time leaves each
/// idle while the other works); on SQLite, whose single write lock serializes them anyway, one.
///
/// Two appends to the same stream are never in flight together (the second waits until the first's
/// batch is done), so each sees the other's outcome and a stream's appends keep their order. If a whole batch fails (a lost connection, a deadlock between nodes),
/// its requests are retried one by one so that one bad request cannot fail the others; the
/// conditional append makes the retry safe even if the failed batch did in fact commit.
///
/// Run it as a `Service`. On graceful shutdown it refuses new appends (`shutting_down`) and returns
/// once everything already queued is written.
public final class EventLogWriter: Service {
    /// Tuning.
    public struct Configuration: Sendable {
        /// The most requests in one batch.
        public var maximumBatch: Int
        /// The most requests waiting; past it `append` fails at once with `unavailable` (back-pressure).
        public var maximumQueued: Int
        /// The most batches being committed at once (1 on SQLite, whatever is asked).
        public var maximumConcurrentBatches: Int
        /// How long one batch may take before its callers get `unavailable` (the database is
        /// unreachable or stuck). The batch may still commit later; fencing keeps that safe.
        public var batchTimeout: Duration

        /// Creates a configuration.
        public init(
            maximumBatch: Int = 2_000,
            maximumQueued: Int = 100_000,
            maximumConcurrentBatches: Int = 4,
            batchTimeout: Duration = .seconds(10)
        ) {
            self.maximumBatch = maximumBatch
            self.maximumQueued = maximumQueued
            self.maximumConcurrentBatches = max(1, maximumConcurrentBatches)
            self.batchTimeout = batchTimeout
        }
    }

    private struct Pending {
        var request: AppendRequest
        /// The span of the append that asked (traces on): the batch's span continues one of them.
        var trace: ServiceContext?
        var enqueuedAt: ContinuousClock.Instant
        var continuation: CheckedContinuation<AppendResult, any Error>
    }

    private struct State {
        var queue: [Pending] = []
        var accepting = true
        var wake: CheckedContinuation<Void, Never>?
        var statistics = Statistics()
        /// Streams with an append in a batch being committed.
        var inFlight = Set<String>()
        /// Batches being committed.
        var running = 0
    }

    /// Counts since the writer was created.
    public struct Statistics: Sendable, Equatable {
        /// Transactions committed (batches).
        public var batches = 0
        /// Requests written in them.
        public var requests = 0

        /// Zero counts.
        public init() {}
    }

    /// Batches and requests written so far.
    public var statistics: Statistics { state.withLock { $0.statistics } }

    private let storage: any Storage
    private let configuration: Configuration
    private let logger: Logger
    private let clock: @Sendable () -> Date
    private let state = Mutex(State())

    private let batchSize = Recorder(label: "dojo_storage_append_batch_size", dimensions: [])
    private let batchDuration = Metrics.Timer(label: "dojo_storage_append_batch_duration_seconds", preferredDisplayUnit: .seconds)
    private let appendLatency = Metrics.Timer(label: "dojo_storage_append_latency_seconds", preferredDisplayUnit: .seconds)
    private let appendsOK = Counter(label: "dojo_storage_appends_total", dimensions: [("result", "ok")])
    private let appendsConflict = Counter(label: "dojo_storage_appends_total", dimensions: [("result", "conflict")])
    private let appendsFailed = Counter(label: "dojo_storage_appends_total", dimensions: [("result", "error")])
    private let eventsWritten = Counter(label: "dojo_storage_events_written_total")

    /// Creates a writer over `storage`. `clock` stamps each batch's commit time.
    public init(
        storage: any Storage,
        configuration: Configuration = Configuration(),
        logger: Logger,
        clock: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.storage = storage
        var configuration = configuration
        if storage.backend == .sqlite { configuration.maximumConcurrentBatches = 1 }
        self.configuration = configuration
        self.logger = logger
        self.clock = clock
    }

    /// Appends `request` and returns once it is durable.
    ///
    /// Throws a ``StorageError``: `invalid_request` for a malformed request, `conflict` when the stream
    /// is not at the expected sequence (nothing written), `shutting_down` after shutdown began,
    /// `unavailable` when the queue is full or the database failed (the append may then have been
    /// written or not: reread the stream's head before retrying).
    ///
    /// `trace`, the context of the caller's span when traces are on: the group commit that writes
    /// the request is recorded as a span in the first traced caller's trace, linked to the others.
    public func append(_ request: AppendRequest, trace: ServiceContext? = nil) async throws -> AppendResult {
        try request.validate()
        let enqueuedAt = ContinuousClock.now
        return try await withCheckedThrowingContinuation { continuation in
            let (refusal, wake) = state.withLock { state -> (StorageError?, CheckedContinuation<Void, Never>?) in
                guard state.accepting else { return (StorageError(.shuttingDown, "the event log is shutting down"), nil) }
                guard state.queue.count < configuration.maximumQueued else {
                    return (StorageError(.unavailable, "the event log's queue is full; retry later"), nil)
                }
                state.queue.append(Pending(request: request, trace: trace, enqueuedAt: enqueuedAt, continuation: continuation))
                defer { state.wake = nil }
                return (nil, state.wake)
            }
            if let refusal { continuation.resume(throwing: refusal) }
            wake?.resume()
        }
    }

    /// Writes batches until graceful shutdown, then drains the queue and returns.
    public func run() async throws {
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                while let batch = await nextBatch() {
                    group.addTask {
                        await self.write(batch)
                        self.finished(batch)
                    }
                }
            }
        } onGracefulShutdown: {
            self.wakeUp { $0.accepting = false }
        }
    }

    /// Waits until a batch can start; returns `nil` once shut down with nothing left to start
    /// (batches still in flight are awaited by `run`).
    private func nextBatch() async -> [Pending]? {
        let maximumBatch = configuration.maximumBatch
        let maximumRunning = configuration.maximumConcurrentBatches
        while true {
            enum Next {
                case batch([Pending])
                case finished, wait
            }
            let next = state.withLock { state -> Next in
                if state.running < maximumRunning {
                    let batch = Self.takeBatch(from: &state.queue, excluding: state.inFlight, maximum: maximumBatch)
                    if !batch.isEmpty {
                        state.running += 1
                        for pending in batch { state.inFlight.insert(pending.request.stream) }
                        return .batch(batch)
                    }
                }
                return state.queue.isEmpty && !state.accepting ? .finished : .wait
            }
            switch next {
            case .batch(let batch): return batch
            case .finished: return nil
            case .wait:
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let resumeNow = state.withLock { state -> Bool in
                        if Self.canProgress(state, maximumRunning: maximumRunning) { return true }
                        state.wake = continuation
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            }
        }
    }

    /// Whether the run loop has something to do now: start a batch, or finish.
    private static func canProgress(_ state: State, maximumRunning: Int) -> Bool {
        if state.queue.isEmpty { return !state.accepting }
        return state.running < maximumRunning && state.queue.contains { !state.inFlight.contains($0.request.stream) }
    }

    /// A batch is done: its streams may be appended to again.
    private func finished(_ batch: [Pending]) {
        wakeUp { state in
            state.running -= 1
            for pending in batch { state.inFlight.remove(pending.request.stream) }
        }
    }

    /// Changes the state and wakes the run loop if it waits.
    private func wakeUp(_ change: (inout State) -> Void) {
        let wake = state.withLock { state -> CheckedContinuation<Void, Never>? in
            change(&state)
            defer { state.wake = nil }
            return state.wake
        }
        wake?.resume()
    }

    /// Takes up to `maximum` requests for distinct streams that are not in flight, in arrival order;
    /// the rest stay queued in their order.
    private static func takeBatch(from queue: inout [Pending], excluding inFlight: Set<String>, maximum: Int) -> [Pending] {
        var batch: [Pending] = []
        var streams = Set<String>()
        var rest: [Pending] = []
        for pending in queue {
            let stream = pending.request.stream
            if batch.count < maximum, !inFlight.contains(stream), streams.insert(stream).inserted {
                batch.append(pending)
            } else {
                rest.append(pending)
            }
        }
        queue = rest
        return batch
    }

    private func write(_ batch: [Pending]) async {
        let started = ContinuousClock.now
        let span = Self.span(of: batch)
        defer { span?.end() }
        do {
            let results = try await appendWithDeadline(batch.map(\.request))
            batchSize.record(batch.count)
            state.withLock {
                $0.statistics.batches += 1
                $0.statistics.requests += batch.count
            }
            batchDuration.recordInterval(since: started)
            let committed = ContinuousClock.now
            for (pending, result) in zip(batch, results) { complete(pending, with: result, started: started, committed: committed) }
        } catch is TimeoutError {
            // The database does not answer: retrying request by request would only multiply the wait.
            span?.setStatus(SpanStatus(code: .error, message: "timed out"))
            logger.error("batch append timed out", metadata: ["batch.size": "\(batch.count)"])
            for pending in batch { fail(pending, with: timedOut) }
        } catch {
            // Requests are validated before storage, so this is the database's doing (a lost
            // connection, a deadlock between nodes): retry one by one, so that one request cannot
            // fail the others, but give up on the rest at the first timeout.
            span?.recordError(error)
            logger.warning(
                "batch append failed; retrying its requests one by one",
                metadata: ["batch.size": "\(batch.count)", "error": "\(error)"]
            )
            var giveUp: StorageError?
            for pending in batch {
                if let giveUp {
                    fail(pending, with: giveUp)
                    continue
                }
                do {
                    let alone = ContinuousClock.now
                    let results = try await appendWithDeadline([pending.request])
                    complete(pending, with: results[0], started: alone, committed: .now)
                } catch is TimeoutError {
                    giveUp = timedOut
                    fail(pending, with: timedOut)
                } catch {
                    fail(pending, with: error as? StorageError ?? StorageError(.unavailable, "append failed"))
                }
            }
        }
    }

    /// The span of a batch with traced appends: in the first one's trace, linked to the others
    /// (a batch serves many traces; a link per trace, up to 32). Nil when no append is traced.
    private static func span(of batch: [Pending]) -> (any Span)? {
        guard let first = batch.firstIndex(where: { $0.trace != nil }), let parent = batch[first].trace else { return nil }
        let span = InstrumentationSystem.tracer.startAnySpan("group commit", context: parent, ofKind: .internal)
        span.attributes["dojo.batch.appends"] = batch.count
        span.attributes["dojo.batch.events"] = batch.reduce(0) { $0 + $1.request.events.count }
        var linked = 0
        for pending in batch[(first + 1)...] where linked < 32 {
            guard let trace = pending.trace else { continue }
            span.addLink(SpanLink(context: trace, attributes: [:]))
            linked += 1
        }
        return span
    }

    /// One storage append, bounded by ``Configuration/batchTimeout`` (throws `TimeoutError`).
    private func appendWithDeadline(_ requests: [AppendRequest]) async throws -> [Result<AppendResult, StorageError>] {
        let storage = self.storage
        let now = clock()
        return try await withTimeout(configuration.batchTimeout) { try await storage.append(requests, at: now) }
    }

    private var timedOut: StorageError {
        StorageError(
            .unavailable,
            "storage did not answer within \(configuration.batchTimeout); the append may or may not have been written"
        )
    }

    private func fail(_ pending: Pending, with error: StorageError) {
        appendsFailed.increment()
        pending.continuation.resume(throwing: error)
    }

    private func complete(
        _ pending: Pending,
        with result: Result<AppendResult, StorageError>,
        started: ContinuousClock.Instant,
        committed: ContinuousClock.Instant
    ) {
        var result = result
        switch result {
        case .success(var appended):
            appended.timing = AppendTiming(queued: started - pending.enqueuedAt, transaction: committed - started, committedAt: committed)
            result = .success(appended)
            appendsOK.increment()
            eventsWritten.increment(by: pending.request.events.count)
            appendLatency.recordInterval(since: pending.enqueuedAt)
        case .failure:
            appendsConflict.increment()
        }
        pending.continuation.resume(with: result)
    }
}

extension Metrics.Timer {
    /// Records the time elapsed since `start`.
    fileprivate func recordInterval(since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        recordNanoseconds(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
    }
}
