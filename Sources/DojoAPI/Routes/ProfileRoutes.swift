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
