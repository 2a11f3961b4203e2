import DojoDomain
public import Foundation
import SQLKit

/// A tournament as the `tournaments` and `tournament_participants` tables hold it (the tournament
/// actor's projection, written whole on every event: idempotent).
public struct TournamentRow: Sendable, Equatable {
    public var id: String
    public var venueID: String?
    public var name: String
    public var status: String
    /// When it starts (or started): the start time, else the creation.
    public var startTime: Date
    public var endTime: Date?
    /// The rewards, as JSON text.
    public var rewards: String?
    /// The registered players, with their seed (1 = top) once started.
    public var participants: [(userID: String, seed: Int?)]
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: String,
        venueID: String?,
        name: String,
        status: String,
        startTime: Date,
        endTime: Date?,
        rewards: String?,
        participants: [(userID: String, seed: Int?)],
        createdAt: Date,
        updatedAt: Date
    ) {
        self.id = id
        self.venueID = venueID
        self.name = name
        self.status = status
        self.startTime = startTime
        self.endTime = endTime
        self.rewards = rewards
        self.participants = participants
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    public static func == (lhs: TournamentRow, rhs: TournamentRow) -> Bool {
        lhs.id == rhs.id && lhs.venueID == rhs.venueID && lhs.name == rhs.name && lhs.status == rhs.status && lhs.startTime == rhs.startTime
            && lhs.endTime == rhs.endTime && lhs.rewards == rhs.rewards && lhs.createdAt == rhs.createdAt && lhs.updatedAt == rhs.updatedAt
            && lhs.participants.map(\.userID) == rhs.participants.map(\.userID) && lhs.participants.map(\.seed) == rhs.participants.map(\.seed)
    }
}

extension Storage {
    /// Tournament ids, newest first: at a venue (any when nil), with one of `statuses` (any when
    /// empty), `limit` from `offset`.
    public func tournamentIDs(venueID: String?, statuses: [String], offset: Int, limit: Int) async throws -> [String] {
        try await withSQL { db in
            var query = db.select().column("id").from("tournaments")
            if let venueID { query = query.where("venue_id", .equal, venueID) }
            if !statuses.isEmpty { query = query.where("status", .in, statuses) }
            return try await query.orderBy("created_at", .descending).orderBy("id", .descending)
                .limit(limit).offset(offset).all()
                .map { try $0.decode(column: "id", as: String.self) }
        }
    }

    /// The rating of each of `users`, rounded (docs/ratings.md); a player not rated yet has the
    /// new player's 1500.
    public func skillRatings(of users: [String]) async throws -> [String: Int] {
        guard !users.isEmpty else { return [:] }
        return try await withSQL { db in
            var ratings = Dictionary(uniqueKeysWithValues: users.map { ($0, Int(Glicko2.Rating.initial.rating)) })
            for chunk in stride(from: 0, to: users.count, by: 500).map({ Array(users[$0..<min($0 + 500, users.count)]) }) {
                for row in try await db.select().columns("user_id", "rating").from("ratings").where("user_id", .in, chunk).all() {
                    ratings[try row.decode(column: "user_id", as: String.self)] = Int(try row.decode(column: "rating", as: Double.self).rounded())
                }
            }
            return ratings
        }
    }

    static func put(_ row: TournamentRow, on db: any SQLDatabase, _ d: SchemaDialect) async throws {
        try await db.insert(into: "tournaments")
            .columns("id", "venue_id", "name", "status", "start_time", "end_time", "rewards", "created_at", "updated_at")
            .values([
                SQLBind(row.id),
                // A venue not projected yet (or gone) is written as null, as for challenges.
                SQLQueryString("(SELECT id FROM venues WHERE id = \(bind: row.venueID))"),
                SQLBind(row.name), SQLBind(row.status), d.bind(row.startTime), row.endTime.map(d.bind) ?? SQLLiteral.null,
                row.rewards.map(d.bindJSON) ?? SQLLiteral.null,
                d.bind(row.createdAt), d.bind(row.updatedAt),
            ])
            .onConflict(with: ["id"]) { update in
                update.set(excludedValueOf: "status").set(excludedValueOf: "start_time").set(excludedValueOf: "end_time")
                    .set(excludedValueOf: "updated_at")
            }
            .run()
        try await db.delete(from: "tournament_participants").where("tournament_id", .equal, row.id).run()
        for chunk in stride(from: 0, to: row.participants.count, by: 200).map({ row.participants[$0..<min($0 + 200, row.participants.count)] }) {
            let insert = db.insert(into: "tournament_participants").columns("id", "tournament_id", "user_id", "seed", "created_at")
            for participant in chunk {
                let values: [any SQLExpression] = [
                    SQLBind("\(row.id):\(participant.userID)"), SQLBind(row.id), SQLBind(participant.userID), SQLBind(participant.seed),
                    d.bind(row.updatedAt),
                ]
                insert.values(values)
            }
            try await insert.run()
        }
    }
}

extension Schema {
    /// Migration 12: tournaments listed by venue, newest first.
    @Sendable static func indexTournaments(_ db: any SQLDatabase, _ d: SchemaDialect) async throws {
        try await db.create(index: "idx_tournaments_venue").on("tournaments").column("venue_id").column("created_at").run()
    }
}
