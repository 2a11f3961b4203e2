public import Foundation
import SQLKit

/// A stored notification (`notifications`).
public struct NotificationRecord: Sendable, Equatable {
    public var id: String
    public var userID: String
    public var type: String
    public var payload: [String: String]
    public var read: Bool
    public var createdAt: Date

    public init(id: String, userID: String, type: String, payload: [String: String], read: Bool = false, createdAt: Date) {
        self.id = id
        self.userID = userID
        self.type = type
        self.payload = payload
        self.read = read
        self.createdAt = createdAt
    }
}

extension Storage {
    /// Stores notifications whose ids are not stored yet (an id is derived from its source: a
    /// redelivery stores nothing twice). Returns the ones stored now. Each one stored is queued on
    /// every channel of `channels` (`email`, `push`) in the same transaction, due at `due`: the
    /// outbox the delivery service sends from (docs/notifications.md).
    public func insertNotifications(
        _ notifications: [NotificationRecord],
        channels: [String] = [],
        due: Date = Date()
    ) async throws
        -> [NotificationRecord]
    {
        guard !notifications.isEmpty else { return [] }
        let d = SchemaDialect(backend: backend)
        return try await transaction { db in
            let known = Set(
                try await db.select().column("id").from("notifications").where("id", .in, notifications.map(\.id)).all()
                    .map { try $0.decode(column: "id", as: String.self) }
            )
            var stored: [NotificationRecord] = []
            for notification in notifications where !known.contains(notification.id) {
                let payload = String(decoding: try JSONEncoder.sorted.encode(notification.payload), as: UTF8.self)
                try await db.insert(into: "notifications").columns("id", "user_id", "type", "payload", "read", "created_at")
                    .values([
                        SQLBind(notification.id), SQLBind(notification.userID), SQLBind(notification.type), d.bindJSON(payload),
                        SQLBind(false), d.bind(notification.createdAt),
                    ])
                    .ignoringConflicts(with: ["id"]).run()
                for channel in channels {
                    try await db.insert(into: "notification_deliveries").columns("notification_id", "channel", "user_id", "state", "due_at")
                        .values([SQLBind(notification.id), SQLBind(channel), SQLBind(notification.userID), SQLBind("pending"), SQLBind(due.millis)])
                        .ignoringConflicts(with: ["notification_id", "channel"]).run()
                }
                stored.append(notification)
            }
            return stored
        }
    }

    /// A user's notifications, newest first, and how many are unread.
    public func notifications(of userID: String, offset: Int, limit: Int) async throws -> (page: [NotificationRecord], unread: Int) {
        let d = SchemaDialect(backend: backend)
        let postgres = backend == .postgres
        return try await withSQL { db in
            let rows = try await db.select().columns("id", "type", "read", "created_at")
                .column(SQLRaw(postgres ? "payload::text" : "payload"), as: "payload")
                .from("notifications").where("user_id", .equal, userID)
                .orderBy("created_at", .descending).orderBy("id", .descending).limit(limit).offset(offset).all()
            let page = try rows.map { row in
                NotificationRecord(
                    id: try row.decode(column: "id", as: String.self),
                    userID: userID,
                    type: try row.decode(column: "type", as: String.self),
                    payload: (try? JSONDecoder().decode([String: String].self, from: Data(try row.decode(column: "payload", as: String.self).utf8)))
                        ?? [:],
                    read: try row.decode(column: "read", as: Bool.self),
                    createdAt: try Self.date(row, "created_at", d)
                )
            }
            let unread =
                try await db.select().column(SQLRaw("COUNT(*)"), as: "n").from("notifications").where("user_id", .equal, userID)
                .where("read", .equal, false).first()?.decode(column: "n", as: Int.self) ?? 0
            return (page, unread)
        }
    }

    /// Marks one of the user's notifications read (`id` nil: all of them). Returns how many changed.
    @discardableResult
    public func markNotificationsRead(of userID: String, id: String?) async throws -> Int {
        try await withSQL { db in
            var query = db.update("notifications").set("read", to: true).where("user_id", .equal, userID).where("read", .equal, false)
            if let id { query = query.where("id", .equal, id) }
            try await query.run()
            var count = db.select().column(SQLRaw("COUNT(*)"), as: "n").from("notifications").where("user_id", .equal, userID)
            if let id { count = count.where("id", .equal, id) }
            return try await count.first()?.decode(column: "n", as: Int.self) ?? 0
        }
    }
}

extension JSONEncoder {
    /// Keys sorted: the same object always encodes the same way.
    static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
