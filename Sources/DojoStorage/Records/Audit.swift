public import Foundation
import SQLKit

/// A row of `audit_logs`.
public struct AuditRecord: Sendable, Equatable {
    public var id: String
    public var actorID: String?
    public var action: String
    public var target: String?
    /// JSON text (request id, IP, details).
    public var metadata: String
    public var at: Date
}

extension Storage {
    /// Appends an audit entry. `actorID` must be a user (or nil: anonymous, a failed login, the system).
    public func appendAudit(actorID: String?, action: String, target: String?, metadata: [String: String], at now: Date = Date()) async throws {
        let d = SchemaDialect(backend: backend)
        let json = String(decoding: try JSONSerialization.data(withJSONObject: metadata, options: [.sortedKeys]), as: UTF8.self)
        try await withSQL { db in
            try await db.insert(into: "audit_logs")
                .columns("id", "actor_id", "action", "target", "metadata", "ts")
                .values([
                    SQLBind(UUID().uuidString.lowercased()), actorID.map { SQLBind($0) as any SQLExpression } ?? SQLLiteral.null,
                    SQLBind(action), target.map { SQLBind($0) as any SQLExpression } ?? SQLLiteral.null, d.bindJSON(json), d.bind(now),
                ])
                .run()
        }
    }

    /// The newest entries first, before the cursor (`at`, `id`) when given, at most `limit`,
    /// optionally of one action.
    public func auditEntries(before cursor: (at: Date, id: String)?, action: String?, limit: Int) async throws -> [AuditRecord] {
        let d = SchemaDialect(backend: backend)
        let postgres = backend == .postgres
        return try await withSQL { db in
            var query = db.select()
                .columns("id", "actor_id", "action", "target")
                .column(SQLRaw(postgres ? "CAST(metadata AS TEXT) AS metadata" : "metadata"))
                .column("ts")
                .from("audit_logs")
            if let action { query = query.where("action", .equal, action) }
            if let cursor {
                query = query.where(
                    SQLGroupExpression(
                        SQLBinaryExpression(
                            SQLBinaryExpression(SQLColumn("ts"), .lessThan, d.bind(cursor.at)),
                            .or,
                            SQLGroupExpression(
                                SQLBinaryExpression(
                                    SQLBinaryExpression(SQLColumn("ts"), .equal, d.bind(cursor.at)),
                                    .and,
                                    SQLBinaryExpression(SQLColumn("id"), .lessThan, SQLBind(cursor.id))
                                )
                            )
                        )
                    )
                )
            }
            let rows = try await query.orderBy("ts", .descending).orderBy("id", .descending).limit(limit).all()
            return try rows.map { row in
                let at: Date
                if postgres {
                    at = try row.decode(column: "ts", as: Date.self)
                } else {
                    let text = try row.decode(column: "ts", as: String.self)
                    at = (try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))) ?? Date(timeIntervalSince1970: 0)
                }
                return AuditRecord(
                    id: try row.decode(column: "id", as: String.self),
                    actorID: try row.decode(column: "actor_id", as: String?.self),
                    action: try row.decode(column: "action", as: String.self),
                    target: try row.decode(column: "target", as: String?.self),
                    metadata: try row.decode(column: "metadata", as: String.self),
                    at: at
                )
            }
        }
    }

    /// Sets a user's role; false when there is no such user.
    public func setRole(userID: String, role: String, at now: Date = Date()) async throws -> (found: Bool, previous: String?) {
        let d = SchemaDialect(backend: backend)
        return try await transaction { db in
            guard let row = try await db.select().column("role").from("users").where("id", .equal, userID).first() else { return (false, nil) }
            let previous = try row.decode(column: "role", as: String.self)
            try await db.update("users").set("role", to: SQLBind(role)).set("updated_at", to: d.bind(now)).where("id", .equal, userID).run()
            return (true, previous)
        }
    }

    /// Replaces a user's password hash and revokes every refresh token of the user.
    public func setPasswordHash(userID: String, hash: String, at now: Date = Date()) async throws {
        let d = SchemaDialect(backend: backend)
        try await transaction { db in
            try await db.update("users").set("password_hash", to: SQLBind(hash)).set("updated_at", to: d.bind(now)).where("id", .equal, userID).run()
            try await db.update("refresh_tokens").set("revoked_at", to: d.bind(now))
                .where("user_id", .equal, userID).where(SQLColumn("revoked_at"), .is, SQLLiteral.null).run()
        }
    }
}
