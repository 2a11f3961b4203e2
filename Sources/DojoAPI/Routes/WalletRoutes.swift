import DojoDomain
import DojoIdentity
import DojoStorage
import Foundation
import HTTPTypes
import Hummingbird

/// The signed-in user's chain wallets (the seed's `Wallet`; docs/wallets in docs/ledger.md): link
/// with a proof where the chain's signature can be checked here (Solana: the address is an Ed25519
/// public key; the user signs `dojopool-wallet-link:{nonce}`), others on the user's word
/// (`"verified": false`, said so in the answer); list; unlink. No chain is contacted.
struct WalletRoutes: Sendable {
    let storage: any Storage
    let authentication: Authentication
    let audit: AuditTrail
    let nonces: DeviceChallenges

    static let context = "dojopool-wallet-link:"
    /// Wallets per user.
    static let maximumPerUser = 10
    /// Chains a wallet may be on, and whether a proof is checked here.
    static let chains: [String: Bool] = ["solana": true, "ethereum": false, "polygon": false, "bitcoin": false]

    func register(on router: Router<AppRequestContext>) {
        let wallets = router.group("/v1/me/wallets")
        wallets.get { request, _ in
            let user = try await authentication.userID(request, to: "manage your wallets")
            return try Response.json(.ok, WalletPage(wallets: try await storage.wallets(of: user)))
        }
        // A nonce to sign for one address (60 s, once).
        wallets.post("/nonce") { request, context in
            let user = try await authentication.userID(request, to: "manage your wallets")
            let body = try await JSONBody.decode(WalletBody.self, request, context)
            let (chain, address) = try Self.validated(body)
            let nonce = nonces.issue(for: "\(user) \(chain) \(address)")
            return try Response.json(.ok, NonceView(nonce: nonce, message: Self.context + nonce, expiresIn: Int(DeviceChallenges.lifetime)))
        }
        wallets.post { request, context in
            let user = try await authentication.userID(request, to: "manage your wallets")
            let body = try await JSONBody.decode(WalletBody.self, request, context)
            let (chain, address) = try Self.validated(body)
            var verified = false
            if Self.chains[chain] == true {
                guard let nonce = body.nonce, let signature = body.signature else {
                    throw APIError(
                        .unprocessableContent,
                        code: "wallet.proof_required",
                        message: "a \(chain) address is linked with proof: sign the message of POST /v1/me/wallets/nonce and send nonce and signature"
                    )
                }
                guard nonces.consume(nonce, for: "\(user) \(chain) \(address)"),
                    let key = Base58.decode(address), let signatureBytes = Base58.decode(signature).map({ Data($0) }),
                    DeviceChallenges.verify(signature: signatureBytes, nonce: nonce, publicKey: Data(key), context: Self.context)
                else {
                    throw APIError(
                        .unauthorized,
                        code: "wallet.proof_invalid",
                        message: "the signature does not prove this address (or the nonce expired)"
                    )
                }
                verified = true
            }
            let wallet = WalletRecord(id: CommandRoutes.newID(), chain: chain, address: address, verified: verified)
            guard try await storage.insertWallet(wallet, userID: user, limit: Self.maximumPerUser, at: Date()) else {
                throw APIError(
                    .conflict,
                    code: "wallet.taken",
                    message: "this address is linked already, or you have \(Self.maximumPerUser) wallets"
                )
            }
            await audit.record("wallet.linked", actor: user, target: wallet.id, context, ["chain": chain, "verified": String(verified)])
            let note = verified ? nil : "linked unverified: \(chain) signatures are not checked here"
            return try Response.json(.created, LinkedWallet(wallet: wallet, note: note))
        }
        wallets.delete("/:id") { request, context in
            let user = try await authentication.userID(request, to: "manage your wallets")
            let id = try context.parameters.require("id")
            guard try await storage.deleteWallet(id: id, userID: user) else {
                throw APIError(.notFound, code: "wallet.not_found", message: "you have no wallet \(id.prefix(64))")
            }
            await audit.record("wallet.unlinked", actor: user, target: id, context, [:])
            return Response(status: .noContent)
        }
    }

    /// The chain and address, checked: a known chain; a Solana address is 32 bytes in base58, an
    /// EVM one `0x` and 40 hex digits, a Bitcoin one 14–90 base58 or bech32 characters.
    static func validated(_ body: WalletBody) throws -> (String, String) {
        let chain = body.chain.lowercased()
        guard chains[chain] != nil else {
            throw APIError(
                .unprocessableContent,
                code: "wallet.unknown_chain",
                message: "chain is one of \(chains.keys.sorted().joined(separator: ", "))"
            )
        }
        let address = body.address
        let valid: Bool
        switch chain {
        case "solana": valid = Base58.decode(address)?.count == 32
        case "ethereum", "polygon":
            valid = address.utf8.count == 42 && address.hasPrefix("0x") && address.dropFirst(2).allSatisfy(\.isHexDigit)
        default: valid = (14...90).contains(address.utf8.count) && address.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) }
        }
        guard valid else { throw APIError(.unprocessableContent, code: "wallet.invalid_address", message: "not a \(chain) address") }
        return (chain, address)
    }

}
