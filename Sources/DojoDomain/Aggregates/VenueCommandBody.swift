/// A venue's admin command or check-in as one JSON object: the `command` of a WebSocket `command`
/// message to a `venue:` room (`{"type": "setMaintenance", "tableId": "t1", "on": true}`).
/// Registering a venue is REST-only (`POST /v1/venues`).
public struct VenueCommandBody: Decodable, Sendable {
    public var type: String
    public var commandId: String?
    public var tableId: String?
    public var name: String?
    public var on: Bool?
    public var userId: String?
    public var method: CheckInMethod?
    public var openTables: Bool?

    /// The command (`userID` defaults to the acting user for a check-in), or `invalid_command`.
    public func command(actingUser: String?) throws(DomainError) -> Venue.Command {
        func require<T>(_ value: T?, _ field: String) throws(DomainError) -> T {
            guard let value else { throw DomainError(.invalid, "invalid_command", "\(type) needs \(field)") }
            return value
        }
        switch type {
        case "addTable": return .addTable(id: try require(tableId, "tableId"), name: try require(name, "name"))
        case "setMaintenance": return .setMaintenance(tableID: try require(tableId, "tableId"), on: try require(on, "on"))
        case "grantAdmin": return .grantAdmin(userID: try require(userId, "userId"))
        case "revokeAdmin": return .revokeAdmin(userID: try require(userId, "userId"))
        case "setOpenTables": return .setOpenTables(try require(openTables, "openTables"))
        case "checkIn": return .checkIn(userID: try require(userId ?? actingUser, "userId"), method: try require(method, "method"))
        default:
            throw DomainError(
                .invalid,
                "invalid_command",
                "unknown venue command type \(type.prefix(40)); use addTable, setMaintenance, grantAdmin, revokeAdmin, setOpenTables or checkIn"
            )
        }
    }

}
