import DojoDomain
import DojoHooks
import DojoStorage
import Foundation
import HTTPTypes
import Hummingbird

/// Partners and their webhooks (role ADMIN; docs/webhooks.md):
///
/// - `POST /v1/admin/partners` `{"id"?, "name", "url", "secret", "events": ["match.completed", "tournament.*"]}`
///   → 201 `{"partner"}` (the secret is never shown again);
/// - `GET /v1/admin/partners` → `{"partners": [...]}`;
/// - `DELETE /v1/admin/partners/{id}` → the partner is disabled: nothing more is queued or sent;
/// - `GET /v1/admin/partners/{id}/deliveries?state=dead&limit=` → the latest deliveries;
/// - `POST /v1/admin/partners/{id}/replay` → `{"replayed"}`: its dead deliveries are sent again.
struct PartnerRoutes: Sendable {
    let storage: any Storage
    let authentication: Authentication
    let audit: AuditTrail
    /// `http://` URLs too (development); else `https://` only.
    let allowHTTP: Bool

    func register(on router: Router<AppRequestContext>) {
        router.post("/v1/admin/partners") { request, context in
            let admin = try await authentication.admin(request)
            let body = try await JSONBody.decode(PartnerBody.self, request, context)
            let partner = try body.validated(allowHTTP: allowHTTP, now: Date())
            guard try await storage.insertPartner(partner) else {
                throw DomainError(.conflict, "partner.exists", "a partner \(partner.id) exists")
            }
            await audit.record("partner.registered", actor: admin.userID, target: partner.id, context, ["url": partner.url])
            return try Response.json(.created, OnePartner(partner: PartnerView(partner)))
        }
        router.get("/v1/admin/partners") { request, _ in
            _ = try await authentication.admin(request)
            return try Response.json(.ok, PartnerList(partners: try await storage.partners(active: false).map(PartnerView.init)))
        }
        router.delete("/v1/admin/partners/:id") { request, context in
            let admin = try await authentication.admin(request)
            let id = try context.parameters.require("id")
            guard try await storage.disablePartner(id) else { throw DomainError(.notFound, "partner.not_found", "no partner \(id)") }
            await audit.record("partner.disabled", actor: admin.userID, target: id, context)
            return Response(status: .noContent)
        }
        router.get("/v1/admin/partners/:id/deliveries") { request, context in
            _ = try await authentication.admin(request)
            let id = try context.parameters.require("id")
            let state = request.uri.queryParameters["state"].map(String.init)
            if let state, !["pending", "delivered", "dead"].contains(state) {
                throw APIError(.badRequest, code: "invalid_query", message: "state is pending, delivered or dead")
            }
            let limit = try Query.integer(request, "limit", default: 50, in: 1...500)
            try await requireExisting(id)
            let deliveries = try await storage.partnerDeliveries(of: id, state: state, limit: limit)
            return try Response.json(.ok, DeliveryList(deliveries: deliveries.map(DeliveryView.init)))
        }
        router.post("/v1/admin/partners/:id/replay") { request, context in
            let admin = try await authentication.admin(request)
            let id = try context.parameters.require("id")
            try await requireExisting(id)
            let replayed = try await storage.replayPartnerDeliveries(of: id, at: Date())
            await audit.record("partner.replayed", actor: admin.userID, target: id, context, ["deliveries": String(replayed)])
            return Response.json(.ok, ["replayed": replayed])
        }
    }

    /// 404 `partner.not_found` unless a partner `id` is registered (disabled ones too).
    private func requireExisting(_ id: String) async throws {
        guard try await storage.partners(active: false).contains(where: { $0.id == id }) else {
            throw DomainError(.notFound, "partner.not_found", "no partner \(id)")
        }
    }

    struct PartnerBody: Decodable {
        var id: String?
        var name: String
        var url: String
        var secret: String
        var events: [String]

        func validated(allowHTTP: Bool, now: Date) throws -> PartnerRecord {
            let id = id ?? UUID().uuidString.lowercased()
            guard EntityKey.isValidID(id) else { throw APIError(.badRequest, code: "invalid_partner", message: "id: 1–64 letters, digits, - and _") }
            guard id != CommentaryHook.partnerID else {
                throw APIError(.badRequest, code: "invalid_partner", message: "\(id) is the commentary hook's (commentary.hook.url)")
            }
            guard (1...80).contains(name.count), !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
                throw APIError(.badRequest, code: "invalid_partner", message: "name: 1–80 characters without control characters")
            }
            guard url.utf8.count <= 500, let parsed = URL(string: url), let host = parsed.host, !host.isEmpty,
                parsed.scheme == "https" || (allowHTTP && parsed.scheme == "http")
            else {
                throw APIError(
                    .badRequest,
                    code: "invalid_partner",
                    message: allowHTTP ? "url: an http:// or https:// URL of at most 500 bytes" : "url: an https:// URL of at most 500 bytes"
                )
            }
            guard (32...256).contains(secret.utf8.count) else {
                throw APIError(.badRequest, code: "invalid_partner", message: "secret: 32–256 bytes (openssl rand -hex 32)")
            }
            let pattern = /^[a-z][a-z_]*\.([a-z][a-z_]*|\*)$/
            guard (1...50).contains(events.count), events.allSatisfy({ $0.wholeMatch(of: pattern) != nil }) else {
                throw APIError(.badRequest, code: "invalid_partner", message: "events: 1–50 event types (match.completed) or kinds (match.*)")
            }
            return PartnerRecord(id: id, name: name, url: url, secret: secret, events: events, createdAt: now)
        }
    }

    struct PartnerView: Encodable {
        var id: String
        var name: String
        var url: String
        var events: [String]
        var createdAt: Timestamp
        var disabled: Bool
        /// `event`, or `commentary` for the configured commentary hook.
        var format: String

        init(_ partner: PartnerRecord) {
            id = partner.id
            name = partner.name
            url = partner.url
            events = partner.events
            createdAt = Timestamp(partner.createdAt)
            disabled = partner.disabled
            format = partner.format.rawValue
        }
    }

    struct OnePartner: Encodable { var partner: PartnerView }
    struct PartnerList: Encodable { var partners: [PartnerView] }
    struct DeliveryList: Encodable { var deliveries: [DeliveryView] }

    struct DeliveryView: Encodable {
        var id: String
        var stream: String
        var seq: Int64
        var type: String
        var state: String
        var attempts: Int
        var problem: String?

        init(_ delivery: PartnerDelivery) {
            id = delivery.id
            stream = delivery.stream
            seq = delivery.sequence
            type = delivery.type
            state = delivery.state
            attempts = delivery.attempts
            problem = delivery.problem
        }
    }
}
