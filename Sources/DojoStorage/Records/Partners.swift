public import Foundation
import SQLKit

/// A partner that receives events by webhook (`partners`; docs/webhooks.md).
public struct PartnerRecord: Sendable, Equatable {
    public var id: String
    public var name: String
    public var url: String
    /// The HMAC-SHA256 key of its requests (kept to sign them; never shown again).
    public var secret: String
    /// Event types (`match.completed`) or a kind's every event (`match.*`).
    public var events: [String]
    public var createdAt: Date
    public var disabled: Bool
    /// How its requests' bodies look: `event` (the delivery envelope of docs/webhooks.md) or
    /// `commentary` (the commentary hook's `{"event": "COMMENTARY", …}` lines).
    public var format: Format

    /// The shape of a partner's requests.
    public enum Format: String, Sendable, Equatable {
        case event, commentary
    }

    public init(
        id: String,
        name: String,
        url: String,
        secret: String,
        events: [String],
        createdAt: Date,
        disabled: Bool = false,
        format: Format = .event
    ) {
        self.id = id
        self.name = name
        self.url = url
        self.secret = secret
        self.events = events
        self.createdAt = createdAt
        self.disabled = disabled
        self.format = format
    }

    /// Whether it wants events of this type.
    public func wants(_ type: String) -> Bool {
        events.contains { $0 == type || ($0.hasSuffix(".*") && type.hasPrefix($0.dropLast())) }
    }
}

/// One event for one partner (`partner_deliveries`): the outbox the webhook service sends from,
/// in order per partner and stream.
public struct PartnerDelivery: Sendable, Equatable {
    public var partnerID: String
    public var stream: String
    public var sequence: Int64
    public var type: String
    /// The request's body, built when the event was queued.
    public var body: String
    /// `pending`, `delivered` or `dead`.
    public var state: String
    public var attempts: Int
    public var problem: String?

    public init(
        partnerID: String,
        stream: String,
        sequence: Int64,
        type: String,
        body: String,
        state: String = "pending",
        attempts: Int = 0,
        problem: String? = nil
    ) {
        self.partnerID = partnerID
        self.stream = stream
        self.sequence = sequence
        self.type = type
        self.body = body
        self.state = state
        self.attempts = attempts
        self.problem = problem
    }

    /// The delivery's id (`X-Dojo-Delivery`): the partner and the event.
    public var id: String { "\(partnerID):\(stream)@\(sequence)" }
}

extension Storage {
    /// Registers a partner; false when its id is taken.
    public func insertPartner(_ partner: PartnerRecord) async throws -> Bool {
        let events = String(decoding: try JSONEncoder().encode(partner.events), as: UTF8.self)
        return try await transaction { db in
            guard try await db.select().column("id").from("partners").where("id", .equal, partner.id).first() == nil else { return false }
            try await db.insert(into: "partners").columns("id", "name", "url", "secret", "events", "created_at", "disabled", "format")
                .values([
                    SQLBind(partner.id), SQLBind(partner.name), SQLBind(partner.url), SQLBind(partner.secret), SQLBind(events),
                    SQLBind(partner.createdAt.millis), SQLBind(false), SQLBind(partner.format.rawValue),
                ])
                .run()
            return true
        }
    }

    /// Registers a partner the server's configuration names (the commentary hook), or brings an
    /// existing one up to date and enables it: its URL, secret, events and format.
    public func configurePartner(_ partner: PartnerRecord) async throws {
        if try await insertPartner(partner) { return }
        let events = String(decoding: try JSONEncoder().encode(partner.events), as: UTF8.self)
        try await withSQL { db in
            try await db.update("partners").set("name", to: partner.name).set("url", to: partner.url).set("secret", to: partner.secret)
                .set("events", to: events).set("format", to: partner.format.rawValue).set("disabled", to: false)
                .where("id", .equal, partner.id).run()
        }
    }

    /// The partners, oldest first (`active`: only those not disabled).
    public func partners(active: Bool) async throws -> [PartnerRecord] {
        try await withSQL { db in
            var query = db.select().columns("id", "name", "url", "secret", "events", "created_at", "disabled", "format").from("partners")
            if active { query = query.where("disabled", .equal, false) }
            return try await query.orderBy("created_at").orderBy("id").all().map { row in
                PartnerRecord(
                    id: try row.decode(column: "id", as: String.self),
                    name: try row.decode(column: "name", as: String.self),
                    url: try row.decode(column: "url", as: String.self),
                    secret: try row.decode(column: "secret", as: String.self),
                    events: (try? JSONDecoder().decode([String].self, from: Data(try row.decode(column: "events", as: String.self).utf8))) ?? [],
                    createdAt: Date(timeIntervalSince1970: Double(try row.decode(column: "created_at", as: Int64.self)) / 1_000),
                    disabled: try row.decode(column: "disabled", as: Bool.self),
                    format: PartnerRecord.Format(rawValue: try row.decode(column: "format", as: String.self)) ?? .event
                )
            }
        }
    }

    /// Disables a partner: nothing more is queued or sent to it. False when there is none.
    public func disablePartner(_ id: String) async throws -> Bool {
        try await withSQL { db in
            guard try await db.select().column("id").from("partners").where("id", .equal, id).first() != nil else { return false }
            try await db.update("partners").set("disabled", to: true).where("id", .equal, id).run()
            return true
        }
    }

    /// Queues deliveries; one already queued for the same partner and event is kept as it is.
    public func queuePartnerDeliveries(_ deliveries: [PartnerDelivery], due: Date) async throws {
        guard !deliveries.isEmpty else { return }
        try await transaction { db in
            for delivery in deliveries {
                try await db.insert(into: "partner_deliveries")
                    .columns("partner_id", "stream", "seq", "type", "body", "state", "attempts", "due_at")
                    .values([
                        SQLBind(delivery.partnerID), SQLBind(delivery.stream), SQLBind(delivery.sequence), SQLBind(delivery.type),
                        SQLBind(delivery.body), SQLBind("pending"), SQLBind(0), SQLBind(due.millis),
                    ])
                    .ignoringConflicts(with: ["partner_id", "stream", "seq"]).run()
            }
        }
    }

    /// The partners' streams whose first pending delivery is due, at most `limit`.
    public func duePartnerStreams(now: Date, limit: Int) async throws -> [(partnerID: String, stream: String)] {
        try await withSQL { db in
            try await db.raw(
                """
                SELECT d.partner_id AS p, d.stream AS s FROM partner_deliveries d
                WHERE d.state = 'pending' AND d.due_at <= \(bind: now.millis)
                  AND d.seq = (SELECT MIN(f.seq) FROM partner_deliveries f
                               WHERE f.partner_id = d.partner_id AND f.stream = d.stream AND f.state = 'pending')
                ORDER BY d.due_at LIMIT \(bind: limit)
                """
            ).all().map { (try $0.decode(column: "p", as: String.self), try $0.decode(column: "s", as: String.self)) }
        }
    }

    /// Takes a stream's first pending delivery for a partner when it is due, for `lease` (another
    /// node, or this one after a crash, takes it again once the lease lapses).
    public func claimPartnerDelivery(partnerID: String, stream: String, now: Date, lease: Duration, owner: String) async throws -> PartnerDelivery? {
        let until = now.addingTimeInterval(Double(lease.components.seconds)).millis
        return try await transaction { db in
            guard
                let first = try await db.select().columns("seq", "due_at").from("partner_deliveries")
                    .where("partner_id", .equal, partnerID).where("stream", .equal, stream).where("state", .equal, "pending")
                    .orderBy("seq").limit(1).first(),
                try first.decode(column: "due_at", as: Int64.self) <= now.millis
            else { return nil }
            let sequence = try first.decode(column: "seq", as: Int64.self)
            try await db.update("partner_deliveries").set("claim", to: owner).set("due_at", to: until)
                .where("partner_id", .equal, partnerID).where("stream", .equal, stream).where("seq", .equal, sequence)
                .where("state", .equal, "pending").where("due_at", .lessThanOrEqual, now.millis).run()
            guard
                let row = try await db.select().columns("type", "body", "attempts").from("partner_deliveries")
                    .where("partner_id", .equal, partnerID).where("stream", .equal, stream).where("seq", .equal, sequence)
                    .where("claim", .equal, owner).where("due_at", .equal, until).first()
            else { return nil }
            return PartnerDelivery(
                partnerID: partnerID,
                stream: stream,
                sequence: sequence,
                type: try row.decode(column: "type", as: String.self),
                body: try row.decode(column: "body", as: String.self),
                attempts: try row.decode(column: "attempts", as: Int.self)
            )
        }
    }

    /// Records an attempt: `delivered`, `dead` (given up), or still `pending` until `retryAt`.
    public func settlePartnerDelivery(_ delivery: PartnerDelivery, state: String, retryAt: Date? = nil, problem: String?, at now: Date) async throws {
        try await withSQL { db in
            var update = db.update("partner_deliveries").set("state", to: state).set("claim", to: SQLLiteral.null)
                .set(SQLColumn("attempts"), to: SQLRaw("attempts + 1"))
            if let retryAt { update = update.set("due_at", to: retryAt.millis) }
            if state == "delivered" { update = update.set("delivered_at", to: now.millis) }
            if let problem { update = update.set("problem", to: String(problem.prefix(500))) }
            try await update.where("partner_id", .equal, delivery.partnerID).where("stream", .equal, delivery.stream)
                .where("seq", .equal, delivery.sequence).where("state", .equal, "pending").run()
        }
    }

    /// A partner's deliveries, newest first (`state`: only those).
    public func partnerDeliveries(of partnerID: String, state: String?, limit: Int) async throws -> [PartnerDelivery] {
        try await withSQL { db in
            var query = db.select().columns("stream", "seq", "type", "body", "state", "attempts", "problem").from("partner_deliveries")
                .where("partner_id", .equal, partnerID)
            if let state { query = query.where("state", .equal, state) }
            return try await query.orderBy("due_at", .descending).orderBy("seq", .descending).limit(limit).all().map { row in
                PartnerDelivery(
                    partnerID: partnerID,
                    stream: try row.decode(column: "stream", as: String.self),
                    sequence: try row.decode(column: "seq", as: Int64.self),
                    type: try row.decode(column: "type", as: String.self),
                    body: try row.decode(column: "body", as: String.self),
                    state: try row.decode(column: "state", as: String.self),
                    attempts: try row.decode(column: "attempts", as: Int.self),
                    problem: try row.decodeNil(column: "problem") ? nil : try row.decode(column: "problem", as: String.self)
                )
            }
        }
    }

    /// Removes deliveries delivered before `before` (dead ones stay, for a replay). Returns how many.
    @discardableResult
    public func prunePartnerDeliveries(deliveredBefore before: Date) async throws -> Int {
        try await withSQL { db in
            let count =
                try await db.select().column(SQLRaw("COUNT(*)"), as: "n").from("partner_deliveries").where("state", .equal, "delivered")
                .where("delivered_at", .lessThan, before.millis).first()?.decode(column: "n", as: Int.self) ?? 0
            try await db.delete(from: "partner_deliveries").where("state", .equal, "delivered").where("delivered_at", .lessThan, before.millis).run()
            return count
        }
    }

    /// Sends a partner's dead deliveries again (pending, attempts from zero, due now). Returns how many.
    public func replayPartnerDeliveries(of partnerID: String, at now: Date) async throws -> Int {
        try await transaction { db in
            let count =
                try await db.select().column(SQLRaw("COUNT(*)"), as: "n").from("partner_deliveries").where("partner_id", .equal, partnerID)
                .where("state", .equal, "dead").first()?.decode(column: "n", as: Int.self) ?? 0
            try await db.update("partner_deliveries").set("state", to: "pending").set("attempts", to: 0).set("due_at", to: now.millis)
                .set("problem", to: SQLLiteral.null).where("partner_id", .equal, partnerID).where("state", .equal, "dead").run()
            return count
        }
    }
}

extension Schema {
    /// Migration 19: a partner's request format, so the commentary hook is one of them.
    @Sendable static func addPartnerFormats(_ db: any SQLDatabase, _ d: SchemaDialect) async throws {
        try await db.alter(table: "partners").column("format", type: .text, .notNull, .default("event")).run()
    }

    /// Migration 17: partners and the outbox of their webhooks (docs/webhooks.md).
    @Sendable static func createPartners(_ db: any SQLDatabase, _ d: SchemaDialect) async throws {
        try await db.create(table: "partners")
            .column("id", type: .text, .primaryKey(autoIncrement: false), .notNull)
            .column("name", type: .text, .notNull)
            .column("url", type: .text, .notNull)
            .column("secret", type: .text, .notNull)
            .column("events", type: .text, .notNull)
            .column("created_at", type: .bigint, .notNull)
            .column("disabled", type: d.boolean, .notNull, .default(false))
            .run()
        try await db.create(table: "partner_deliveries")
            .column("partner_id", type: .text, .notNull, .references("partners", "id", onDelete: .cascade))
            .column("stream", type: .text, .notNull)
            .column("seq", type: .bigint, .notNull)
            .column("type", type: .text, .notNull)
            .column("body", type: .text, .notNull)
            .column("state", type: .text, .notNull)
            .column("attempts", type: .int, .notNull, .default(0))
            .column("due_at", type: .bigint, .notNull)
            .column("claim", type: .text)
            .column("delivered_at", type: .bigint)
            .column("problem", type: .text)
            .primaryKey("partner_id", "stream", "seq")
            .run()
        try await db.create(index: "idx_partner_deliveries_due").on("partner_deliveries").column("state").column("due_at").run()
        // No partner existed before this migration: the feed starts at the log's head instead of
        // reading the whole log once after an upgrade.
        try await db.raw(
            """
            INSERT INTO consumer_positions (consumer, stream, position, updated_at)
            SELECT 'hook.partners', stream, last_seq, \(d.now) FROM event_streams
            """
        ).run()
    }
}
