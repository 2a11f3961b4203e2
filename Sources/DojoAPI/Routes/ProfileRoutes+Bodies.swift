import DojoDomain
import DojoRuntime
import DojoStorage
import Foundation
import Hummingbird

// The request bodies of ``ProfileRoutes``.

struct DeleteAccountBody: Decodable {
    var confirm: Bool?
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
