public import Foundation
import SQLKit

/// A player's profile as the `users`, `profiles`, `ratings` and `clan_members` tables give it.
public struct ProfileRecord: Sendable, Equatable {
    public var userID: String
    public var username: String
    public var displayName: String?
    public var bio: String?
    public var avatarURL: String?
    public var location: String?
    /// The rounded rating (`profiles.skill_rating`; 0 before the first rated game).
    public var skillRating: Int
    /// The player's clan and rank in it, read from the clan (not editable here).
    public var clanID: String?
    public var clanName: String?
    public var clanRole: String?
    /// The player's privacy setting: `private` profiles show others only the username.
    public var isPrivate: Bool
    public var createdAt: Date
}

/// The editable fields of a profile: nil leaves a field as it is, `.some(nil)` clears it.
public struct ProfileChanges: Sendable, Equatable {
    public var displayName: String??
    public var bio: String??
    public var avatarURL: String??
    public var location: String??

    public init(displayName: String?? = nil, bio: String?? = nil, avatarURL: String?? = nil, location: String?? = nil) {
        self.displayName = displayName
        self.bio = bio
        self.avatarURL = avatarURL
        self.location = location
    }
}

/// A player's settings (`user_settings`).
public struct SettingsRecord: Sendable, Equatable, Codable {
    public var emailNotifications: Bool
    public var pushNotifications: Bool
    public var darkMode: Bool
    /// BCP 47.
    public var language: String
    /// IANA.
    public var timezone: String
    /// `public` or `private`.
    public var privacy: String

    public init(
        emailNotifications: Bool = true,
        pushNotifications: Bool = true,
        darkMode: Bool = false,
        language: String = "en",
        timezone: String = "UTC",
        privacy: String = "public"
    ) {
        self.emailNotifications = emailNotifications
        self.pushNotifications = pushNotifications
        self.darkMode = darkMode
        self.language = language
        self.timezone = timezone
        self.privacy = privacy
    }
}

extension Storage {
    /// The profile of a user (nil: no such user).
    public func profile(of userID: String) async throws -> ProfileRecord? {
        try await profiles(SQLQueryString("u.id = \(bind: userID)"), limit: 1).first
    }

    /// Users whose username or display name starts with `prefix` (any case), by username.
    public func searchProfiles(prefix: String, limit: Int) async throws -> [ProfileRecord] {
        // LIKE's wildcards in the prefix are literal.
        let escaped = prefix.lowercased().replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
            .replacingOccurrences(of: "_", with: "\\_")
        let pattern = escaped + "%"
        return try await profiles(
            SQLQueryString("(lower(u.username) LIKE \(bind: pattern) ESCAPE '\\' OR lower(p.display_name) LIKE \(bind: pattern) ESCAPE '\\')"),
            limit: limit
        )
    }

    private func profiles(_ condition: SQLQueryString, limit: Int) async throws -> [ProfileRecord] {
        let postgres = backend == .postgres
        return try await withSQL { db in
            let query: SQLQueryString = """
                SELECT u.id AS id, u.username AS username, u.created_at AS created_at, p.display_name AS display_name, p.bio AS bio,
                       p.avatar_url AS avatar_url, p.location AS location, COALESCE(p.skill_rating, 0) AS skill_rating,
                       m.clan_id AS clan_id, c.name AS clan_name, m.role AS clan_role, c.leader_id AS clan_leader, \(unsafeRaw: postgres ? "s.privacy_settings::text" : "s.privacy_settings") AS privacy
                FROM users u
                LEFT JOIN profiles p ON p.user_id = u.id
                LEFT JOIN clan_members m ON m.user_id = u.id
                LEFT JOIN clans c ON c.id = m.clan_id
                LEFT JOIN user_settings s ON s.user_id = u.id
                WHERE \(condition)
                ORDER BY u.username LIMIT \(unsafeRaw: String(limit))
                """
            return try await db.raw(query).all().map { row in
                let privacy = (try? row.decode(column: "privacy", as: String?.self)) ?? nil
                return ProfileRecord(
                    userID: try row.decode(column: "id", as: String.self),
                    username: try row.decode(column: "username", as: String.self),
                    displayName: try row.decode(column: "display_name", as: String?.self),
                    bio: try row.decode(column: "bio", as: String?.self),
                    avatarURL: try row.decode(column: "avatar_url", as: String?.self),
                    location: try row.decode(column: "location", as: String?.self),
                    skillRating: try row.decode(column: "skill_rating", as: Int.self),
                    clanID: try row.decode(column: "clan_id", as: String?.self),
                    clanName: try row.decode(column: "clan_name", as: String?.self),
                    // The seed's roles have no LEADER: the clan's row names its leader.
                    clanRole: try row.decode(column: "clan_leader", as: String?.self) == row.decode(column: "id", as: String.self)
                        ? "LEADER" : try row.decode(column: "clan_role", as: String?.self),
                    isPrivate: Self.privacy(privacy) == "private",
                    createdAt: try Self.date(row, "created_at", SchemaDialect(backend: postgres ? .postgres : .sqlite))
                )
            }
        }
    }

    /// Applies `changes` to the user's profile (created when missing).
    public func updateProfile(of userID: String, _ changes: ProfileChanges, at now: Date) async throws {
        let d = SchemaDialect(backend: backend)
        try await transaction { db in
            try await db.insert(into: "profiles").columns("id", "user_id", "created_at", "updated_at")
                .values([SQLBind(userID), SQLBind(userID), d.bind(now), d.bind(now)])
                .ignoringConflicts(with: ["user_id"]).run()
            var update = db.update("profiles").set("updated_at", to: d.bind(now))
            if let value = changes.displayName { update = update.set("display_name", to: value) }
            if let value = changes.bio { update = update.set("bio", to: value) }
            if let value = changes.avatarURL { update = update.set("avatar_url", to: value) }
            if let value = changes.location { update = update.set("location", to: value) }
            try await update.where("user_id", .equal, userID).run()
        }
    }

    /// The user's settings (the defaults when none are stored).
    public func settings(of userID: String) async throws -> SettingsRecord {
        let postgres = backend == .postgres
        return try await withSQL { db in
            guard
                let row = try await db.select()
                    .columns("email_notifications", "push_notifications", "dark_mode", "language", "timezone")
                    .column(SQLRaw(postgres ? "privacy_settings::text" : "privacy_settings"), as: "privacy_settings")
                    .from("user_settings").where("user_id", .equal, userID).first()
            else { return SettingsRecord() }
            return SettingsRecord(
                emailNotifications: try row.decode(column: "email_notifications", as: Bool.self),
                pushNotifications: try row.decode(column: "push_notifications", as: Bool.self),
                darkMode: try row.decode(column: "dark_mode", as: Bool.self),
                language: try row.decode(column: "language", as: String.self),
                timezone: try row.decode(column: "timezone", as: String.self),
                privacy: Self.privacy(try? row.decode(column: "privacy_settings", as: String.self))
            )
        }
    }

    /// Stores the user's settings whole.
    public func saveSettings(of userID: String, _ settings: SettingsRecord, at now: Date) async throws {
        let d = SchemaDialect(backend: backend)
        let privacy = #"{"profile":"\#(settings.privacy == "private" ? "private" : "public")"}"#
        try await withSQL { db in
            try await db.insert(into: "user_settings")
                .columns(
                    "id",
                    "user_id",
                    "email_notifications",
                    "push_notifications",
                    "dark_mode",
                    "language",
                    "timezone",
                    "privacy_settings",
                    "created_at",
                    "updated_at"
                )
                .values([
                    SQLBind(userID), SQLBind(userID), SQLBind(settings.emailNotifications), SQLBind(settings.pushNotifications),
                    SQLBind(settings.darkMode), SQLBind(settings.language), SQLBind(settings.timezone), d.bindJSON(privacy), d.bind(now),
                    d.bind(now),
                ])
                .onConflict(with: ["user_id"]) { update in
                    update.set(excludedValueOf: "email_notifications").set(excludedValueOf: "push_notifications")
                        .set(excludedValueOf: "dark_mode").set(excludedValueOf: "language").set(excludedValueOf: "timezone")
                        .set(excludedValueOf: "privacy_settings").set(excludedValueOf: "updated_at")
                }
                .run()
        }
    }

    /// `public` or `private` from the stored privacy JSON (`{"profile": "private"}`).
    static func privacy(_ json: String?) -> String {
        guard let json, let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else { return "public" }
        return object["profile"] as? String == "private" ? "private" : "public"
    }
}

extension Storage {
    /// Removes a user's personal data (docs/profiles.md, "Deleting an account"): the email and
    /// username become `deleted-{id}…`, the password can no longer match, the profile's fields,
    /// settings, refresh tokens, pending email codes, wallets, check-ins, notifications and their pending emails and pushes go. The
    /// user's id stays, so matches, ratings, ledger rows and the event log keep their history
    /// without a name. One transaction; returns false when there is no such user.
    public func anonymizeUser(_ userID: String, at now: Date) async throws -> Bool {
        let d = SchemaDialect(backend: backend)
        return try await transaction { db in
            guard let row = try await db.select().column("email").from("users").where("id", .equal, userID).first() else { return false }
            let email = try row.decode(column: "email", as: String.self)
            try await db.update("users")
                .set("email", to: "deleted-\(userID)@deleted.invalid")
                .set("username", to: "deleted-\(userID)")
                .set("password_hash", to: "!deleted")
                .set("updated_at", to: d.bind(now))
                .where("id", .equal, userID).run()
            try await db.update("profiles")
                .set("display_name", to: SQLLiteral.null).set("bio", to: SQLLiteral.null).set("avatar_url", to: SQLLiteral.null)
                .set("location", to: SQLLiteral.null).set("clan_title", to: SQLLiteral.null).set("updated_at", to: d.bind(now))
                .where("user_id", .equal, userID).run()
            for table in ["user_settings", "refresh_tokens", "wallets", "check_ins", "notification_deliveries", "notifications"] {
                try await db.delete(from: table).where("user_id", .equal, userID).run()
            }
            try await db.delete(from: "login_codes").where("email", .equal, email).run()
            return true
        }
    }
}
