import Crypto
import DojoDomain
import DojoTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import DojoAPI
@testable import DojoServer

private func code(_ body: [String: Any]) -> String? { (body["error"] as? [String: Any])?["code"] as? String }

@Suite("Wallets: chain addresses linked with a proof where it can be checked")
struct WalletTests {
    @Test("base58: the known vectors, and round trips")
    func base58() {
        #expect(Base58.decode("StV1DL6CwTryKyV") == Array("hello world".utf8))
        #expect(Base58.decode("11111111111111111111111111111111") == [UInt8](repeating: 0, count: 32))
        #expect(Base58.encode([0, 0, 1]) == "112")
        #expect(Base58.decode("0OIl") == nil && Base58.decode("") == nil)
        for length in [1, 31, 32, 64] {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255) }
            #expect(Base58.decode(Base58.encode(bytes)) == bytes)
        }
    }

    @Test("a Solana address is linked with a signed nonce; others unverified, said so; list; unlink; every refusal with its code")
    func linkAndUnlink() async throws {
        try await withGateway { h in
            let key = Curve25519.Signing.PrivateKey()
            let address = Base58.encode(Array(key.publicKey.rawRepresentation))
            let (nonceStatus, issued) = try await h.call(.post, "/v1/me/wallets/nonce", as: "bob", ["chain": "solana", "address": address])
            #expect(nonceStatus == .ok, "\(issued)")
            let nonce = try #require(issued["nonce"] as? String)
            let message = try #require(issued["message"] as? String)
            #expect(message == "dojopool-wallet-link:" + nonce)
            let signature = Base58.encode(Array(try key.signature(for: Data(message.utf8))))
            // A wrong signature, or another user's nonce, proves nothing (and uses the nonce up).
            let other = Curve25519.Signing.PrivateKey()
            let forged = Base58.encode(Array(try other.signature(for: Data(message.utf8))))
            let bad = try await h.call(
                .post,
                "/v1/me/wallets",
                as: "bob",
                ["chain": "solana", "address": address, "nonce": nonce, "signature": forged]
            )
            #expect(bad.0 == .unauthorized && code(bad.1) == "wallet.proof_invalid")
            let reused = try await h.call(
                .post,
                "/v1/me/wallets",
                as: "bob",
                ["chain": "solana", "address": address, "nonce": nonce, "signature": signature]
            )
            #expect(reused.0 == .unauthorized && code(reused.1) == "wallet.proof_invalid", "a nonce is used once")
            let (_, fresh) = try await h.call(.post, "/v1/me/wallets/nonce", as: "bob", ["chain": "solana", "address": address])
            let freshNonce = try #require(fresh["nonce"] as? String)
            let proof = Base58.encode(Array(try key.signature(for: Data(("dojopool-wallet-link:" + freshNonce).utf8))))
            let stolen = try await h.call(
                .post,
                "/v1/me/wallets",
                as: "carol",
                ["chain": "solana", "address": address, "nonce": freshNonce, "signature": proof]
            )
            #expect(stolen.0 == .unauthorized, "a nonce is the user's who asked for it")
            let (_, again) = try await h.call(.post, "/v1/me/wallets/nonce", as: "bob", ["chain": "solana", "address": address])
            let last = try #require(again["nonce"] as? String)
            let good = Base58.encode(Array(try key.signature(for: Data(("dojopool-wallet-link:" + last).utf8))))
            let (linked, body) = try await h.call(
                .post,
                "/v1/me/wallets",
                as: "bob",
                ["chain": "solana", "address": address, "nonce": last, "signature": good]
            )
            #expect(linked == .created, "\(body)")
            #expect((body["wallet"] as? [String: Any])?["verified"] as? Bool == true && body["note"] == nil)
            // An EVM address: linked on the user's word, and the answer says so.
            let evm = "0x" + String(repeating: "ab", count: 20)
            let (evmStatus, evmBody) = try await h.call(.post, "/v1/me/wallets", as: "bob", ["chain": "ethereum", "address": evm])
            #expect(evmStatus == .created && (evmBody["wallet"] as? [String: Any])?["verified"] as? Bool == false)
            #expect((evmBody["note"] as? String)?.contains("unverified") == true)
            let (_, list) = try await h.call(.get, "/v1/me/wallets", as: "bob")
            let wallets = try #require(list["wallets"] as? [[String: Any]])
            #expect(wallets.map { $0["chain"] as? String } == ["solana", "ethereum"])
            #expect((try await h.call(.get, "/v1/me/wallets", as: "carol").1["wallets"] as? [Any])?.isEmpty == true)
            let cases: [(String, [String: Any], HTTPResponse.Status, String)] = [
                ("bob", ["chain": "solana", "address": address], .unprocessableContent, "wallet.proof_required"),
                ("carol", ["chain": "ethereum", "address": evm], .conflict, "wallet.taken"),
                ("carol", ["chain": "dogecoin", "address": evm], .unprocessableContent, "wallet.unknown_chain"),
                ("carol", ["chain": "ethereum", "address": "0x12"], .unprocessableContent, "wallet.invalid_address"),
                ("carol", ["chain": "solana", "address": "0OIl"], .unprocessableContent, "wallet.invalid_address"),
                ("carol", ["chain": 7, "address": evm], .badRequest, "invalid_json"),
            ]
            for (user, payload, status, expected) in cases {
                let (got, answer) = try await h.call(.post, "/v1/me/wallets", as: user, payload)
                #expect(got == status && code(answer) == expected, "\(payload): \(got) \(answer)")
            }
            let id = try #require(wallets.last?["id"] as? String)
            func unlink(as user: String) async throws -> HTTPResponse.Status {
                try await h.client.execute(uri: "/v1/me/wallets/\(id)", method: .delete, headers: h.serviceHeaders(user)) { $0.status }
            }
            #expect(try await unlink(as: "carol") == .notFound)
            #expect(try await unlink(as: "bob") == .noContent)
            #expect((try await h.call(.get, "/v1/me/wallets", as: "bob").1["wallets"] as? [Any])?.count == 1)
        }
    }
}
