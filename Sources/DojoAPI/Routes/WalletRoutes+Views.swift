import DojoDomain
import DojoIdentity
import DojoStorage
import Foundation
import HTTPTypes
import Hummingbird

// What ``WalletRoutes`` answers with.

struct NonceView: Encodable {
    var nonce: String
    /// What to sign, byte for byte.
    var message: String
    var expiresIn: Int
}

struct LinkedWallet: Encodable {
    var wallet: WalletRecord
    var note: String?
}

struct WalletPage: Encodable {
    var wallets: [WalletRecord]
}

/// Bitcoin's base58 alphabet (Solana's addresses and signatures).
enum Base58 {
    static let alphabet = Array("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz".utf8)

    /// The bytes of `text`; nil when it is empty, longer than 128 characters or not base58.
    static func decode(_ text: String) -> [UInt8]? {
        let input = Array(text.utf8)
        guard !input.isEmpty, input.count <= 128 else { return nil }
        var bytes: [UInt8] = []
        for character in input {
            guard let digit = alphabet.firstIndex(of: character) else { return nil }
            var carry = digit
            for index in bytes.indices.reversed() {
                carry += Int(bytes[index]) * 58
                bytes[index] = UInt8(carry & 0xff)
                carry >>= 8
            }
            while carry > 0 {
                bytes.insert(UInt8(carry & 0xff), at: 0)
                carry >>= 8
            }
        }
        let zeros = input.prefix { $0 == alphabet[0] }.count
        return [UInt8](repeating: 0, count: zeros) + bytes
    }

    /// `bytes` in base58.
    static func encode(_ bytes: [UInt8]) -> String {
        var digits: [Int] = []
        for byte in bytes {
            var carry = Int(byte)
            for index in digits.indices.reversed() {
                carry += digits[index] << 8
                digits[index] = carry % 58
                carry /= 58
            }
            while carry > 0 {
                digits.insert(carry % 58, at: 0)
                carry /= 58
            }
        }
        let zeros = bytes.prefix { $0 == 0 }.count
        return String(decoding: [UInt8](repeating: alphabet[0], count: zeros) + digits.map { alphabet[$0] }, as: UTF8.self)
    }
}
