public import Foundation
import SQLKit

/// Where a consumer of the log stands on one stream.
public struct StreamLag: Sendable, Equatable {
    public var stream: String
    /// The stream's head.
    public var lastSequence: Int64
    /// The last sequence the consumer has processed (0 for none).
    public var position: Int64

    public init(stream: String, lastSequence: Int64, position: Int64) {
        self.stream = stream
        self.lastSequence = lastSequence
        self.position = position
    }
}

extension Storage {
    /// The stored positions of `consumer` on `streams` (absent: never processed).
    public func consumerPositions(consumer: String, streams: [String]) async throws -> [String: Int64] {
        guard !streams.isEmpty else { return [:] }
        return try await withSQL { db in
            var positions: [String: Int64] = [:]
            for chunk in streams.chunked(500) {
                let rows = try await db.select()
                    .columns("stream", "position")
                    .from("consumer_positions")
                    .where("consumer", .equal, consumer)
                    .where("stream", .in, Array(chunk))
                    .all()
                for row in rows {
                    positions[try row.decode(column: "stream", as: String.self)] = try row.decode(column: "position", as: Int64.self)
                }
            }
            return positions
        }
    }

    /// Records positions; a stored position only moves forward.
    public func saveConsumerPositions(consumer: String, _ positions: [String: Int64], at now: Date) async throws {
        guard !positions.isEmpty else { return }
        let dialect = SchemaDialect(backend: backend)
        let entries = positions.sorted { $0.key < $1.key }
        try await withSQL { db in
            for chunk in entries.chunked(200) {
                var insert = db.insert(into: "consumer_positions").columns("consumer", "stream", "position", "updated_at")
                for (stream, position) in chunk {
                    insert = insert.values([SQLBind(consumer), SQLBind(stream), SQLBind(position), dialect.bind(now)])
                }
                try await insert
                    .onConflict(with: ["consumer", "stream"]) { update in
                        update
                            .set(excludedValueOf: "position")
                            .set(excludedValueOf: "updated_at")
                            .where(SQLColumn("position", table: "consumer_positions"), .lessThan, SQLExcludedColumn("position"))
                    }
                    .run()
            }
        }
    }

    /// Streams whose name starts with `prefix` that have events `consumer` has not processed.
    public func streamsBehind(consumer: String, prefix: String, limit: Int) async throws -> [StreamLag] {
        try await withSQL { db in
            let rows = try await db.raw(
                """
                SELECT s.stream AS stream, s.last_seq AS last_seq, COALESCE(c.position, 0) AS position
                FROM event_streams s
                LEFT JOIN consumer_positions c ON c.consumer = \(bind: consumer) AND c.stream = s.stream
                WHERE s.stream LIKE \(bind: prefix + "%") AND s.last_seq > COALESCE(c.position, 0)
                ORDER BY s.stream
                LIMIT \(literal: limit)
                """
            ).all()
            return try rows.map {
                StreamLag(
                    stream: try $0.decode(column: "stream", as: String.self),
                    lastSequence: try $0.decode(column: "last_seq", as: Int64.self),
                    position: try $0.decode(column: "position", as: Int64.self)
                )
            }
        }
    }
}

extension Array {
    func chunked(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
