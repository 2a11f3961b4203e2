public import Foundation
import SQLKit

/// What happened to a presented refresh token.
public enum RefreshOutcome: Sendable, Equatable {
    /// It was valid and is now used; a new token of the same family was stored.
    case rotated(userID: String)
    /// Unknown, expired or revoked.
    case invalid
    /// It had been used before: its whole family is now revoked (theft detection).
    case reused
}

extension Storage {
    /// Stores a new token (its hash) for `userID` in `family`.
    public func insertRefreshToken(hash: String, family: String, userID: String, expiresAt: Date, at now: Date) async throws {
        let d = SchemaDialect(backend: backend)
        try await withSQL { db in
            try await db.insert(into: "refresh_tokens")
                .columns("token_hash", "family", "user_id", "expires_at", "created_at")
                .values([SQLBind(hash), SQLBind(family), SQLBind(userID), d.bind(expiresAt), d.bind(now)])
                .run()
        }
    }

    /// Uses the token `hash` once: marks it used and stores `newHash` in its family, in one
    /// transaction. A token used before revokes its family.
    public func rotateRefreshToken(hash: String, newHash: String, expiresAt: Date, at now: Date) async throws -> RefreshOutcome {
        let d = SchemaDialect(backend: backend)
        return try await transaction { db in
            guard
                let row = try await db.select().columns("family", "user_id", "expires_at", "used_at", "revoked_at")
                    .from("refresh_tokens").where("token_hash", .equal, hash).first()
            else { return .invalid }
            let family = try row.decode(column: "family", as: String.self)
            let userID = try row.decode(column: "user_id", as: String.self)
            if try row.decodeNil(column: "revoked_at") == false { return .invalid }
            if try row.decodeNil(column: "used_at") == false {
                try await db.update("refresh_tokens").set("revoked_at", to: d.bind(now))
                    .where("family", .equal, family).where(SQLColumn("revoked_at"), .is, SQLLiteral.null).run()
                return .reused
            }
            let expired = try await db.select().column("token_hash").from("refresh_tokens")
                .where("token_hash", .equal, hash).where(SQLColumn("expires_at"), .lessThanOrEqual, d.bind(now)).first()
            if expired != nil { return .invalid }
            try await db.update("refresh_tokens").set("used_at", to: d.bind(now)).where("token_hash", .equal, hash).run()
            try await db.insert(into: "refresh_tokens")
                .columns("token_hash", "family", "user_id", "expires_at", "created_at")
                .values([SQLBind(newHash), SQLBind(family), SQLBind(userID), d.bind(expiresAt), d.bind(now)])
                .run()
            return .rotated(userID: userID)
        }
    }

    /// Revokes the family of the token `hash` (logout). Returns whether the token was known.
    public func revokeRefreshFamily(hash: String, at now: Date) async throws -> Bool {
        let d = SchemaDialect(backend: backend)
        return try await transaction { db in
            guard let row = try await db.select().column("family").from("refresh_tokens").where("token_hash", .equal, hash).first() else {
                return false
            }
            let family = try row.decode(column: "family", as: String.self)
            try await db.update("refresh_tokens").set("revoked_at", to: d.bind(now))
                .where("family", .equal, family).where(SQLColumn("revoked_at"), .is, SQLLiteral.null).run()
            return true
        }
    }
}
