public import Foundation
import SQLKit

/// A notification waiting to go out on a channel (`notification_deliveries`, the outbox of email
/// and push: a row per notification and channel, written in the notification's own transaction).
public struct PendingDelivery: Sendable, Equatable {
    public var notificationID: String
    public var userID: String
    public var channel: String
    public var type: String
    public var payload: [String: String]
    public var createdAt: Date
    /// Attempts made before this one.
    public var attempts: Int
}

/// Where a delivery stands (tests, and the admin's view of a player's deliveries).
public struct DeliveryState: Sendable, Equatable {
    public var channel: String
    /// `pending`, `sent`, `skipped` or `failed`.
    public var state: String
    public var attempts: Int
    /// The message that carried it (several notifications share a digest's).
    public var messageID: String?
    public var problem: String?

    public init(channel: String, state: String, attempts: Int, messageID: String? = nil, problem: String? = nil) {
        self.channel = channel
        self.state = state
        self.attempts = attempts
        self.messageID = messageID
        self.problem = problem
    }
}

extension Storage {
    /// The players and channels with deliveries due at `now`, at most `limit`.
    public func dueDeliveryGroups(now: Date, limit: Int) async throws -> [(userID: String, channel: String)] {
        try await withSQL { db in
            try await db.select().distinct().columns("user_id", "channel").from("notification_deliveries")
                .where("state", .equal, "pending").where("due_at", .lessThanOrEqual, now.millis)
                .orderBy("user_id").orderBy("channel").limit(limit).all()
                .map { (try $0.decode(column: "user_id", as: String.self), try $0.decode(column: "channel", as: String.self)) }
        }
    }

    /// Takes the due deliveries of one player and channel for `lease` (another node, or this one
    /// after a crash, takes them again once it lapses): they are this `owner`'s to send.
    public func claimDeliveries(userID: String, channel: String, now: Date, lease: Duration, owner: String) async throws -> [PendingDelivery] {
        let until = now.addingTimeInterval(Double(lease.components.seconds)).millis
        let postgres = backend == .postgres
        return try await transaction { db in
            try await db.update("notification_deliveries").set("claim", to: owner).set("due_at", to: until)
                .where("user_id", .equal, userID).where("channel", .equal, channel)
                .where("state", .equal, "pending").where("due_at", .lessThanOrEqual, now.millis)
                .run()
            return try await db.select()
                .columns(
                    SQLColumn("notification_id", table: "d"),
                    SQLColumn("attempts", table: "d"),
                    SQLColumn("type", table: "n"),
                    SQLColumn("created_at", table: "n")
                )
                .column(SQLRaw(postgres ? "n.payload::text" : "n.payload"), as: "payload")
                .from(SQLAlias(SQLIdentifier("notification_deliveries"), as: SQLIdentifier("d")))
                .join(
                    SQLAlias(SQLIdentifier("notifications"), as: SQLIdentifier("n")),
                    on: SQLColumn("id", table: "n"),
                    .equal,
                    SQLColumn("notification_id", table: "d")
                )
                .where(SQLColumn("user_id", table: "d"), .equal, SQLBind(userID)).where(SQLColumn("channel", table: "d"), .equal, SQLBind(channel))
                .where(SQLColumn("state", table: "d"), .equal, SQLBind("pending")).where(SQLColumn("claim", table: "d"), .equal, SQLBind(owner))
                .where(SQLColumn("due_at", table: "d"), .equal, SQLBind(until))
                .all()
                .map { row in
                    PendingDelivery(
                        notificationID: try row.decode(column: "notification_id", as: String.self),
                        userID: userID,
                        channel: channel,
                        type: try row.decode(column: "type", as: String.self),
                        payload: (try? JSONDecoder().decode(
                            [String: String].self,
                            from: Data(try row.decode(column: "payload", as: String.self).utf8)
                        ))
                            ?? [:],
                        createdAt: try Self.date(row, "created_at", SchemaDialect(backend: backend)),
                        attempts: try row.decode(column: "attempts", as: Int.self)
                    )
                }
        }
    }

    /// When the messages sent to a player on a channel since `since` went out (one per message:
    /// a digest counts once).
    public func deliveryTimes(userID: String, channel: String, since: Date) async throws -> [Date] {
        try await withSQL { db in
            try await db.select().column(SQLFunction("MIN", args: SQLIdentifier("sent_at")), as: "at").from("notification_deliveries")
                .where("user_id", .equal, userID).where("channel", .equal, channel).where("state", .equal, "sent")
                .where("sent_at", .greaterThan, since.millis)
                .groupBy("message_id").all()
                .map { Date(timeIntervalSince1970: Double(try $0.decode(column: "at", as: Int64.self)) / 1_000) }
        }
    }

    /// Settles claimed deliveries: `sent` (with the message that carried them), `skipped` (the
    /// player turned the channel off, has no address, or is deleted) or `failed` (given up).
    public func settleDeliveries(
        _ ids: [String],
        channel: String,
        state: String,
        messageID: String? = nil,
        problem: String? = nil,
        at now: Date
    )
        async throws
    {
        guard !ids.isEmpty else { return }
        try await withSQL { db in
            var update = db.update("notification_deliveries").set("state", to: state).set("claim", to: SQLLiteral.null)
            if state != "skipped" { update = update.set(SQLColumn("attempts"), to: SQLRaw("attempts + 1")) }
            if state == "sent" { update = update.set("sent_at", to: now.millis) }
            if let messageID { update = update.set("message_id", to: messageID) }
            if let problem { update = update.set("problem", to: String(problem.prefix(500))) }
            try await update.where("notification_id", .in, ids).where("channel", .equal, channel).where("state", .equal, "pending").run()
        }
    }

    /// Puts claimed deliveries back to wait until `due`: after a failed attempt (`attempted`, its
    /// problem kept), or because the player's limit is reached.
    public func postponeDeliveries(_ ids: [String], channel: String, until due: Date, attempted: Bool, problem: String? = nil) async throws {
        guard !ids.isEmpty else { return }
        try await withSQL { db in
            var update = db.update("notification_deliveries").set("due_at", to: due.millis).set("claim", to: SQLLiteral.null)
            if attempted { update = update.set(SQLColumn("attempts"), to: SQLRaw("attempts + 1")) }
            if let problem { update = update.set("problem", to: String(problem.prefix(500))) }
            try await update.where("notification_id", .in, ids).where("channel", .equal, channel).where("state", .equal, "pending").run()
        }
    }

    /// Where a notification's deliveries stand, by channel.
    public func deliveryStates(of notificationID: String) async throws -> [DeliveryState] {
        try await withSQL { db in
            try await db.select().columns("channel", "state", "attempts", "message_id", "problem").from("notification_deliveries")
                .where("notification_id", .equal, notificationID).orderBy("channel").all()
                .map { row in
                    DeliveryState(
                        channel: try row.decode(column: "channel", as: String.self),
                        state: try row.decode(column: "state", as: String.self),
                        attempts: try row.decode(column: "attempts", as: Int.self),
                        messageID: try row.decodeNil(column: "message_id") ? nil : try row.decode(column: "message_id", as: String.self),
                        problem: try row.decodeNil(column: "problem") ? nil : try row.decode(column: "problem", as: String.self)
                    )
                }
        }
    }

    /// Removes settled deliveries (sent, skipped, failed) due before `before`; the pending stay.
    /// Returns how many.
    @discardableResult
    public func pruneNotificationDeliveries(settledBefore before: Date) async throws -> Int {
        try await withSQL { db in
            let count =
                try await db.select().column(SQLRaw("COUNT(*)"), as: "n").from("notification_deliveries").where("state", .notEqual, "pending")
                .where("due_at", .lessThan, before.millis).first()?.decode(column: "n", as: Int.self) ?? 0
            try await db.delete(from: "notification_deliveries").where("state", .notEqual, "pending").where("due_at", .lessThan, before.millis).run()
            return count
        }
    }

    /// How many deliveries wait (the `dojo_notification_deliveries_pending` gauge).
    public func pendingDeliveryCount() async throws -> Int {
        try await withSQL { db in
            try await db.select().column(SQLRaw("COUNT(*)"), as: "n").from("notification_deliveries").where("state", .equal, "pending").first()?
                .decode(column: "n", as: Int.self) ?? 0
        }
    }
}

extension Schema {
    /// Migration 16: the outbox of email and push (docs/notifications.md, "Email and push").
    @Sendable static func createNotificationDeliveries(_ db: any SQLDatabase, _ d: SchemaDialect) async throws {
        try await db.create(table: "notification_deliveries")
            .column("notification_id", type: .text, .notNull, .references("notifications", "id", onDelete: .cascade))
            .column("channel", type: .text, .notNull)
            .column("user_id", type: .text, .notNull, .references("users", "id", onDelete: .cascade))
            .column("state", type: .text, .notNull)
            .column("attempts", type: .int, .notNull, .default(0))
            .column("due_at", type: .bigint, .notNull)
            .column("claim", type: .text)
            .column("message_id", type: .text)
            .column("sent_at", type: .bigint)
            .column("problem", type: .text)
            .primaryKey("notification_id", "channel")
            .run()
        try await db.create(index: "idx_notification_deliveries_due").on("notification_deliveries").column("state").column("due_at").run()
        try await db.create(index: "idx_notification_deliveries_user").on("notification_deliveries").column("user_id").column("channel")
            .column("sent_at").run()
    }
}
