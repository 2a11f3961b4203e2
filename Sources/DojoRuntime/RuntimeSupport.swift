public import DojoDomain
public import DojoStorage
import Foundation
import Synchronization

/// The runtime's own failures, as opposed to a ``DomainError`` (the command broke a rule).
public struct RuntimeError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// The actor's mailbox is full: retry later (HTTP 503 with Retry-After).
        case busy
        /// Another writer appended to the stream first; the actor stepped down. Retry (HTTP 409).
        case fenced
        /// The command could not be made durable (storage unavailable, timed out): nothing was
        /// acknowledged; it may be retried with the same command id (HTTP 503).
        case unavailable
        /// The runtime is shutting down (HTTP 503).
        case shuttingDown = "shutting_down"
        /// Internal: the actor was passivated between lookup and send; the directory retries.
        case stopped
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "RuntimeError(\(code.rawValue)): \(message)" }
}

/// The source event a reaction command comes from. A target applies each cause at most once.
public struct Cause: Sendable, Codable, Equatable {
    public var stream: String
    public var seq: Int64

    public init(stream: String, seq: Int64) {
        self.stream = stream
        self.seq = seq
    }
}

/// What a command did.
public struct CommandResult<A: Aggregate>: Sendable {
    /// The stream's last sequence number after the command (the last event it appended, or the
    /// current head when it appended nothing).
    public var sequence: Int64
    /// The sequence number of the first event appended, nil when none was.
    public var firstSequence: Int64?
    /// The events appended, empty for a duplicate or a command that changed nothing.
    public var events: [A.Event]
    /// True when the command id (or cause) was seen before: the original result is returned and
    /// nothing was appended.
    public var duplicate: Bool
    /// The state after the command.
    public var state: A.State
    /// When the actor answered (for the `answer` stage), nil when stages are not measured.
    var answeredAt: ContinuousClock.Instant? = nil
}

/// How an event is stored: the domain event plus the metadata the runtime needs to rebuild its
/// idempotency memory from the log. Payload JSON: `{"event": {...}, "meta": {"commandId": …, "commandHash": …, "cause": …, "trace": …}}`.
struct EventEnvelope<Event: Codable & Sendable>: Codable, Sendable {
    struct Meta: Codable, Sendable, Equatable {
        var commandId: String?
        var cause: Cause?
        /// The command's fingerprint, so a restarted actor still tells a repeat from a reused id.
        var commandHash: String? = nil
        /// The W3C `traceparent` of the command's span (traces on), continued by reactions.
        var trace: String? = nil
    }

    var event: Event
    var meta: Meta?
}

extension EventEnvelope where Event: JSONWritable {
    /// The payload of one event (the shape `Codable` reads back), written without `JSONEncoder`.
    static func json(_ event: Event, meta: Meta?) -> String { encoded(event, meta: meta).payload }

    /// The payload, and where the event sits in it (UTF-8 offsets): the bytes clients receive.
    static func encoded(_ event: Event, meta: Meta?) -> (payload: String, eventRange: Range<Int>) {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("event")
        let start = writer.bytes.count
        event.writeJSON(to: &writer)
        let end = writer.bytes.count
        if let meta {
            writer.key("meta")
            writer.beginObject()
            if let cause = meta.cause {
                writer.key("cause")
                writer.beginObject()
                writer.member("seq", cause.seq)
                writer.member("stream", cause.stream)
                writer.endObject()
            }
            writer.member("commandHash", meta.commandHash)
            writer.member("commandId", meta.commandId)
            writer.member("trace", meta.trace)
            writer.endObject()
        }
        writer.endObject()
        return (writer.text, start..<end)
    }
}

/// A committed event as the runtime hands it to consumers (reactions, projections, rooms).
public typealias CommittedEvent = RecordedEvent

extension JSONEncoder {
    /// The encoder for event payloads and snapshots: compact, keys sorted so equal states give equal
    /// bytes (the state hash of the tests).
    static func dojo() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}

extension RecordedEvent {
    /// The domain event a recorded payload holds (for consumers outside the runtime).
    public func event<A: Aggregate>(of _: A.Type) throws -> A.Event {
        try JSONDecoder().decode(EventEnvelope<A.Event>.self, from: Data(payload.utf8)).event
    }
}

/// An entity's state told to rooms other than its own (``Runtime/onNotice(_:)``).
public struct Notice: Sendable {
    /// The rooms (`user:{id}`, `venue:{id}`).
    public var rooms: [String]
    /// The entity (`challenge:{id}`).
    public var entity: EntityKey
    /// The last event that changed it.
    public var eventType: String
    /// Its view, as JSON.
    public var view: [UInt8]

    init?(rooms: [String], entity: EntityKey?, eventType: String, view: some Encodable) {
        guard let entity, let json = try? JSONEncoder.dojo().encode(view) else { return nil }
        self.rooms = rooms
        self.entity = entity
        self.eventType = eventType
        self.view = Array(json)
    }
}

/// The listeners of notices.
final class NoticeListeners: Sendable {
    private let listeners = Mutex<[@Sendable (Notice) -> Void]>([])

    func add(_ listener: @escaping @Sendable (Notice) -> Void) { listeners.withLock { $0.append(listener) } }

    func tell(_ notice: Notice) {
        for listener in listeners.withLock({ $0 }) { listener(notice) }
    }
}

/// Lets a consumer built before the runtime reach it once it exists.
final class SlotReleaser: @unchecked Sendable {
    // Safe: written once in the runtime's init, before any consumer runs.
    weak var runtime: Runtime?
}
