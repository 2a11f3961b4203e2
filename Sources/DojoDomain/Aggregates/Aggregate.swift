public import Foundation

/// A rule broke: the command is refused, nothing is appended, the state is unchanged.
///
/// `code` is stable and machine-readable (`match.not_scorer`, `venue.unknown_table`, …); the REST
/// layer and the gateway pass it through unchanged. `kind` tells which HTTP status it maps to.
public struct DomainError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Why the command was refused, in classes a transport can map.
    public enum Kind: String, Sendable, Codable {
        /// The command is malformed or out of range (HTTP 422).
        case invalid
        /// The entity does not exist yet (HTTP 404).
        case notFound
        /// The command does not fit the entity's current state (HTTP 409).
        case conflict
        /// The sender may not give this command (HTTP 403).
        case forbidden
    }

    public var kind: Kind
    public var code: String
    public var message: String

    public init(_ kind: Kind, _ code: String, _ message: String) {
        self.kind = kind
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}

/// Who gives a command. Built by the transport from an authenticated identity; reactions run as
/// ``system``.
public struct Principal: Sendable, Equatable, Codable {
    /// The user id, or nil for the system itself.
    public var userID: String?
    /// The user's platform role.
    public var role: UserRole

    public init(userID: String?, role: UserRole) {
        self.userID = userID
        self.role = role
    }

    /// A signed-in user.
    public static func user(_ id: String, role: UserRole = .user) -> Principal {
        Principal(userID: id, role: role)
    }

    /// The server itself (reactions between entities, maintenance jobs).
    public static let system = Principal(userID: nil, role: .admin)

    /// True for the server itself.
    public var isSystem: Bool { userID == nil }
    /// True for platform admins and the system.
    public var isAdmin: Bool { role == .admin }
}

/// What a `decide` function may know besides the state and the command: who asks and when.
/// Time is passed in so the domain stays pure (ARCHITECTURE §1.3).
public struct CommandContext: Sendable, Equatable, Codable {
    public var principal: Principal
    public var now: Timestamp

    public init(principal: Principal, now: Timestamp) {
        self.principal = principal
        self.now = now
    }
}

/// A point in time in whole milliseconds since 1970 (UTC). The domain stores times as integers so a
/// state encoded into a snapshot or rebuilt from events is bit-for-bit the state that was live.
public struct Timestamp: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var millisecondsSince1970: Int64

    public init(millisecondsSince1970: Int64) {
        self.millisecondsSince1970 = millisecondsSince1970
    }

    /// The timestamp of a date, truncated to the millisecond.
    public init(_ date: Date) {
        self.millisecondsSince1970 = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
    }

    public var date: Date { Date(timeIntervalSince1970: Double(millisecondsSince1970) / 1000) }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.millisecondsSince1970 < rhs.millisecondsSince1970 }

    public init(from decoder: any Decoder) throws {
        millisecondsSince1970 = try decoder.singleValueContainer().decode(Int64.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(millisecondsSince1970)
    }

    public var description: String { date.formatted(.iso8601) }
}

/// An event-sourced entity: its state, the commands it accepts and the events it records, with the
/// two pure functions that give it its behaviour.
///
/// `decide` never mutates; it returns the events a command produces, or a ``DomainError``.
/// `apply` folds one event into the state and never fails: an event is a fact that was durably
/// recorded. Replaying every event of a stream through `apply` from ``initialState(id:)`` gives
/// the live state.
public protocol Aggregate: Sendable {
    associatedtype State: Codable & Sendable & Equatable
    associatedtype Command: Sendable & Codable
    associatedtype Event: Codable & Sendable & Equatable & JSONWritable

    /// The entity kind, the first part of the stream name (`match:42`).
    static var kind: EntityKind { get }
    /// The version of the encoded state in snapshots. Bump it when `State`'s encoding changes: older
    /// snapshots are then ignored and the state is rebuilt from the log.
    static var stateFormatVersion: Int { get }

    /// The state of an entity no event was recorded for yet.
    static func initialState(id: String) -> State
    /// Decides a command against the state.
    static func decide(_ state: State, _ command: Command, _ context: CommandContext) throws(DomainError) -> [Event]
    /// Applies a recorded event.
    static func apply(_ state: inout State, _ event: Event)
    /// The stable type name of an event in the log (`match.rack_ended`).
    static func eventType(_ event: Event) -> String
}

extension Aggregate {
    /// Folds events into a state.
    public static func replay(_ events: some Sequence<Event>, from state: State) -> State {
        var state = state
        for event in events { apply(&state, event) }
        return state
    }
}
