import DojoDomain
import DojoRuntime
import DojoStorage
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

// The request bodies of ``CommandRoutes``.

struct CreateMatchBody: Decodable {
    var id: String?
    var playerA: String
    var playerB: String
    var gameType: Match.GameType
    var raceTo: Int
    var venueId: String?
    var tableId: String?
    var tournamentId: String?
    var scorer: String?
    var breakRule: Match.BreakRule?
    /// `auto`: shots are also read from the table's camera frames (docs/referee.md).
    var mode: Match.Mode?
    var commandId: String?
}

struct RackBody: Decodable {
    var winner: Match.Side
    var breaker: Match.Side?
    var commandId: String?
}

struct DecisionBody: Decodable {
    var decision: Referee.Option
    var side: Match.Side?
    var commandId: String?
}

struct EndBody: Decodable {
    var winner: Match.Side
    var reason: String?
    var commandId: String?
}

/// `{"reason"?, "commandId"?}`: a cancellation or a correction.
struct ReasonBody: Decodable {
    var reason: String?
    var commandId: String?
}

struct CreateVenueBody: Decodable {
    var id: String?
    var name: String
    var lat: Double
    var lng: Double
    var address: String?
    var ownerId: String?
    var commandId: String?
}

struct TableBody: Decodable {
    var id: String
    var name: String
    var commandId: String?
}

struct MaintenanceBody: Decodable {
    var on: Bool
    var commandId: String?
}

struct MoveBody: Decodable {
    var tableId: String
    var commandId: String?
}

struct VenueSettingsBody: Decodable {
    var openTables: Bool
    var commandId: String?
}

struct UserBody: Decodable {
    var userId: String
    var commandId: String?
}

struct CheckInBody: Decodable {
    var userId: String?
    var method: CheckInMethod
    var commandId: String?
}
