public import Foundation
import SQLKit

/// One change to the records tables (the seed's data model), written by the projections that follow
/// the event log. Every change is idempotent: inserts ignore a row that exists, updates set values,
/// so a consumer that handles an event twice after a crash leaves the same rows.
public enum RecordChange: Sendable, Equatable {
    case insertMatch(id: String, tournamentID: String?, venueID: String?, tableID: String?, playerA: String, playerB: String, at: Date)
    case updateMatch(id: String, status: String, scoreA: Int, scoreB: Int, startedAt: Date?, endedAt: Date?, at: Date)
    case updateMatchStatus(id: String, status: String, endedAt: Date)
    case updateMatchTable(id: String, tableID: String, at: Date)
    case insertMatchEvent(id: String, matchID: String, type: String, payload: String, at: Date)
    case insertVenue(id: String, name: String, lat: Double, lng: Double, address: String?, ownerID: String?, at: Date)
    case insertVenueTable(id: String, venueID: String, name: String, at: Date)
    case updateVenueTable(id: String, status: String, at: Date)
    case insertCheckIn(id: String, userID: String, venueID: String, via: String, at: Date)
    case insertClan(id: String, name: String, description: String?, leaderID: String, at: Date)
    case updateClanDescription(id: String, description: String?, at: Date)
    case updateClanLeader(id: String, leaderID: String, at: Date)
    /// A disbanded clan's row goes (its members with it), so its name is free in the table too.
    case deleteClan(id: String)
    /// A player's membership (one row per player, `id` = the user id): a later join replaces an
    /// earlier one whatever the order the clans' streams are projected in.
    case putClanMember(clanID: String, userID: String, role: String, joinedAt: Date)
    case updateClanMemberRole(clanID: String, userID: String, role: String)
    /// Removes the player's row if it still names this clan.
    case deleteClanMember(clanID: String, userID: String)
    /// A clan's war wins as the clan counts them.
    case setClanWarWins(id: String, wins: Int)
    case insertTerritory(id: String, venueID: String, name: String, at: Date)
    /// The territory's holder and standing as its actor has them now (a clan no longer in
    /// `clans` is written as null).
    case updateTerritory(id: String, ownerID: String?, clanID: String?, level: Int, defenseScore: Int, at: Date)
    /// A CLAIM, DEFEND, LOSE or UPGRADE row with the event as its metadata.
    case insertTerritoryEvent(id: String, territoryID: String, type: String, metadata: String, at: Date)
    /// One user-side leg of a transfer (`amount` signed: + credit, − debit), the event as metadata.
    case insertTransaction(id: String, userID: String, amount: Int64, type: String, metadata: String, at: Date)
    /// A challenge as its actor has it now.
    case putChallenge(ChallengeRow)
    /// A tournament and its participants as its actor has them now.
    case putTournament(TournamentRow)
}

extension Storage {
    /// Applies changes in order, in one transaction.
    public func apply(_ changes: [RecordChange]) async throws {
        guard !changes.isEmpty else { return }
        let d = SchemaDialect(backend: backend)
        try await transaction { db in
            var index = changes.startIndex
            while index < changes.endIndex {
                // Consecutive match events go in multi-row inserts.
                var rows: [(String, String, String, String, Date)] = []
                while index < changes.endIndex, rows.count < 500,
                    case .insertMatchEvent(let id, let matchID, let type, let payload, let at) = changes[index]
                {
                    rows.append((id, matchID, type, payload, at))
                    index += 1
                }
                if !rows.isEmpty {
                    try await Self.insertMatchEvents(rows, on: db, d)
                    continue
                }
                try await Self.apply(changes[index], on: db, d)
                index += 1
            }
        }
    }

    private static func insertMatchEvents(_ rows: [(String, String, String, String, Date)], on db: any SQLDatabase, _ d: SchemaDialect) async throws {
        var insert = db.insert(into: "match_events").columns("id", "match_id", "type", "payload", "ts")
        for (id, matchID, type, payload, at) in rows {
            insert = insert.values([SQLBind(id), SQLBind(matchID), SQLBind(type), d.bindJSON(payload), d.bind(at)])
        }
        try await insert.ignoringConflicts(with: ["id"]).run()
    }

    private static func apply(_ change: RecordChange, on db: any SQLDatabase, _ d: SchemaDialect) async throws {
        switch change {
        case .insertMatch(let id, let tournamentID, let venueID, let tableID, let playerA, let playerB, let at):
            try await db.insert(into: "matches")
                .columns(
                    "id",
                    "tournament_id",
                    "venue_id",
                    "table_id",
                    "player_a_id",
                    "player_b_id",
                    "status",
                    "score_a",
                    "score_b",
                    "created_at",
                    "updated_at"
                )
                .values([
                    // A tournament whose row is not projected yet is written as null (the projection
                    // puts tournaments first in a round, so this is for a row deleted since).
                    SQLBind(id), SQLQueryString("(SELECT id FROM tournaments WHERE id = \(bind: tournamentID))"), SQLBind(venueID),
                    SQLBind(tableID), SQLBind(playerA), SQLBind(playerB), SQLBind("SCHEDULED"), SQLBind(0), SQLBind(0), d.bind(at), d.bind(at),
                ])
                .ignoringConflicts(with: ["id"])
                .run()
        case .updateMatch(let id, let status, let scoreA, let scoreB, let startedAt, let endedAt, let at):
            var update = db.update("matches")
                .set("status", to: status)
                .set("score_a", to: scoreA)
                .set("score_b", to: scoreB)
                .set("updated_at", to: d.bind(at))
            if let startedAt { update = update.set("started_at", to: d.bind(startedAt)) }
            if let endedAt { update = update.set("ended_at", to: d.bind(endedAt)) }
            try await update.where("id", .equal, id).run()
        case .updateMatchStatus(let id, let status, let endedAt):
            try await db.update("matches")
                .set("status", to: status)
                .set("ended_at", to: d.bind(endedAt))
                .set("updated_at", to: d.bind(endedAt))
                .where("id", .equal, id)
                .run()
        case .updateMatchTable(let id, let tableID, let at):
            try await db.update("matches")
                .set("table_id", to: tableID)
                .set("updated_at", to: d.bind(at))
                .where("id", .equal, id)
                .run()
        case .insertMatchEvent(let id, let matchID, let type, let payload, let at):
            try await db.insert(into: "match_events")
                .columns("id", "match_id", "type", "payload", "ts")
                .values([SQLBind(id), SQLBind(matchID), SQLBind(type), d.bindJSON(payload), d.bind(at)])
                .ignoringConflicts(with: ["id"])
                .run()
        case .insertVenue(let id, let name, let lat, let lng, let address, let ownerID, let at):
            try await db.insert(into: "venues")
                .columns("id", "name", "lat", "lng", "address", "owner_id", "created_at", "updated_at")
                .values([SQLBind(id), SQLBind(name), SQLBind(lat), SQLBind(lng), SQLBind(address), SQLBind(ownerID), d.bind(at), d.bind(at)])
                .ignoringConflicts(with: ["id"])
                .run()
        case .insertVenueTable(let id, let venueID, let name, let at):
            try await db.insert(into: "venue_tables")
                .columns("id", "venue_id", "name", "status", "created_at", "updated_at")
                .values([SQLBind(id), SQLBind(venueID), SQLBind(name), SQLBind("AVAILABLE"), d.bind(at), d.bind(at)])
                .ignoringConflicts(with: ["id"])
                .run()
        case .updateVenueTable(let id, let status, let at):
            try await db.update("venue_tables")
                .set("status", to: status)
                .set("updated_at", to: d.bind(at))
                .where("id", .equal, id)
                .run()
        case .insertCheckIn(let id, let userID, let venueID, let via, let at):
            try await db.insert(into: "check_ins")
                .columns("id", "user_id", "venue_id", "via", "created_at")
                .values([SQLBind(id), SQLBind(userID), SQLBind(venueID), SQLBind(via), d.bind(at)])
                .ignoringConflicts(with: ["id"])
                .run()
        case .insertClan, .updateClanDescription, .updateClanLeader, .deleteClan, .putClanMember, .updateClanMemberRole, .deleteClanMember:
            try await apply(clan: change, on: db, d)
        case .setClanWarWins(let id, let wins):
            try await db.update("clans").set("war_wins", to: wins).where("id", .equal, id).run()
        case .insertTerritory(let id, let venueID, let name, let at):
            try await db.insert(into: "territories")
                .columns("id", "venue_id", "name", "level", "defense_score", "created_at", "updated_at")
                .values([SQLBind(id), SQLBind(venueID), SQLBind(name), SQLBind(1), SQLBind(0), d.bind(at), d.bind(at)])
                .ignoringConflicts(with: ["id"])
                .run()
        case .updateTerritory(let id, let ownerID, let clanID, let level, let defenseScore, let at):
            try await db.update("territories")
                .set("owner_id", to: ownerID)
                .set("clan_id", to: SQLQueryString("(SELECT id FROM clans WHERE id = \(bind: clanID))"))
                .set("level", to: level)
                .set("defense_score", to: defenseScore)
                .set("updated_at", to: d.bind(at))
                .where("id", .equal, id)
                .run()
        case .insertTransaction(let id, let userID, let amount, let type, let metadata, let at):
            try await db.insert(into: "transactions")
                .columns("id", "user_id", "amount", "currency", "type", "metadata", "created_at")
                .values([SQLBind(id), SQLBind(userID), SQLBind(amount), SQLBind("DOJO"), SQLBind(type), d.bindJSON(metadata), d.bind(at)])
                .ignoringConflicts(with: ["id"])
                .run()
        case .putChallenge(let row):
            try await put(row, on: db, d)
        case .putTournament(let row):
            try await put(row, on: db, d)
        case .insertTerritoryEvent(let id, let territoryID, let type, let metadata, let at):
            try await db.insert(into: "territory_events")
                .columns("id", "territory_id", "type", "metadata", "created_at")
                .values([SQLBind(id), SQLBind(territoryID), SQLBind(type), d.bindJSON(metadata), d.bind(at)])
                .ignoringConflicts(with: ["id"])
                .run()
        }
    }

    private static func apply(clan change: RecordChange, on db: any SQLDatabase, _ d: SchemaDialect) async throws {
        switch change {
        case .insertClan(let id, let name, let description, let leaderID, let at):
            try await db.insert(into: "clans")
                .columns("id", "name", "description", "leader_id", "created_at", "updated_at")
                .values([SQLBind(id), SQLBind(name), SQLBind(description), SQLBind(leaderID), d.bind(at), d.bind(at)])
                .ignoringConflicts(with: ["id"])
                .run()
        case .updateClanDescription(let id, let description, let at):
            try await db.update("clans").set("description", to: description).set("updated_at", to: d.bind(at)).where("id", .equal, id).run()
        case .updateClanLeader(let id, let leaderID, let at):
            try await db.update("clans").set("leader_id", to: leaderID).set("updated_at", to: d.bind(at)).where("id", .equal, id).run()
        case .deleteClan(let id):
            try await db.delete(from: "clan_members").where("clan_id", .equal, id).run()
            try await db.delete(from: "clans").where("id", .equal, id).run()
        case .putClanMember(let clanID, let userID, let role, let joinedAt):
            try await db.insert(into: "clan_members")
                .columns("id", "clan_id", "user_id", "role", "joined_at")
                .values([SQLBind(userID), SQLBind(clanID), SQLBind(userID), SQLBind(role), d.bind(joinedAt)])
                .onConflict(with: ["id"]) { update in
                    update.set(excludedValueOf: "clan_id").set(excludedValueOf: "role").set(excludedValueOf: "joined_at")
                        .where(SQLColumn("joined_at", table: "clan_members"), .lessThanOrEqual, SQLColumn("joined_at", table: "excluded"))
                }
                .run()
        case .updateClanMemberRole(let clanID, let userID, let role):
            try await db.update("clan_members").set("role", to: role).where("id", .equal, userID).where("clan_id", .equal, clanID).run()
        case .deleteClanMember(let clanID, let userID):
            try await db.delete(from: "clan_members").where("id", .equal, userID).where("clan_id", .equal, clanID).run()
        default:
            preconditionFailure("not a clan change: \(change)")
        }
    }

    /// The ids among `ids` that exist in `table` (used to check references before accepting a command).
    public func existingIDs(in table: String, _ ids: [String]) async throws -> Set<String> {
        guard !ids.isEmpty else { return [] }
        return try await withSQL { db in
            let rows = try await db.select().column("id").from(table).where("id", .in, ids).all()
            return Set(try rows.map { try $0.decode(column: "id", as: String.self) })
        }
    }
}
