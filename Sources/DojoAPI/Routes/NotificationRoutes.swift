import DojoDomain
import DojoRuntime
import DojoStorage
import Foundation
import Hummingbird

/// A player's notifications (docs/notifications.md): `GET /v1/me/notifications` (newest first,
/// paged, with the unread count), `POST /v1/me/notifications/{id}/read`,
/// `POST /v1/me/notifications/read-all`. They arrive live as `notice`s in the player's `user:` room.
struct NotificationRoutes: Sendable {
    let storage: any Storage
    let authentication: Authentication

    func register(on router: Router<AppRequestContext>) {
        router.get("/v1/me/notifications") { request, _ in
            let user = try await authentication.userID(request, to: "read your notifications")
            let limit = try Query.integer(request, "limit", default: 20, in: 1...100)
            let offset = try Query.integer(request, "offset", default: 0, in: 0...100_000)
            let (page, unread) = try await storage.notifications(of: user, offset: offset, limit: limit)
            return try Response.json(
                .ok,
                NotificationPage(notifications: page.map(NotificationView.init), unread: unread, next: page.count == limit ? offset + limit : nil)
            )
        }
        router.post("/v1/me/notifications/read-all") { request, _ in
            let user = try await authentication.userID(request, to: "mark your notifications read")
            try await storage.markNotificationsRead(of: user, id: nil)
            return try Response.json(.ok, NotificationPage(notifications: [], unread: 0, next: nil))
        }
        router.post("/v1/me/notifications/:id/read") { request, context in
            let user = try await authentication.userID(request, to: "mark your notifications read")
            let id = try context.parameters.require("id")
            guard id.utf8.count <= 300, try await storage.markNotificationsRead(of: user, id: id) == 1 else {
                throw APIError(.notFound, code: "notification.not_found", message: "no such notification of yours")
            }
            let unread = try await storage.notifications(of: user, offset: 0, limit: 1).unread
            return try Response.json(.ok, NotificationPage(notifications: [], unread: unread, next: nil))
        }
    }
}
