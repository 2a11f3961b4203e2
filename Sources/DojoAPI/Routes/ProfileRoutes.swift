import DojoDomain
import DojoRuntime
import DojoStorage
import Foundation
import Hummingbird

/// Players' profiles and settings (docs/profiles.md): `GET/PATCH /v1/me/profile`,
/// `GET/PATCH /v1/me/settings`, a player's public profile `GET /v1/users/{id}` (a private one shows
/// others only the username), the search `GET /v1/users?q=`, and `DELETE /v1/me`.
struct ProfileRoutes: Sendable {
    let storage: any Storage
    let runtime: Runtime
    let authentication: Authentication
    let audit: AuditTrail

    static let maximumDisplayName = 50
    static let maximumBio = 500
    static let maximumAvatarURL = 500
    static let maximumLocation = 100

    func register(on router: Router<AppRequestContext>) {
        router.get("/v1/me/profile") { request, _ in
            let user = try await authentication.userID(request, to: "see your profile")
            guard let profile = try await storage.profile(of: user) else {
                throw APIError(.notFound, code: "user.not_found", message: "no such user")
            }
            return try Response.json(.ok, ProfileView(profile, full: true))
        }
        router.patch("/v1/me/profile") { request, context in
            let user = try await authentication.userID(request, to: "change your profile")
            let body = try await JSONBody.decode(ProfilePatch.self, request, context)
            try await storage.updateProfile(of: user, try body.changes(), at: Date())
            guard let profile = try await storage.profile(of: user) else {
                throw APIError(.notFound, code: "user.not_found", message: "no such user")
            }
            return try Response.json(.ok, ProfileView(profile, full: true))
        }
        router.get("/v1/me/settings") { request, _ in
            let user = try await authentication.userID(request, to: "see your settings")
            return try Response.json(.ok, SettingsView(try await storage.settings(of: user)))
        }
        router.patch("/v1/me/settings") { request, context in
            let user = try await authentication.userID(request, to: "change your settings")
            let body = try await JSONBody.decode(SettingsPatch.self, request, context)
            let settings = try body.applied(to: try await storage.settings(of: user))
            try await storage.saveSettings(of: user, settings, at: Date())
            return try Response.json(.ok, SettingsView(settings))
        }
        // Deleting an account: `{"confirm": true}`; personal data goes, the history stays without a
        // name (docs/profiles.md).
        router.delete("/v1/me") { request, context in
            let user = try await authentication.userID(request, to: "delete your account")
            let body = try await JSONBody.decodeOptional(DeleteAccountBody.self, request, context)
            guard body?.confirm == true else {
                throw APIError(.badRequest, code: "account.confirm_required", message: #"send {"confirm": true} to delete your account"#)
            }
            try await runtime.leaveClanForDeletion(user, now: Timestamp(Date()))
            guard try await storage.anonymizeUser(user, at: Date()) else {
                throw APIError(.notFound, code: "user.not_found", message: "no such user")
            }
            await audit.record("account.deleted", actor: user, target: user, context)
            return try Response.json(.ok, DeletedAccountView(userId: user, deleted: true))
        }
        router.get("/v1/users/:id") { request, context in
            let id = try context.parameters.require("id")
            guard EntityKey.isValidID(id), let profile = try await storage.profile(of: id) else {
                throw APIError(.notFound, code: "user.not_found", message: "no such user")
            }
            let principal = try? await authentication.principal(request)
            let full = !profile.isPrivate || principal?.userID == id || principal?.isAdmin == true
            return try Response.json(.ok, ProfileView(profile, full: full))
        }
        router.get("/v1/users") { request, _ in
            let principal = try await authentication.principal(request)
            let q = String(request.uri.queryParameters["q"] ?? "").trimmingCharacters(in: .whitespaces)
            guard (2...50).contains(q.count), !q.unicodeScalars.contains(where: { CharacterSet.controlCharacters.contains($0) }) else {
                throw APIError(.badRequest, code: "invalid_query", message: "q is 2–50 characters: the start of a username or a display name")
            }
            let limit = try Query.integer(request, "limit", default: 10, in: 1...20)
            let found = try await storage.searchProfiles(prefix: q, limit: limit)
            return try Response.json(
                .ok,
                ProfilePage(users: found.map { ProfileView($0, full: !$0.isPrivate || principal.userID == $0.userID || principal.isAdmin) })
            )
        }
    }
}

/// What clients see of a profile; a private profile shows others only the id and the username.
struct ProfileView: Encodable {
    struct Clan: Encodable {
        var id: String
        var name: String?
        var role: String?
    }

    var userId: String
    var username: String
    var `private`: Bool
    var displayName: String?
    var bio: String?
    var avatarUrl: String?
    var location: String?
    var skillRating: Int?
    var clan: Clan?
    var memberSince: Timestamp?

    init(_ profile: ProfileRecord, full: Bool) {
        userId = profile.userID
        username = profile.username
        `private` = profile.isPrivate
        guard full else { return }
        displayName = profile.displayName
        bio = profile.bio
        avatarUrl = profile.avatarURL
        location = profile.location
        skillRating = profile.skillRating
        clan = profile.clanID.map { Clan(id: $0, name: profile.clanName, role: profile.clanRole) }
        memberSince = Timestamp(profile.createdAt)
    }
}

struct DeleteAccountBody: Decodable {
    var confirm: Bool?
}

struct DeletedAccountView: Encodable {
    var userId: String
    var deleted: Bool
}

struct ProfilePage: Encodable {
    var users: [ProfileView]
}

/// `PATCH /v1/me/profile`: a field absent is left as it is, `null` clears it.
struct ProfilePatch: Decodable {
    var displayName: String??
    var bio: String??
    var avatarUrl: String??
    var location: String??

    enum CodingKeys: String, CodingKey { case displayName, bio, avatarUrl, location }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func field(_ key: CodingKeys) throws -> String?? {
            guard c.contains(key) else { return nil }
            return .some(try c.decodeIfPresent(String.self, forKey: key))
        }
        displayName = try field(.displayName)
        bio = try field(.bio)
        avatarUrl = try field(.avatarUrl)
        location = try field(.location)
    }

    /// The changes, each validated; a refusal changes nothing.
    func changes() throws -> ProfileChanges {
        func text(_ value: String??, _ field: String, max: Int, lines: Bool = false) throws -> String?? {
            guard case .some(.some(let text)) = value else { return value }
            let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
            let allowed = lines ? CharacterSet.controlCharacters.subtracting(CharacterSet(charactersIn: "\n")) : CharacterSet.controlCharacters
            guard !trimmed.isEmpty, trimmed.count <= max, !trimmed.unicodeScalars.contains(where: { allowed.contains($0) }) else {
                throw DomainError(.invalid, "profile.invalid_\(field)", "\(field) is 1–\(max) characters without control characters (null clears it)")
            }
            return .some(trimmed)
        }
        var changes = ProfileChanges(
            displayName: try text(displayName, "display_name", max: ProfileRoutes.maximumDisplayName),
            bio: try text(bio, "bio", max: ProfileRoutes.maximumBio, lines: true),
            location: try text(location, "location", max: ProfileRoutes.maximumLocation)
        )
        if case .some(.some(let url)) = avatarUrl {
            guard url.utf8.count <= ProfileRoutes.maximumAvatarURL, !url.contains(where: \.isWhitespace), let parsed = URLComponents(string: url),
                parsed.scheme?.lowercased() == "https", let host = parsed.host, !host.isEmpty, parsed.user == nil, parsed.password == nil
            else {
                throw DomainError(
                    .invalid,
                    "profile.invalid_avatar_url",
                    "avatarUrl is an https URL of at most \(ProfileRoutes.maximumAvatarURL) bytes (null clears it)"
                )
            }
            changes.avatarURL = .some(url)
        } else {
            changes.avatarURL = avatarUrl
        }
        return changes
    }
}

struct SettingsView: Encodable {
    struct Notifications: Codable {
        var email: Bool?
        var push: Bool?
    }

    var notifications: Notifications
    var darkMode: Bool
    var language: String
    var timezone: String
    var privacy: String

    init(_ settings: SettingsRecord) {
        notifications = Notifications(email: settings.emailNotifications, push: settings.pushNotifications)
        darkMode = settings.darkMode
        language = settings.language
        timezone = settings.timezone
        privacy = settings.privacy
    }
}

/// `PATCH /v1/me/settings`: only the fields given change.
struct SettingsPatch: Decodable {
    var notifications: SettingsView.Notifications?
    var darkMode: Bool?
    var language: String?
    var timezone: String?
    var privacy: String?

    func applied(to current: SettingsRecord) throws -> SettingsRecord {
        var settings = current
        if let email = notifications?.email { settings.emailNotifications = email }
        if let push = notifications?.push { settings.pushNotifications = push }
        if let darkMode { settings.darkMode = darkMode }
        if let language {
            guard Self.isLanguageTag(language) else {
                throw DomainError(.invalid, "settings.invalid_language", "language is a BCP 47 tag such as en, pt-BR or zh-Hant-TW")
            }
            settings.language = language
        }
        if let timezone {
            guard timezone.utf8.count <= 64, timezone == "UTC" || (timezone.contains("/") && TimeZone(identifier: timezone) != nil) else {
                throw DomainError(.invalid, "settings.invalid_timezone", "timezone is an IANA name such as Europe/London or America/New_York, or UTC")
            }
            settings.timezone = timezone
        }
        if let privacy {
            guard privacy == "public" || privacy == "private" else {
                throw DomainError(.invalid, "settings.invalid_privacy", "privacy is public or private")
            }
            settings.privacy = privacy
        }
        return settings
    }

    /// A BCP 47 language tag: a 2–3 letter language, then subtags of 1–8 letters or digits
    /// (script, region, variants), at most 35 characters.
    static func isLanguageTag(_ tag: String) -> Bool {
        let parts = tag.split(separator: "-", omittingEmptySubsequences: false)
        guard tag.count <= 35, let language = parts.first, (2...3).contains(language.count),
            language.allSatisfy({ $0.isASCII && $0.isLetter })
        else { return false }
        return parts.dropFirst().allSatisfy { part in (1...8).contains(part.count) && part.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) } }
    }
}
