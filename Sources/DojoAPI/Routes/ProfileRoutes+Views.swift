import DojoDomain
import DojoRuntime
import DojoStorage
import Foundation
import Hummingbird

// What ``ProfileRoutes`` answers with.

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

struct DeletedAccountView: Encodable {
    var userId: String
    var deleted: Bool
}

struct ProfilePage: Encodable {
    var users: [ProfileView]
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
