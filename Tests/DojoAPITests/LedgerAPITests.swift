import DojoDomain
import DojoRuntime
import DojoTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import DojoAPI
@testable import DojoServer

@Suite("The coin ledger through the real server")
struct LedgerAPITests {
    /// A raw POST /v1/admin/grants with its key, as `user` with `role`.
    private func grant(
        _ h: GatewayHarness,
        _ body: String,
        key: String?,
        as user: String = "root",
        role: String? = "ADMIN"
    ) async throws -> (
        HTTPResponse.Status, [String: Any]
    ) {
        var headers = h.serviceHeaders(user, role: role)
        headers[.contentType] = "application/json"
        if let key { headers[HTTPField.Name("Idempotency-Key")!] = key }
        return try await h.client.execute(uri: "/v1/admin/grants", method: .post, headers: headers, body: ByteBuffer(string: body)) {
            ($0.status, try jsonObject($0.body.readableBytesView))
        }
    }

    @Test("an ADMIN grants coins once per key; the player sees the balance and the transaction; everything else is refused and moves nothing")
    func grants() async throws {
        try await withGateway { h in
            let (status, body) = try await grant(h, #"{"userId":"bob","amount":250,"reason":"welcome"}"#, key: "g-1")
            #expect(status == .created, "\(body)")
            #expect((body["transfer"] as? [String: Any])?["to"] as? String == "user-bob")
            let (again, repeated) = try await grant(h, #"{"userId":"bob","amount":250,"reason":"welcome"}"#, key: "g-1")
            #expect(again == .ok && repeated["duplicate"] as? Bool == true)
            // The key names that grant: another amount under it is refused, and pays nothing.
            let (reused, refusal) = try await grant(h, #"{"userId":"bob","amount":900,"reason":"welcome"}"#, key: "g-1")
            #expect(reused == .conflict && errorCode(refusal) == "ledger.duplicate_transfer", "\(refusal)")
            await h.server.runtime.drainConsumers()
            let (_, balance) = try await h.call(.get, "/v1/me/balance", as: "bob")
            #expect(balance["available"] as? Int == 250 && balance["escrowed"] as? Int == 0 && balance["currency"] as? String == "DOJO")
            let (_, page) = try await h.call(.get, "/v1/me/transactions", as: "bob")
            let rows = page["transactions"] as? [[String: Any]]
            #expect(rows?.count == 1 && rows?.first?["amount"] as? Int == 250 && rows?.first?["type"] as? String == "CREDIT")
            #expect(rows?.first?["transferId"] as? String == "grant-g-1" && rows?.first?["reference"] as? String == "grant:welcome")
            // Milliseconds since 1970, as every time in the API (it was Foundation's seconds since 2001).
            let at = try #require(rows?.first?["at"] as? Int)
            #expect(abs(at - Int(Date().timeIntervalSince1970 * 1000)) < 600_000)
            // Refusals.
            let cases: [(String, String?, String?, HTTPResponse.Status, String)] = [
                (#"{"userId":"bob","amount":5,"reason":"x"}"#, "g-2", "USER", .forbidden, "forbidden"),
                (#"{"userId":"bob","amount":5,"reason":"x"}"#, nil, "ADMIN", .badRequest, "ledger.idempotency_key_required"),
                (#"{"userId":"bob","amount":1.5,"reason":"x"}"#, "g-3", "ADMIN", .badRequest, "invalid_json"),
                (#"{"userId":"bob","amount":"5","reason":"x"}"#, "g-4", "ADMIN", .badRequest, "invalid_json"),
                (#"{"userId":"bob","amount":99999999999999999999,"reason":"x"}"#, "g-5", "ADMIN", .badRequest, "invalid_json"),
                (#"{"userId":"bob","amount":-5,"reason":"x"}"#, "g-6", "ADMIN", .unprocessableContent, "ledger.invalid_amount"),
                (#"{"userId":"bob","amount":0,"reason":"x"}"#, "g-7", "ADMIN", .unprocessableContent, "ledger.invalid_amount"),
                (#"{"userId":"bob","amount":1000000001,"reason":"x"}"#, "g-8", "ADMIN", .unprocessableContent, "ledger.invalid_amount"),
                (#"{"userId":"ghost","amount":5,"reason":"x"}"#, "g-9", "ADMIN", .unprocessableContent, "ledger.unknown_user"),
                (#"{"userId":"bob","amount":5}"#, "g-10", "ADMIN", .unprocessableContent, "ledger.reason_required"),
                (#"{"userId":"bob","amount":5,"reason":"x"}"#, "bad key \u{1}", "ADMIN", .badRequest, "invalid_command_id"),
            ]
            for (text, key, role, expected, code) in cases {
                let (got, answer) = try await grant(h, text, key: key, as: "alice", role: role)
                #expect(got == expected && (answer["error"] as? [String: Any])?["code"] as? String == code, "\(text) \(key ?? "-"): \(got) \(answer)")
            }
            await h.server.runtime.drainConsumers()
            #expect(try await h.call(.get, "/v1/me/balance", as: "bob").1["available"] as? Int == 250, "nothing moved")
            #expect(try await h.server.runtime.accounts.read(Account.issuance).state.balance == -250)
            // Anonymous: no balance.
            let anonymous = try await h.client.execute(uri: "/v1/me/balance", method: .get) { $0.status }
            #expect(anonymous == .unauthorized)
            #expect(try await h.call(.get, "/v1/me/transactions?limit=0", as: "bob").0 == .badRequest)
        }
    }
}
