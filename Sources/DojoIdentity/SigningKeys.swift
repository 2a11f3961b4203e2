import Crypto
public import Foundation
import JWTKit

/// The server's Ed25519 signing keys for access tokens, kept in a JSON file (`auth.keys.path`,
/// mode 0600): one signing key and the keys it replaced, kept for verification until every token
/// they signed has expired. `dojopool keys generate` creates the file, `dojopool keys rotate` adds a
/// new signing key; `serve` creates the file on first start if it is missing.
public struct SigningKeyFile: Codable, Sendable {
    public struct Key: Codable, Sendable {
        public var kid: String
        /// The private key, base64url (32 bytes).
        var d: String
        /// The public key, base64url (32 bytes).
        var x: String
        public var createdAt: Date
        /// When a newer key took over signing.
        public var retiredAt: Date?
    }

    public var keys: [Key]
    public var signing: String

    /// A file with one new key.
    public static func generate(now: Date = Date()) -> SigningKeyFile {
        let key = newKey(now: now)
        return SigningKeyFile(keys: [key], signing: key.kid)
    }

    public static func newKey(now: Date) -> Key {
        let privateKey = Curve25519.Signing.PrivateKey()
        let kid =
            "ed25519-" + String(Int(now.timeIntervalSince1970)) + "-"
            + Base64URL.encode(Data(SHA256.hash(data: privateKey.publicKey.rawRepresentation)).prefix(6))
        return Key(
            kid: kid,
            d: Base64URL.encode(privateKey.rawRepresentation),
            x: Base64URL.encode(privateKey.publicKey.rawRepresentation),
            createdAt: now,
            retiredAt: nil
        )
    }

    /// Adds a new signing key; the old ones stay for verification until `keep` after they were
    /// retired (the access-token lifetime), then they are dropped.
    public mutating func rotate(now: Date = Date(), keep: TimeInterval) {
        for index in keys.indices where keys[index].retiredAt == nil { keys[index].retiredAt = now }
        keys.removeAll { key in key.retiredAt.map { now.timeIntervalSince($0) > keep } ?? false }
        let key = Self.newKey(now: now)
        keys.append(key)
        signing = key.kid
    }

    public static func load(path: String) throws -> SigningKeyFile? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let file = try decoder.decode(SigningKeyFile.self, from: data)
        guard file.keys.contains(where: { $0.kid == file.signing }) else {
            throw KeyFileError(path: path, reason: "the signing key \(file.signing) is not in the file")
        }
        return file
    }

    /// Writes the file with mode 0600 (through a temporary file, then a rename).
    public func write(path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        let data = try encoder.encode(self)
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        let temporary = path + ".tmp-\(UUID().uuidString.prefix(8))"
        guard FileManager.default.createFile(atPath: temporary, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw KeyFileError(path: path, reason: "cannot write \(temporary)")
        }
        guard rename(temporary, path) == 0 else {
            try? FileManager.default.removeItem(atPath: temporary)
            throw KeyFileError(path: path, reason: "cannot move \(temporary) into place (errno \(errno))")
        }
    }

    /// The public keys as a JWK set (`/.well-known/jwks.json`): no private part.
    public var publicJWKS: String {
        let keys = keys.map { key in
            #"{"alg":"EdDSA","crv":"Ed25519","kid":"\#(key.kid)","kty":"OKP","use":"sig","x":"\#(key.x)"}"#
        }
        return #"{"keys":["# + keys.joined(separator: ",") + "]}"
    }

    public struct KeyFileError: Error, CustomStringConvertible {
        var path: String
        var reason: String
        public var description: String { "signing keys at \(path): \(reason)" }
    }
}

/// Base64url without padding (RFC 4648 §5), as JWTs, JWKs and device keys use it.
public enum Base64URL {
    public static func encode(_ data: some DataProtocol) -> String {
        Data(data).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    public static func decode(_ text: some StringProtocol) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64)
    }
}
