public import Foundation
import SQLKit

/// A command scheduled for an entity at a time (`timers`): kept in storage, delivered at least
/// once after restarts (the runtime's timer loop), idempotent by its id.
public struct TimerRecord: Sendable, Equatable {
    public var id: String
    /// The entity's stream, `kind:id`.
    public var stream: String
    /// The command object, as the kind's registration decodes it.
    public var command: String
    /// Milliseconds since 1970.
    public var dueAt: Int64
    public var attempts: Int

    public init(id: String, stream: String, command: String, dueAt: Int64, attempts: Int = 0) {
        self.id = id
        self.stream = stream
        self.command = command
        self.dueAt = dueAt
        self.attempts = attempts
    }
}

extension Storage {
    /// Schedules a timer; a timer with this id already scheduled is kept as it is.
    public func scheduleTimer(_ timer: TimerRecord, at now: Date) async throws {
        try await withSQL { db in
            try await db.insert(into: "timers")
                .columns("id", "stream", "command", "due_at", "attempts", "created_at")
                .values([SQLBind(timer.id), SQLBind(timer.stream), SQLBind(timer.command), SQLBind(timer.dueAt), SQLBind(0), SQLBind(now.millis)])
                .ignoringConflicts(with: ["id"])
                .run()
        }
    }

    /// Leases up to `limit` timers due at `now` that no live lease holds, for `lease` (so two
    /// nodes do not deliver one timer at once; an expired lease — a node that died — frees it).
    public func leaseDueTimers(now: Date, lease: Duration, owner: String, limit: Int) async throws -> [TimerRecord] {
        let millis = now.millis
        let until = millis + Int64(lease.components.seconds) * 1_000 + Int64(lease.components.attoseconds / 1_000_000_000_000_000)
        return try await transaction { db in
            let due = try await db.select().column("id").from("timers")
                .where("due_at", .lessThanOrEqual, millis)
                .where { $0.where("lease_until", .is, SQLLiteral.null).orWhere("lease_until", .lessThan, millis) }
                .orderBy("due_at").limit(limit).all()
                .map { try $0.decode(column: "id", as: String.self) }
            guard !due.isEmpty else { return [] }
            try await db.update("timers")
                .set("lease_owner", to: owner).set("lease_until", to: until)
                .set(SQLColumn("attempts"), to: SQLRaw("attempts + 1"))
                .where("id", .in, due)
                .where { $0.where("lease_until", .is, SQLLiteral.null).orWhere("lease_until", .lessThan, millis) }
                .run()
            return try await db.select().columns("id", "stream", "command", "due_at", "attempts").from("timers")
                .where("lease_owner", .equal, owner).where("lease_until", .equal, until).where("id", .in, due)
                .orderBy("due_at").all()
                .map(TimerRecord.init(row:))
        }
    }

    /// Cancels a timer that has not been delivered; true when there was one.
    @discardableResult
    public func cancelTimer(_ id: String) async throws -> Bool {
        try await withSQL { db in
            let found = try await db.select().column("id").from("timers").where("id", .equal, id).first() != nil
            try await db.delete(from: "timers").where("id", .equal, id).run()
            return found
        }
    }

    /// Removes a delivered timer.
    public func completeTimer(_ id: String) async throws {
        try await withSQL { db in try await db.delete(from: "timers").where("id", .equal, id).run() }
    }

    /// The timers of a stream, soonest first (admin, tests).
    public func timers(of stream: String) async throws -> [TimerRecord] {
        try await withSQL { db in
            try await db.select().columns("id", "stream", "command", "due_at", "attempts").from("timers").where("stream", .equal, stream).orderBy(
                "due_at"
            ).all()
                .map(TimerRecord.init(row:))
        }
    }
}

extension TimerRecord {
    fileprivate init(row: any SQLRow) throws {
        self.init(
            id: try row.decode(column: "id", as: String.self),
            stream: try row.decode(column: "stream", as: String.self),
            command: try row.decode(column: "command", as: String.self),
            dueAt: try row.decode(column: "due_at", as: Int64.self),
            attempts: try row.decode(column: "attempts", as: Int.self)
        )
    }
}

extension Date {
    var millis: Int64 { Int64((timeIntervalSince1970 * 1000).rounded(.down)) }
}
