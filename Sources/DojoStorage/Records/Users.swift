public import Foundation
public import SQLKit

/// A row of `users`, as accounts need it.
public struct UserRecord: Sendable, Equatable {
    public var id: String
    public var email: String
    public var username: String
    public var passwordHash: String
    public var role: String

    public init(id: String, email: String, username: String, passwordHash: String, role: String) {
        self.id = id
        self.email = email
        self.username = username
        self.passwordHash = passwordHash
        self.role = role
    }
}

extension Storage {
    /// Runs `body` in one transaction on one connection (`BEGIN IMMEDIATE` on SQLite).
    public func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        let postgres = backend == .postgres
        return try await withSQL { db in
            try await db.raw(SQLQueryString(postgres ? "BEGIN" : "BEGIN IMMEDIATE")).run()
            do {
                let result = try await body(db)
                try await db.raw("COMMIT").run()
                return result
            } catch {
                // In a task of its own: a cancelled task's queries do not run (sqlite-nio), and a
                // transaction left open would hold the write lock.
                await Task { try? await db.raw("ROLLBACK").run() }.value
                throw error
            }
        }
    }

    /// Which of `email` and `username` are taken already.
    public func takenIdentifiers(email: String, username: String) async throws -> (email: Bool, username: Bool) {
        try await withSQL { db in
            let rows = try await db.select().columns("email", "username").from("users")
                .where("email", .equal, email).orWhere("username", .equal, username).all()
            var taken = (email: false, username: false)
            for row in rows {
                if try row.decode(column: "email", as: String.self) == email { taken.email = true }
                if try row.decode(column: "username", as: String.self) == username { taken.username = true }
            }
            return taken
        }
    }

    /// Inserts a user with an empty profile and default settings, in one transaction.
    public func insertUser(_ user: UserRecord, at now: Date) async throws {
        let d = SchemaDialect(backend: backend)
        try await transaction { db in
            try await db.insert(into: "users")
                .columns("id", "email", "username", "password_hash", "role", "created_at", "updated_at")
                .values([
                    SQLBind(user.id), SQLBind(user.email), SQLBind(user.username), SQLBind(user.passwordHash), SQLBind(user.role), d.bind(now),
                    d.bind(now),
                ])
                .run()
            try await db.insert(into: "profiles")
                .columns("id", "user_id", "created_at", "updated_at")
                .values([SQLBind(user.id), SQLBind(user.id), d.bind(now), d.bind(now)])
                .run()
            try await db.insert(into: "user_settings")
                .columns("id", "user_id", "created_at", "updated_at")
                .values([SQLBind(user.id), SQLBind(user.id), d.bind(now), d.bind(now)])
                .run()
        }
    }

    /// The user whose email or username is `login`, or whose id is `id`.
    public func user(login: String? = nil, id: String? = nil) async throws -> UserRecord? {
        try await withSQL { db in
            var query = db.select().columns("id", "email", "username", "password_hash", "role").from("users")
            if let login { query = query.where("email", .equal, login).orWhere("username", .equal, login) }
            if let id { query = query.where("id", .equal, id) }
            guard let row = try await query.limit(1).first() else { return nil }
            return UserRecord(
                id: try row.decode(column: "id", as: String.self),
                email: try row.decode(column: "email", as: String.self),
                username: try row.decode(column: "username", as: String.self),
                passwordHash: try row.decode(column: "password_hash", as: String.self),
                role: try row.decode(column: "role", as: String.self)
            )
        }
    }
}
