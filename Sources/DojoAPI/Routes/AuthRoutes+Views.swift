import Crypto
import DojoDomain
import DojoIdentity
import DojoRuntime
import DojoStorage
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

// What ``AuthRoutes`` answers with.

/// Opaque refresh tokens: 256 random bits, base64url; the server keeps only their SHA-256.
enum RefreshToken {
    static func generate() -> String {
        Base64URL.encode(SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) })
    }

    static func hash(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}
