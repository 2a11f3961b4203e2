public import Foundation
import SQLKit

/// A stored login code (its hash and salt, never the code).
public struct LoginCodeRecord: Sendable, Equatable {
    public var codeHash: String
    public var salt: String
    public var attempts: Int
    public var expired: Bool
}

extension Storage {
    /// Stores the live code of `email`, replacing any earlier one.
    public func putLoginCode(email: String, codeHash: String, salt: String, expiresAt: Date, at now: Date = Date()) async throws {
        let d = SchemaDialect(backend: backend)
        try await transaction { db in
            try await db.delete(from: "login_codes").where("email", .equal, email).run()
            try await db.insert(into: "login_codes")
                .columns("email", "code_hash", "salt", "attempts", "expires_at", "created_at")
                .values([SQLBind(email), SQLBind(codeHash), SQLBind(salt), SQLBind(0), d.bind(expiresAt), d.bind(now)])
                .run()
        }
    }

    /// Checks a presented code with `matches` (given the stored hash and salt) in one transaction:
    /// a match deletes the code (used once); a miss counts an attempt and deletes the code at
    /// `maximumAttempts`. Returns whether it matched, or nil when there is no live code.
    public func useLoginCode(
        email: String,
        maximumAttempts: Int,
        at now: Date = Date(),
        matches: @escaping @Sendable (LoginCodeRecord) -> Bool
    ) async throws -> Bool? {
        let d = SchemaDialect(backend: backend)
        return try await transaction { db in
            guard
                let row = try await db.select().columns("code_hash", "salt", "attempts")
                    .from("login_codes").where("email", .equal, email).first()
            else { return nil }
            let expired =
                try await db.select().column("email").from("login_codes")
                .where("email", .equal, email).where(SQLColumn("expires_at"), .lessThanOrEqual, d.bind(now)).first() != nil
            let record = LoginCodeRecord(
                codeHash: try row.decode(column: "code_hash", as: String.self),
                salt: try row.decode(column: "salt", as: String.self),
                attempts: try row.decode(column: "attempts", as: Int.self),
                expired: expired
            )
            if record.expired || record.attempts >= maximumAttempts {
                try await db.delete(from: "login_codes").where("email", .equal, email).run()
                return nil
            }
            if matches(record) {
                try await db.delete(from: "login_codes").where("email", .equal, email).run()
                return true
            }
            if record.attempts + 1 >= maximumAttempts {
                try await db.delete(from: "login_codes").where("email", .equal, email).run()
            } else {
                try await db.update("login_codes").set("attempts", to: SQLBind(record.attempts + 1)).where("email", .equal, email).run()
            }
            return false
        }
    }
}
