public import DojoDomain
public import DojoStorage

extension Runtime {
    /// Whether `principal` may follow the room of entity `id` of `kind`: the kind's registered
    /// rule (``EntityRegistration/follow``); kinds without one have public rooms. Throws the
    /// refusal.
    public func checkFollow(_ kind: EntityKind, id: String, principal: Principal) async throws {
        guard let follow = registration(for: kind)?.follow else { return }
        try await follow(id, principal)
    }

    /// Whether an entity exists, for the rooms of kinds that have no actor yet (tables, users,
    /// clans, tournaments, territories): their records say so. A registered kind answers through
    /// its registration; the transports never read tables themselves.
    public func recordExists(_ kind: EntityKind, id: String) async throws -> Bool {
        if let registration = registration(for: kind) { return try await registration.read(id).exists }
        let table: String
        switch kind {
        case .table: table = "venue_tables"
        case .tournament: table = "tournaments"
        case .territory: table = "territories"
        case .user: table = "users"
        case .account: return false  // private: no room
        case .challenge: table = "challenges"
        case .clan: table = "clans"
        case .match: table = "matches"
        case .venue: table = "venues"
        }
        return try await !environment.storage.existingIDs(in: table, [id]).isEmpty
    }

    /// What a venue cannot check itself, checked in the records for every transport (REST's venue
    /// routes, the generic commands route, the socket): the user a command names exists, and a new
    /// table's id is unique across venues.
    public func authorize(_ command: Venue.Command) async throws -> Venue.Command {
        let storage = environment.storage
        switch command {
        case .grantAdmin(let user), .checkIn(let user, _):
            guard try await !storage.existingIDs(in: "users", [user]).isEmpty else {
                throw DomainError(.invalid, "venue.unknown_user", "user \(user) does not exist")
            }
        case .addTable(let table, _):
            guard try await storage.existingIDs(in: "venue_tables", [table]).isEmpty else {
                throw DomainError(.conflict, "venue.table_exists", "a table with id \(table) already exists")
            }
        default:
            break
        }
        return command
    }

    /// The events of a stream after `after` (a room's recovery from the durable log).
    public func events(of stream: String, after: Int64, limit: Int) async throws -> [RecordedEvent] {
        try await environment.storage.readEvents(stream: stream, after: after, limit: limit)
    }
}
