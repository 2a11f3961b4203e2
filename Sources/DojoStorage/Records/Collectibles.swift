public import DojoDomain
public import Foundation
import SQLKit

extension Storage {
    /// Adds a collectible to the catalog; false when its id or its token (contract, token id,
    /// chain) is taken.
    public func insertCollectible(_ collectible: Collectible, at now: Date) async throws -> Bool {
        let d = SchemaDialect(backend: backend)
        let metadata = String(decoding: try JSONEncoder.sorted.encode(collectible), as: UTF8.self)
        return try await transaction { db in
            let taken = try await db.select().column("id").from("nfts")
                .where {
                    $0.where("id", .equal, collectible.id).orWhere { group in
                        group.where("contract", .equal, collectible.contract).where("token_id", .equal, collectible.tokenID)
                            .where("chain", .equal, collectible.chain)
                    }
                }
                .first()
            guard taken == nil else { return false }
            try await db.insert(into: "nfts").columns("id", "contract", "token_id", "chain", "metadata", "created_at")
                .values([
                    SQLBind(collectible.id), SQLBind(collectible.contract), SQLBind(collectible.tokenID), SQLBind(collectible.chain),
                    d.bindJSON(metadata), d.bind(now),
                ])
                .run()
            return true
        }
    }

    /// The catalog, by id.
    public func collectibles() async throws -> [Collectible] {
        try await collectibles(SQLQueryString("1 = 1"))
    }

    /// One collectible of the catalog.
    public func collectible(_ id: String) async throws -> Collectible? {
        try await collectibles(SQLQueryString("n.id = \(bind: id)")).first
    }

    /// A player's collectibles, by id, with when each was acquired.
    public func collectibles(of userID: String) async throws -> [(collectible: Collectible, acquiredAt: Date)] {
        let d = SchemaDialect(backend: backend)
        let postgres = backend == .postgres
        return try await withSQL { db in
            try await db.raw(
                """
                SELECT \(unsafeRaw: postgres ? "n.metadata::text" : "n.metadata") AS metadata, u.created_at AS acquired_at
                FROM user_nfts u JOIN nfts n ON n.id = u.nft_id WHERE u.user_id = \(bind: userID) ORDER BY n.id
                """
            ).all().compactMap { row in
                guard
                    let collectible = try? JSONDecoder().decode(
                        Collectible.self,
                        from: Data(try row.decode(column: "metadata", as: String.self).utf8)
                    )
                else { return nil }
                return (collectible, try Self.date(row, "acquired_at", d))
            }
        }
    }

    /// Gives a player a collectible once; returns whether this call gave it.
    @discardableResult
    public func giveCollectible(_ id: String, to userID: String, at now: Date) async throws -> Bool {
        let d = SchemaDialect(backend: backend)
        return try await withSQL { db in
            let held = try await db.select().column("id").from("user_nfts").where("id", .equal, "\(userID):\(id)").first()
            guard held == nil else { return false }
            try await db.insert(into: "user_nfts").columns("id", "user_id", "nft_id", "created_at")
                .values([SQLBind("\(userID):\(id)"), SQLBind(userID), SQLBind(id), d.bind(now)])
                .ignoringConflicts(with: ["id"]).run()
            return true
        }
    }

    private func collectibles(_ condition: SQLQueryString) async throws -> [Collectible] {
        let postgres = backend == .postgres
        return try await withSQL { db in
            try await db.raw(
                "SELECT \(unsafeRaw: postgres ? "n.metadata::text" : "n.metadata") AS metadata FROM nfts n WHERE \(condition) ORDER BY n.id"
            ).all().compactMap { row in
                try? JSONDecoder().decode(Collectible.self, from: Data(try row.decode(column: "metadata", as: String.self).utf8))
            }
        }
    }
}
