import Foundation
import SQLKit

/// A clan as the `clans` table lists it (the records projection keeps it; disbanded clans are gone).
public struct ClanRecord: Sendable, Equatable, Encodable {
    public var id: String
    public var name: String
    public var description: String?
    public var leaderId: String
    public var memberCount: Int
}

extension Storage {
    /// Clans in id order after `after`, at most `limit`; with `search`, those whose name contains
    /// it (case-insensitive for ASCII letters).
    public func listClans(search: String?, after: String?, limit: Int) async throws -> [ClanRecord] {
        try await withSQL { db in
            var query = db.select()
                .columns("id", "name", "description", "leader_id")
                .column(SQLRaw("(SELECT COUNT(*) FROM clan_members m WHERE m.clan_id = clans.id)"), as: "member_count")
                .from("clans")
            if let after { query = query.where("id", .greaterThan, after) }
            if let search {
                let escaped = search.lowercased().replacingOccurrences(of: "\\", with: "\\\\")
                    .replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
                query = query.where(SQLQueryString("LOWER(name) LIKE \(bind: "%\(escaped)%") ESCAPE '\\'"))
            }
            return try await query.orderBy("id").limit(limit).all().map { row in
                ClanRecord(
                    id: try row.decode(column: "id", as: String.self),
                    name: try row.decode(column: "name", as: String.self),
                    description: try row.decode(column: "description", as: String?.self),
                    leaderId: try row.decode(column: "leader_id", as: String.self),
                    memberCount: try row.decode(column: "member_count", as: Int.self)
                )
            }
        }
    }
}
