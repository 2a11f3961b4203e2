import Crypto
public import DojoDomain
public import DojoRuntime
public import DojoStorage
public import Foundation
import JWTKit
import Synchronization

/// The claims of an access token.
struct AccessTokenClaims: JWTPayload {
    var iss: IssuerClaim
    var aud: AudienceClaim
    var sub: SubjectClaim
    var exp: ExpirationClaim
    var iat: IssuedAtClaim
    var jti: IDClaim
    var role: String
    /// `camera` for a device token (absent for users), with the venue and table it is bound to.
    var scope: String?
    var venue: String?
    var table: String?

    // Expiry, issuer and audience are checked by `AccessTokens.verify`, each with its own error code.
    func verify(using algorithm: some JWTAlgorithm) async throws {}
}

/// Issues and verifies short-lived EdDSA access tokens (`kid` in the header, `iss`, `aud`, `sub`,
/// `exp`, `iat`, `jti` and the user's `role`).
///
/// A token is refused with 401 and a code that says why: `auth.token_malformed` (not three
/// base64url parts of JSON), `auth.token_algorithm` (any `alg` but `EdDSA`, `none` included),
/// `auth.token_unknown_key` (no `kid`, or one the server does not have), `auth.token_signature`,
/// `auth.token_expired`, `auth.token_issuer`, `auth.token_audience`.
public final class AccessTokens: Sendable {
    public let issuer: String
    public let audience: String
    public let lifetime: TimeInterval
    private let keys: JWTKeyCollection
    private let signingKID: String
    private let knownKIDs: Set<String>
    public let publicJWKS: String
    /// Tokens already verified, until they expire: a repeated presentation (every REST call, every
    /// reconnect) skips the Ed25519 check (~90 µs here). Keyed by the whole token, so a changed
    /// byte is a miss; bounded (expired entries, then half, are dropped when full).
    private let verified = Mutex<[String: (bearer: Bearer, expiresAt: Date)]>([:])
    public static let verifiedCapacity = 100_000

    public init(file: SigningKeyFile, issuer: String, audience: String, lifetime: TimeInterval) async throws {
        self.issuer = issuer
        self.audience = audience
        self.lifetime = lifetime
        let keys = JWTKeyCollection()
        for key in file.keys {
            guard let raw = Base64URL.decode(key.d) else {
                throw SigningKeyFile.KeyFileError(path: "", reason: "key \(key.kid) is not base64url")
            }
            let privateKey = try Curve25519.Signing.PrivateKey(rawRepresentation: raw)
            await keys.add(eddsa: EdDSA.PrivateKey(backing: privateKey), kid: JWKIdentifier(string: key.kid))
        }
        self.keys = keys
        self.signingKID = file.signing
        self.knownKIDs = Set(file.keys.map(\.kid))
        self.publicJWKS = file.publicJWKS
    }

    /// A new token for `userID` with `role`, and its lifetime in seconds.
    public func issue(userID: String, role: UserRole, now: Date = Date()) async throws -> (token: String, expiresIn: Int) {
        let claims = AccessTokenClaims(
            iss: IssuerClaim(value: issuer),
            aud: AudienceClaim(value: [audience]),
            sub: SubjectClaim(value: userID),
            exp: ExpirationClaim(value: now.addingTimeInterval(lifetime)),
            iat: IssuedAtClaim(value: now),
            jti: IDClaim(value: UUID().uuidString.lowercased()),
            role: role.rawValue,
            scope: nil,
            venue: nil,
            table: nil
        )
        let token = try await keys.sign(claims, kid: JWKIdentifier(string: signingKID))
        return (token, Int(lifetime))
    }

    /// The principal a token names, or a 401 that says what is wrong with it.
    public func verify(_ token: String, now: Date = Date()) async throws(WireError) -> Principal {
        try await verifyWithExpiry(token, now: now).principal
    }

    /// A device token: scope `camera`, bound to one venue's table, at most 15 minutes.
    public func issueDevice(_ device: DeviceRecord, now: Date = Date()) async throws -> (token: String, expiresIn: Int) {
        let seconds = min(lifetime, 900)
        let claims = AccessTokenClaims(
            iss: IssuerClaim(value: issuer),
            aud: AudienceClaim(value: [audience]),
            sub: SubjectClaim(value: device.id),
            exp: ExpirationClaim(value: now.addingTimeInterval(seconds)),
            iat: IssuedAtClaim(value: now),
            jti: IDClaim(value: UUID().uuidString.lowercased()),
            role: "DEVICE",
            scope: "camera",
            venue: device.venueID,
            table: device.tableID
        )
        return (try await keys.sign(claims, kid: JWKIdentifier(string: signingKID)), Int(seconds))
    }

    /// What a verified token names: a user, or a device bound to a table.
    public enum Bearer: Sendable {
        case user(Principal)
        case device(id: String, venueID: String, tableID: String)
    }

    /// The principal and the token's expiry (the gateway refuses commands after it). A device
    /// token is refused here (`auth.token_scope`): it acts for no user.
    public func verifyWithExpiry(_ token: String, now: Date = Date()) async throws(WireError) -> (principal: Principal, expiresAt: Date) {
        let (bearer, expiresAt) = try await verifyBearer(token, now: now)
        guard case .user(let principal) = bearer else {
            throw Self.refused("auth.token_scope", "a device token cannot act for a user")
        }
        return (principal, expiresAt)
    }

    /// A user's or a device's token, checked as above (or found among the tokens already verified).
    public func verifyBearer(_ token: String, now: Date = Date()) async throws(WireError) -> (bearer: Bearer, expiresAt: Date) {
        if let hit = verified.withLock({ $0[token] }) {
            guard hit.expiresAt > now else { throw Self.refused("auth.token_expired", "the token has expired") }
            return hit
        }
        let result = try await verifyUncached(token, now: now)
        verified.withLock { cache in
            if cache.count >= Self.verifiedCapacity {
                cache = cache.filter { $0.value.expiresAt > now }
                if cache.count >= Self.verifiedCapacity / 2 { cache.removeAll(keepingCapacity: true) }
            }
            cache[token] = result
        }
        return result
    }

    /// The full check: header, algorithm, key id, signature, claims.
    public func verifyUncached(_ token: String, now: Date = Date()) async throws(WireError) -> (bearer: Bearer, expiresAt: Date) {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerData = Base64URL.decode(parts[0]),
            let header = (try? JSONSerialization.jsonObject(with: headerData)) as? [String: Any]
        else { throw Self.refused("auth.token_malformed", "the token is not a JWT") }
        guard header["alg"] as? String == "EdDSA" else {
            throw Self.refused("auth.token_algorithm", "tokens are signed with EdDSA only")
        }
        guard let kid = header["kid"] as? String, knownKIDs.contains(kid) else {
            throw Self.refused("auth.token_unknown_key", "the token's key is not one of this server's keys")
        }
        let claims: AccessTokenClaims
        do {
            claims = try await keys.verify(token, as: AccessTokenClaims.self)
        } catch let error as JWTError where error.errorType == .signatureVerificationFailed {
            throw Self.refused("auth.token_signature", "the token's signature is not valid")
        } catch {
            throw Self.refused("auth.token_malformed", "the token's claims are not those of an access token")
        }
        guard claims.exp.value > now else { throw Self.refused("auth.token_expired", "the token has expired") }
        guard claims.iss.value == issuer else { throw Self.refused("auth.token_issuer", "the token was issued by someone else") }
        guard claims.aud.value.contains(audience) else { throw Self.refused("auth.token_audience", "the token is not for this service") }
        if claims.scope == "camera" {
            guard let venue = claims.venue, let table = claims.table, EntityKey.isValidID(claims.sub.value) else {
                throw Self.refused("auth.token_malformed", "the device token does not name its venue and table")
            }
            return (.device(id: claims.sub.value, venueID: venue, tableID: table), claims.exp.value)
        }
        guard claims.scope == nil, EntityKey.isValidID(claims.sub.value), let role = UserRole(rawValue: claims.role) else {
            throw Self.refused("auth.token_malformed", "the token's subject, role or scope is not valid")
        }
        return (.user(.user(claims.sub.value, role: role)), claims.exp.value)
    }

    private static func refused(_ code: String, _ message: String) -> WireError {
        WireError(status: 401, code: code, message: message)
    }
}
