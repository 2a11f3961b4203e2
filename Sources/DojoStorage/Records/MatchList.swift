import SQLKit

/// A match as the `matches` records list it (the live index, a venue's board).
public struct MatchRow: Sendable, Equatable, Encodable {
    public var id: String
    public var playerA: String
    public var playerB: String
    public var scoreA: Int
    public var scoreB: Int
    public var status: String
    public var venueId: String?
    public var tableId: String?
}

extension Storage {
    /// Matches with one of `statuses` (any when empty), at `venueID` when given, in id order, paged
    /// by id (`after`).
    public func listMatches(statuses: [String], venueID: String?, after: String?, limit: Int) async throws -> [MatchRow] {
        try await withSQL { db in
            var query = db.select().columns("id", "player_a_id", "player_b_id", "score_a", "score_b", "status", "venue_id", "table_id")
                .from("matches")
            if !statuses.isEmpty { query = query.where("status", .in, statuses) }
            if let venueID { query = query.where("venue_id", .equal, venueID) }
            if let after { query = query.where("id", .greaterThan, after) }
            return try await query.orderBy("id").limit(limit).all().map { row in
                MatchRow(
                    id: try row.decode(column: "id", as: String.self),
                    playerA: try row.decode(column: "player_a_id", as: String.self),
                    playerB: try row.decode(column: "player_b_id", as: String.self),
                    scoreA: try row.decode(column: "score_a", as: Int.self),
                    scoreB: try row.decode(column: "score_b", as: Int.self),
                    status: try row.decode(column: "status", as: String.self),
                    venueId: try row.decode(column: "venue_id", as: String?.self),
                    tableId: try row.decode(column: "table_id", as: String?.self)
                )
            }
        }
    }
}
