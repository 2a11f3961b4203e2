import DojoDomain
import DojoIdentity
import DojoStorage
import Foundation
import HTTPTypes
import Hummingbird

// The request bodies of ``WalletRoutes``.

struct WalletBody: Decodable {
    var chain: String
    var address: String
    var nonce: String?
    /// The Ed25519 signature of `dojopool-wallet-link:{nonce}`, base58 (as Solana wallets give it).
    var signature: String?
}
