import DojoDomain
import DojoRuntime
import DojoStorage
import Foundation
import HTTPTypes
import Hummingbird

/// The DOJO coin ledger for its users (docs/ledger.md): the signed-in user's balance and
/// transactions, and an ADMIN's grants (coins from the issuance account, once per
/// `Idempotency-Key`, audited).
struct LedgerRoutes: Sendable {
    let runtime: Runtime
    let storage: any Storage
    let authentication: Authentication
    let audit: AuditTrail

    func register(on router: Router<AppRequestContext>) {
        router.get("/v1/me/balance") { request, _ in
            let user = try await authentication.userID(request, to: "see your coins")
            let (available, escrowed) = try await runtime.balance(of: user)
            return try Response.json(.ok, Balance(available: available, escrowed: escrowed, currency: "DOJO"))
        }
        router.get("/v1/me/transactions") { request, _ in
            let user = try await authentication.userID(request, to: "see your coins")
            let limit = try Query.integer(request, "limit", default: 50, in: 1...200)
            let offset = try Query.integer(request, "offset", default: 0, in: 0...100_000)
            let rows = try await storage.transactions(of: user, offset: offset, limit: limit)
            return try Response.json(
                .ok,
                TransactionPage(transactions: rows.map(TransactionView.init), next: rows.count == limit ? offset + limit : nil)
            )
        }
        router.post("/v1/admin/grants") { request, context in
            let admin = try await authentication.admin(request)
            guard let key = request.headers[CommandRoutes.idempotencyHeader] else {
                throw APIError(.badRequest, code: "ledger.idempotency_key_required", message: "a grant needs an Idempotency-Key header")
            }
            do throws(DomainError) { try CommandID.validate(key) } catch {
                throw APIError(.badRequest, code: error.code, message: error.message)
            }
            let body = try await JSONBody.decode(GrantBody.self, request, context)
            guard let reason = body.reason?.trimmingCharacters(in: .whitespacesAndNewlines), (1...200).contains(reason.count) else {
                throw DomainError(.invalid, "ledger.reason_required", "a grant gives its reason (1–200 characters)")
            }
            let result = try await runtime.grant(userID: body.userId, amount: body.amount, key: key, reference: "grant:\(reason)")
            if !result.duplicate {
                await audit.record(
                    "ledger.granted",
                    actor: admin.userID,
                    target: body.userId,
                    context,
                    ["amount": String(body.amount), "reason": reason, "key": key]
                )
            }
            let transfer = result.events.compactMap { event -> Account.Transfer? in
                if case .debited(let transfer, _, _) = event { return transfer }
                return nil
            }.first
            return try Response.json(result.duplicate ? .ok : .created, GrantView(duplicate: result.duplicate, transfer: transfer))
        }
    }

}
