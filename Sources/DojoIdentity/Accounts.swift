import DojoDomain
public import DojoRuntime
public import DojoStorage
import Foundation

/// Password accounts: registration with normalised, unique email and username and a password
/// policy; login with Argon2id verification.
public struct Accounts: Sendable {
    public let storage: any Storage
    public let hasher: PasswordHasher
    /// A hash of a random password, verified when the login is unknown so that the answer takes
    /// as long as for a real account.
    public let dummyHash: String

    public init(storage: any Storage, hasher: PasswordHasher, dummyHash: String) {
        self.storage = storage
        self.hasher = hasher
        self.dummyHash = dummyHash
    }

    /// A user as the API shows it.
    public struct User: Encodable, Sendable {
        public var id: String
        public var email: String
        public var username: String
        public var role: String
    }

    public static let minimumPasswordLength = 10
    public static let maximumPasswordLength = 256

    public func register(email rawEmail: String, username rawUsername: String, password: String) async throws -> User {
        guard let email = AccountNames.email(rawEmail) else {
            throw WireError(status: 422, code: "auth.invalid_email", message: "the email address is not valid")
        }
        guard let username = AccountNames.username(rawUsername) else {
            throw WireError(status: 422, code: "auth.invalid_username", message: "a username is 3–32 characters of a–z 0–9 _ -")
        }
        try Self.checkPolicy(password, username: username, email: email)
        let taken = try await storage.takenIdentifiers(email: email, username: username)
        if taken.email { throw WireError(status: 409, code: "auth.email_taken", message: "an account with this email exists") }
        if taken.username { throw WireError(status: 409, code: "auth.username_taken", message: "this username is taken") }
        let record = UserRecord(
            id: UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: ""),
            email: email,
            username: username,
            passwordHash: try await hasher.hash(password),
            role: UserRole.user.rawValue
        )
        do {
            try await storage.insertUser(record, at: Date())
        } catch {
            // Two registrations raced past the check: the unique constraints decided.
            let taken = try await storage.takenIdentifiers(email: email, username: username)
            if taken.email { throw WireError(status: 409, code: "auth.email_taken", message: "an account with this email exists") }
            if taken.username { throw WireError(status: 409, code: "auth.username_taken", message: "this username is taken") }
            throw error
        }
        return User(id: record.id, email: email, username: username, role: record.role)
    }

    /// The account `record` (nil: no account has the login) if `password` is its password, else
    /// 401 `auth.invalid_credentials`. `locked`: the account must wait (``LoginBackoff``); it is
    /// refused with the same answer after the same work, whatever the password.
    public func authenticate(_ record: UserRecord?, password: String, locked: Bool = false) async throws -> User {
        let matches = try await hasher.verify(password, hash: record?.passwordHash ?? dummyHash)
        guard let record, matches, !locked else { throw Self.invalidCredentials }
        return User(id: record.id, email: record.email, username: record.username, role: record.role)
    }

    public static let invalidCredentials = WireError(status: 401, code: "auth.invalid_credentials", message: "the login or the password is wrong")

    /// The account of a verified email address, created (without a password: only email codes and
    /// later a password reset can sign it in) when there is none. The username is the address's
    /// local part, cleaned, with a number when taken.
    public func account(verifiedEmail email: String) async throws -> (user: User, created: Bool) {
        if let record = try await storage.user(login: email), record.email == email {
            return (User(id: record.id, email: record.email, username: record.username, role: record.role), false)
        }
        let local = email.split(separator: "@").first.map(String.init) ?? "player"
        var base = String(
            local.lowercased().unicodeScalars.filter { Self.usernameBytes.contains(UInt8(truncatingIfNeeded: $0.value)) && $0.isASCII }.map(
                Character.init
            ).prefix(24)
        )
        if base.utf8.count < 3 { base = "player" }
        for attempt in 0..<20 {
            let username = attempt == 0 ? base : "\(base)\(Int.random(in: 1000...99_999))"
            let taken = try await storage.takenIdentifiers(email: email, username: username)
            if taken.email, let record = try await storage.user(login: email) {
                return (User(id: record.id, email: record.email, username: record.username, role: record.role), false)
            }
            guard !taken.username else { continue }
            let record = UserRecord(
                id: UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: ""),
                email: email,
                username: username,
                passwordHash: "!no-password",
                role: UserRole.user.rawValue
            )
            do {
                try await storage.insertUser(record, at: Date())
                return (User(id: record.id, email: email, username: username, role: record.role), true)
            } catch {
                continue  // raced: look again
            }
        }
        throw WireError(status: 503, code: "unavailable", message: "could not create the account now; retry")
    }

    public func user(id: String) async throws -> User? {
        try await storage.user(id: id).map { User(id: $0.id, email: $0.email, username: $0.username, role: $0.role) }
    }

    public static func checkPolicy(_ password: String, username: String, email: String) throws {
        let lowered = password.lowercased()
        let local = email.split(separator: "@").first.map(String.init) ?? email
        guard password.count >= minimumPasswordLength, password.utf8.count <= maximumPasswordLength,
            lowered != username, lowered != email, lowered != local
        else {
            throw WireError(
                status: 422,
                code: "auth.weak_password",
                message: "a password has \(minimumPasswordLength)–\(maximumPasswordLength) characters and is not the username or the email"
            )
        }
    }

    public static func isValidEmail(_ email: String) -> Bool { AccountNames.isValidEmail(email) }

    private static var usernameBytes: Set<UInt8> { AccountNames.usernameBytes }
}
