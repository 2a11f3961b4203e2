import CSodium
public import Foundation
import Synchronization

/// One-time challenges for device sign-in (and, with their own context, for wallet proofs): a
/// random nonce per request, valid 60 s, usable once, for the one that asked. At most `capacity`
/// outstanding (the oldest expire first).
public final class DeviceChallenges: Sendable {
    public static let lifetime: TimeInterval = 60
    /// What a device signs: this prefix and the nonce, so a signature made for anything else never
    /// counts.
    public static let context = "dojopool-device-token:"

    private let capacity: Int
    private let pending = Mutex<[String: (device: String, expires: Date)]>([:])

    public init(capacity: Int = 100_000) {
        precondition(sodium_init() >= 0, "libsodium failed to initialise")
        self.capacity = capacity
    }

    /// A new nonce (base64url of 32 random bytes) for `deviceID`.
    public func issue(for deviceID: String, now: Date = Date()) -> String {
        var bytes = [UInt8](repeating: 0, count: 32)
        randombytes_buf(&bytes, bytes.count)
        let nonce = Base64URL.encode(bytes)
        pending.withLock { pending in
            if pending.count >= capacity {
                pending = pending.filter { $0.value.expires > now }
                if pending.count >= capacity, let oldest = pending.min(by: { $0.value.expires < $1.value.expires }) {
                    pending[oldest.key] = nil
                }
            }
            pending[nonce] = (deviceID, now.addingTimeInterval(Self.lifetime))
        }
        return nonce
    }

    /// Takes the nonce (once): whether it was issued to `deviceID` and has not expired.
    public func consume(_ nonce: String, for deviceID: String, now: Date = Date()) -> Bool {
        guard let entry = pending.withLock({ $0.removeValue(forKey: nonce) }) else { return false }
        return entry.device == deviceID && entry.expires > now
    }

    /// Whether `signature` (64 bytes) is the device's Ed25519 signature of the challenge message.
    public static func verify(signature: Data, nonce: String, publicKey: Data, context: String = DeviceChallenges.context) -> Bool {
        guard signature.count == Int(crypto_sign_bytes()), publicKey.count == Int(crypto_sign_publickeybytes()) else { return false }
        let message = Array((context + nonce).utf8)
        return signature.withUnsafeBytes { sig in
            publicKey.withUnsafeBytes { key in
                crypto_sign_verify_detached(
                    sig.bindMemory(to: UInt8.self).baseAddress!,
                    message,
                    UInt64(message.count),
                    key.bindMemory(to: UInt8.self).baseAddress!
                ) == 0
            }
        }
    }
}
