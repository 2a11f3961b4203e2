import SQLKit

/// A territory as the map shows it (from `territories` and its venue's coordinates).
public struct TerritoryRecord: Sendable, Equatable, Encodable {
    public var id: String
    public var name: String?
    public var venueId: String
    public var lat: Double
    public var lng: Double
    public var ownerId: String?
    public var clanId: String?
    public var level: Int
    public var defenseScore: Int
}

/// A row of a leaderboard: who, and what they are ranked by.
public struct LeaderboardRow: Sendable, Equatable, Encodable {
    public var rank: Int
    public var id: String
    /// Territories held (territory boards).
    public var territories: Int?
    /// Wars won (the clans' war board).
    public var wars: Int?
}

/// An area on the map, in degrees (`south ≤ lat ≤ north`, `west ≤ lng ≤ east`).
public struct GeoBox: Sendable, Equatable {
    public var south: Double
    public var west: Double
    public var north: Double
    public var east: Double

    public init(south: Double, west: Double, north: Double, east: Double) {
        self.south = south
        self.west = west
        self.north = north
        self.east = east
    }
}

extension Storage {
    /// Territories whose venue lies in `box` (all when nil), in id order after `after`.
    public func listTerritories(in box: GeoBox?, after: String?, limit: Int) async throws -> [TerritoryRecord] {
        try await withSQL { db in
            var query = db.select()
                .column(SQLColumn("id", table: "t")).column(SQLColumn("name", table: "t")).column(SQLColumn("venue_id", table: "t"))
                .column(SQLColumn("lat", table: "v")).column(SQLColumn("lng", table: "v"))
                .column(SQLColumn("owner_id", table: "t")).column(SQLColumn("clan_id", table: "t"))
                .column(SQLColumn("level", table: "t")).column(SQLColumn("defense_score", table: "t"))
                .from(SQLAlias(SQLIdentifier("territories"), as: SQLIdentifier("t")))
                .join(
                    SQLAlias(SQLIdentifier("venues"), as: SQLIdentifier("v")),
                    on: SQLColumn("venue_id", table: "t"),
                    .equal,
                    SQLColumn("id", table: "v")
                )
            if let box {
                query = query.where(SQLColumn("lat", table: "v"), .greaterThanOrEqual, SQLBind(box.south))
                    .where(SQLColumn("lat", table: "v"), .lessThanOrEqual, SQLBind(box.north))
                    .where(SQLColumn("lng", table: "v"), .greaterThanOrEqual, SQLBind(box.west))
                    .where(SQLColumn("lng", table: "v"), .lessThanOrEqual, SQLBind(box.east))
            }
            if let after { query = query.where(SQLColumn("id", table: "t"), .greaterThan, SQLBind(after)) }
            return try await query.orderBy(SQLColumn("id", table: "t")).limit(limit).all().map { row in
                TerritoryRecord(
                    id: try row.decode(column: "id", as: String.self),
                    name: try row.decode(column: "name", as: String?.self),
                    venueId: try row.decode(column: "venue_id", as: String.self),
                    lat: try row.decode(column: "lat", as: Double.self),
                    lng: try row.decode(column: "lng", as: Double.self),
                    ownerId: try row.decode(column: "owner_id", as: String?.self),
                    clanId: try row.decode(column: "clan_id", as: String?.self),
                    level: try row.decode(column: "level", as: Int.self),
                    defenseScore: try row.decode(column: "defense_score", as: Int.self)
                )
            }
        }
    }

    /// Clans (`byClan`) or players ranked by the territories they hold, most first (ties by id),
    /// `limit` rows from `offset`.
    public func territoryLeaderboard(byClan: Bool, offset: Int, limit: Int) async throws -> [LeaderboardRow] {
        let column = byClan ? "clan_id" : "owner_id"
        return try await withSQL { db in
            let rows = try await db.select()
                .column(SQLColumn(column), as: "holder")
                .column(SQLFunction("COUNT", args: SQLLiteral.all), as: "held")
                .from("territories")
                .where(SQLColumn(column), .isNot, SQLLiteral.null)
                .groupBy(column)
                .orderBy(SQLOrderBy(expression: SQLRaw("COUNT(*)"), direction: SQLDirection.descending))
                .orderBy(column)
                .limit(limit)
                .offset(offset)
                .all()
            return try rows.enumerated().map { index, row in
                LeaderboardRow(
                    rank: offset + index + 1,
                    id: try row.decode(column: "holder", as: String.self),
                    territories: try row.decode(column: "held", as: Int.self),
                    wars: nil
                )
            }
        }
    }

    /// Clans by wars won, most first (ties by id), `limit` rows from `offset`.
    public func warLeaderboard(offset: Int, limit: Int) async throws -> [LeaderboardRow] {
        try await withSQL { db in
            let rows = try await db.select().columns("id", "war_wins").from("clans")
                .where("war_wins", .greaterThan, 0)
                .orderBy("war_wins", .descending).orderBy("id")
                .limit(limit).offset(offset).all()
            return try rows.enumerated().map { index, row in
                LeaderboardRow(
                    rank: offset + index + 1,
                    id: try row.decode(column: "id", as: String.self),
                    territories: nil,
                    wars: try row.decode(column: "war_wins", as: Int.self)
                )
            }
        }
    }
}
