public import Foundation
import SQLKit

/// A chain address linked to a user (the seed's `Wallet`), with whether its owner proved it.
public struct WalletRecord: Sendable, Equatable, Encodable {
    public var id: String
    public var chain: String
    public var address: String
    /// The user signed a nonce with the address's key (where the chain's signature can be checked
    /// here: Solana); false: linked on the user's word.
    public var verified: Bool

    public init(id: String, chain: String, address: String, verified: Bool) {
        self.id = id
        self.chain = chain
        self.address = address
        self.verified = verified
    }
}

extension Storage {
    /// Links a wallet; false when the chain's address is linked already (to anyone), or the user
    /// has `limit` wallets.
    public func insertWallet(_ wallet: WalletRecord, userID: String, limit: Int, at now: Date) async throws -> Bool {
        let d = SchemaDialect(backend: backend)
        return try await transaction { db in
            let taken = try await db.select().column("id").from("wallets")
                .where("chain", .equal, wallet.chain).where("address", .equal, wallet.address).first()
            guard taken == nil else { return false }
            let count = try await db.select().column("id").from("wallets").where("user_id", .equal, userID).all().count
            guard count < limit else { return false }
            try await db.insert(into: "wallets")
                .columns("id", "user_id", "chain", "address", "verified", "created_at")
                .values([SQLBind(wallet.id), SQLBind(userID), SQLBind(wallet.chain), SQLBind(wallet.address), SQLBind(wallet.verified), d.bind(now)])
                .run()
            return true
        }
    }

    /// A user's wallets, oldest first.
    public func wallets(of userID: String) async throws -> [WalletRecord] {
        try await withSQL { db in
            try await db.select().columns("id", "chain", "address", "verified").from("wallets")
                .where("user_id", .equal, userID).orderBy("created_at").orderBy("id").all()
                .map { row in
                    WalletRecord(
                        id: try row.decode(column: "id", as: String.self),
                        chain: try row.decode(column: "chain", as: String.self),
                        address: try row.decode(column: "address", as: String.self),
                        verified: try row.decode(column: "verified", as: Bool.self)
                    )
                }
        }
    }

    /// Unlinks one of the user's wallets; false when the user has no wallet with that id.
    public func deleteWallet(id: String, userID: String) async throws -> Bool {
        try await transaction { db in
            let found = try await db.select().column("id").from("wallets").where("id", .equal, id).where("user_id", .equal, userID).first()
            guard found != nil else { return false }
            try await db.delete(from: "wallets").where("id", .equal, id).run()
            return true
        }
    }
}

extension Schema {
    /// Migration 11: whether a wallet's owner proved it (a signed nonce).
    @Sendable static func addWalletProofs(_ db: any SQLDatabase, _ d: SchemaDialect) async throws {
        try await db.alter(table: "wallets").column("verified", type: d.boolean, .notNull, .default(false)).run()
    }
}
