public import Foundation

/// An event to append: a type name and its JSON payload.
public struct NewEvent: Sendable, Equatable {
    /// The event type, e.g. `MatchStarted`. 1–128 characters.
    public var type: String
    /// The event's payload: a JSON document (UTF-8 text).
    public var payload: String
    /// Where the domain event sits in `payload` (UTF-8 offsets), when the payload was written by
    /// the runtime's own encoder: its syntax is then not checked again, and the gateway frames
    /// these bytes for clients without scanning the payload.
    public var eventRange: Range<Int>?

    /// Creates an event from a payload written elsewhere: its syntax is checked on append.
    public init(type: String, payload: String) {
        self.type = type
        self.payload = payload
        eventRange = nil
    }

    /// Creates an event the runtime encoded itself (`JSONWriter`): `eventRange` locates the domain
    /// event inside the payload's envelope.
    public init(type: String, encoded payload: String, eventRange: Range<Int>) {
        self.type = type
        self.payload = payload
        self.eventRange = eventRange
    }
}

/// An event as stored in a stream.
public struct RecordedEvent: Sendable, Equatable {
    /// The stream (an entity key, `match:42`).
    public var stream: String
    /// Its sequence number in the stream: 1, 2, 3, … without gaps.
    public var sequence: Int64
    /// The event type.
    public var type: String
    /// The JSON payload.
    public var payload: String
    /// When the batch holding it was committed (as given to the store, microsecond precision).
    public var recordedAt: Date
    /// Where the domain event sits in `payload`, for an event the runtime just committed (nil for
    /// events read back from the log).
    public var eventRange: Range<Int>?

    /// Creates a recorded event.
    public init(stream: String, sequence: Int64, type: String, payload: String, recordedAt: Date, eventRange: Range<Int>? = nil) {
        self.stream = stream
        self.sequence = sequence
        self.type = type
        self.payload = payload
        self.recordedAt = recordedAt
        self.eventRange = eventRange
    }
}

/// A conditional append of one or more events to one stream.
public struct AppendRequest: Sendable, Equatable {
    /// The stream to append to.
    public var stream: String
    /// The sequence number the caller believes the stream is at (0 for a new stream).
    /// The append succeeds only if it is; otherwise nothing is written (fencing).
    public var expectedSequence: Int64
    /// The events, in order. Not empty.
    public var events: [NewEvent]

    /// Creates a request.
    public init(stream: String, expectedSequence: Int64, events: [NewEvent]) {
        self.stream = stream
        self.expectedSequence = expectedSequence
        self.events = events
    }

    /// The largest number of events in one request.
    public static let maximumEvents = 1_000
    /// The largest payload of one event, in bytes.
    public static let maximumPayloadBytes = 1 << 20

    /// Checks the request's shape; the store never sees an invalid request.
    public func validate() throws(StorageError) {
        guard !stream.isEmpty, stream.utf8.count <= 200 else {
            throw StorageError(.invalidRequest, "stream name must be 1–200 bytes", stream: stream)
        }
        guard expectedSequence >= 0 else {
            throw StorageError(.invalidRequest, "expected sequence must not be negative", stream: stream)
        }
        guard !events.isEmpty, events.count <= Self.maximumEvents else {
            throw StorageError(.invalidRequest, "an append holds 1–\(Self.maximumEvents) events", stream: stream)
        }
        for event in events {
            guard !event.type.isEmpty, event.type.utf8.count <= 128 else {
                throw StorageError(.invalidRequest, "event type must be 1–128 bytes", stream: stream)
            }
            // The runtime's own encoder writes valid JSON: only payloads from elsewhere are parsed.
            guard event.payload.utf8.count <= Self.maximumPayloadBytes, event.eventRange != nil || JSONSyntax.isValid(event.payload) else {
                throw StorageError(
                    .invalidRequest,
                    "event payload must be a JSON document of at most 1 MiB, nested at most \(JSONSyntax.maximumDepth) deep",
                    stream: stream
                )
            }
        }
    }
}

extension [AppendRequest] {
    /// Checks a batch: every request valid, each stream at most once.
    func validateBatch() throws(StorageError) {
        var streams = Set<String>()
        for request in self {
            try request.validate()
            guard streams.insert(request.stream).inserted else {
                throw StorageError(.invalidRequest, "a batch names stream \(request.stream) twice", stream: request.stream)
            }
        }
    }
}

/// The outcome of a successful append: the sequence numbers its events received.
public struct AppendResult: Sendable, Equatable {
    /// The stream.
    public var stream: String
    /// The first sequence number written.
    public var firstSequence: Int64
    /// The last sequence number written; the stream is now at this sequence.
    public var lastSequence: Int64
    /// Where the append's time went, when it went through the writer (not part of equality).
    public var timing: AppendTiming?

    public static func == (lhs: AppendResult, rhs: AppendResult) -> Bool {
        lhs.stream == rhs.stream && lhs.firstSequence == rhs.firstSequence && lhs.lastSequence == rhs.lastSequence
    }

    /// Creates a result.
    public init(stream: String, firstSequence: Int64, lastSequence: Int64, timing: AppendTiming? = nil) {
        self.timing = timing
        self.stream = stream
        self.firstSequence = firstSequence
        self.lastSequence = lastSequence
    }
}

/// A snapshot of an entity's state at a sequence number.
public struct Snapshot: Sendable, Equatable {
    /// The stream.
    public var stream: String
    /// The sequence number of the last event folded into `state`.
    public var sequence: Int64
    /// The format version of `state`; a reader ignores versions it does not know and rebuilds from the log.
    public var formatVersion: Int
    /// The encoded state.
    public var state: [UInt8]
    /// When the snapshot was taken.
    public var takenAt: Date

    /// Creates a snapshot.
    public init(stream: String, sequence: Int64, formatVersion: Int, state: [UInt8], takenAt: Date) {
        self.stream = stream
        self.sequence = sequence
        self.formatVersion = formatVersion
        self.state = state
        self.takenAt = takenAt
    }
}

/// An append's time in the writer: waiting for its batch, the batch's transaction, and when it
/// committed (the caller measures its own wake-up from there).
public struct AppendTiming: Sendable {
    public var queued: Duration
    public var transaction: Duration
    public var committedAt: ContinuousClock.Instant

    public init(queued: Duration, transaction: Duration, committedAt: ContinuousClock.Instant) {
        self.queued = queued
        self.transaction = transaction
        self.committedAt = committedAt
    }
}
