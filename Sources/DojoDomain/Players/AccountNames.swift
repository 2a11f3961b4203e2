import Foundation

/// The rules of an account's email and username (registration, and the legacy import, which must
/// not let in what a sign-up would refuse): both compared and stored lowercased, trimmed.
public enum AccountNames {
    /// The email as stored (trimmed, lowercased), or nil when it is not an address.
    public static func email(_ raw: String) -> String? {
        let email = raw.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        return isValidEmail(email) ? email : nil
    }

    /// The username as stored (trimmed, lowercased: 3–32 of a–z 0–9 _ -), or nil.
    public static func username(_ raw: String) -> String? {
        let username = raw.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        guard (3...32).contains(username.utf8.count), username.utf8.allSatisfy({ usernameBytes.contains($0) }) else { return nil }
        return username
    }

    /// Whether an already trimmed, lowercased text is an address (one @, a dotted domain).
    public static func isValidEmail(_ email: String) -> Bool {
        guard email.utf8.count <= 254, !email.contains(where: { $0.isWhitespace }) else { return false }
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[0].utf8.count <= 64 else { return false }
        let domain = parts[1].split(separator: ".", omittingEmptySubsequences: false)
        return domain.count >= 2 && domain.allSatisfy { !$0.isEmpty }
    }

    /// The bytes a username is made of.
    public static let usernameBytes = Set("abcdefghijklmnopqrstuvwxyz0123456789_-".utf8)
}
