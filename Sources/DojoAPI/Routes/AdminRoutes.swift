import DojoDomain
import DojoStorage
import Foundation
import HTTPTypes
import Hummingbird

/// Administration (role ADMIN only; others get 403 `forbidden`):
///
/// - `GET /v1/admin/audit?limit=50&action=auth.login&before=CURSOR` → `{"entries": [...], "next": CURSOR?}`,
///   newest first.
/// - `POST /v1/admin/users/{id}/role` `{"role": "USER" | "VENUE_ADMIN" | "ADMIN"}` → `{"user", "role", "previousRole"}`.
///   The new role is in the user's next access token (the current ones keep theirs until they expire).
struct AdminRoutes: Sendable {
    let storage: any Storage
    let authentication: Authentication
    let audit: AuditTrail

    func register(on router: Router<AppRequestContext>) {
        router.get("/v1/admin/audit") { request, context in
            _ = try await authentication.admin(request)
            let query = request.uri.queryParameters
            let limit =
                try query["limit"].map { text -> Int in
                    guard let value = Int(text), (1...500).contains(value) else {
                        throw APIError(.badRequest, code: "invalid_query", message: "limit is 1–500")
                    }
                    return value
                } ?? 50
            var cursor: (Date, String)?
            if let text = query["before"] {
                let parts = text.split(separator: "_", maxSplits: 1)
                // Milliseconds from 1970 to the year 9999: past it a date overflows the storage's
                // microsecond arithmetic (Int64.max here trapped and ended the process).
                guard parts.count == 2, let ms = Int64(parts[0]), (0...253_402_300_799_999).contains(ms) else {
                    throw APIError(.badRequest, code: "invalid_query", message: "before is the `next` cursor of a previous page")
                }
                cursor = (Date(timeIntervalSince1970: Double(ms) / 1000), String(parts[1]))
            }
            let action = query["action"].map(String.init)
            let entries = try await storage.auditEntries(before: cursor, action: action, limit: limit)
            var body: [String: Any] = [
                "entries": entries.map { entry -> [String: Any] in
                    var view: [String: Any] = [
                        "id": entry.id, "action": entry.action, "at": entry.at.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)),
                        "metadata": (try? JSONSerialization.jsonObject(with: Data(entry.metadata.utf8))) ?? [:],
                    ]
                    if let actor = entry.actorID { view["actor"] = actor }
                    if let target = entry.target { view["target"] = target }
                    return view
                }
            ]
            if entries.count == limit, let last = entries.last {
                body["next"] = "\(Int64((last.at.timeIntervalSince1970 * 1000).rounded()))_\(last.id)"
            }
            return Response.json(.ok, body)
        }
        router.post("/v1/admin/users/:id/role") { request, context in
            let admin = try await authentication.admin(request)
            let id = try context.parameters.require("id")
            let body = try await JSONBody.decode(RoleBody.self, request, context)
            let (found, previous) = try await storage.setRole(userID: id, role: body.role.rawValue)
            guard found else { throw DomainError(.notFound, "user.not_found", "user \(id) does not exist") }
            await audit.record("user.role_changed", actor: admin.userID, target: id, context, ["from": previous ?? "", "to": body.role.rawValue])
            return Response.json(.ok, ["user": id, "role": body.role.rawValue, "previousRole": previous ?? ""])
        }
    }

    struct RoleBody: Decodable {
        var role: UserRole
    }
}
