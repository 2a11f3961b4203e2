public import Foundation
public import Logging
import NIOCore
import PostgresKit
public import PostgresNIO
public import SQLKit
import ServiceLifecycle

/// Storage on PostgreSQL through PostgresNIO's connection pool (`PostgresClient`).
///
/// A batch append is one transaction of at most four statements whatever its size: the new streams
/// are claimed with `INSERT … ON CONFLICT DO NOTHING`, the existing ones advanced with a conditional
/// `UPDATE … WHERE last_seq = expected`, and every winner's events inserted at once from `unnest`ed
/// arrays. Under READ COMMITTED a second writer of the same stream waits for the first and then finds
/// the head moved: it gets a conflict, never a duplicate (fencing).
public final class PostgresStorage: Storage {
    public var backend: StorageBackend { .postgres }

    /// The connection pool.
    public let client: PostgresClient
    let logger: Logger

    /// Creates a storage over a new pool; run the storage (a `Service`) for the pool to work.
    public init(configuration: PostgresClient.Configuration, logger: Logger) {
        self.client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.logger = logger
    }

    /// Creates a storage from a `postgres://` URL.
    public convenience init(url: String, logger: Logger) throws {
        self.init(configuration: try PostgresURL.configuration(from: url), logger: logger)
    }

    /// Runs the connection pool until graceful shutdown.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await self.client.run()
        }
    }

    public func migrate(logger: Logger) async throws -> [Migration.Descriptor] {
        try await mapErrors(timeout: nil) { [self] in
            try await client.withConnection { connection in
                try await Migrator.migrate(connection.sql(), dialect: SchemaDialect(backend: .postgres), logger: logger)
            }
        }
    }

    public func appliedMigrations() async throws -> [Migration.Descriptor] {
        try await mapErrors { [self] in
            try await client.withConnection { connection in
                try await Migrator.applied(connection.sql(), dialect: SchemaDialect(backend: .postgres))
            }
        }
    }

    public func append(_ batch: [AppendRequest], at now: Date) async throws -> [Result<AppendResult, StorageError>] {
        try batch.validateBatch()
        let fresh = batch.filter { $0.expectedSequence == 0 }
        let existing = batch.filter { $0.expectedSequence > 0 }
        return try await mapErrors { [self] in
            try await client.withTransaction(logger: logger) { connection in
                var claimed = Set<String>()
                if !fresh.isEmpty {
                    let streams = fresh.map(\.stream)
                    let heads = fresh.map { $0.expectedSequence + Int64($0.events.count) }
                    let rows = try await connection.query(
                        """
                        INSERT INTO event_streams (stream, last_seq, updated_at)
                        SELECT s, n, \(now) FROM unnest(\(streams)::text[], \(heads)::int8[]) AS v(s, n)
                        ON CONFLICT (stream) DO NOTHING RETURNING stream
                        """,
                        logger: logger
                    )
                    for try await stream in rows.decode(String.self) { claimed.insert(stream) }
                }
                if !existing.isEmpty {
                    let streams = existing.map(\.stream)
                    let expected = existing.map(\.expectedSequence)
                    let heads = existing.map { $0.expectedSequence + Int64($0.events.count) }
                    let rows = try await connection.query(
                        """
                        UPDATE event_streams AS e SET last_seq = v.n, updated_at = \(now)
                        FROM unnest(\(streams)::text[], \(expected)::int8[], \(heads)::int8[]) AS v(s, x, n)
                        WHERE e.stream = v.s AND e.last_seq = v.x RETURNING e.stream
                        """,
                        logger: logger
                    )
                    for try await stream in rows.decode(String.self) { claimed.insert(stream) }
                }

                var streams: [String] = []
                var sequences: [Int64] = []
                var types: [String] = []
                var payloads: [String] = []
                for request in batch where claimed.contains(request.stream) {
                    for (offset, event) in request.events.enumerated() {
                        streams.append(request.stream)
                        sequences.append(request.expectedSequence + 1 + Int64(offset))
                        types.append(event.type)
                        payloads.append(event.payload)
                    }
                }
                if !streams.isEmpty {
                    try await connection.query(
                        """
                        INSERT INTO events (stream, seq, type, payload, recorded_at)
                        SELECT s, q, t, p::jsonb, \(now)
                        FROM unnest(\(streams)::text[], \(sequences)::int8[], \(types)::text[], \(payloads)::text[]) AS v(s, q, t, p)
                        """,
                        logger: logger
                    )
                }

                var actual: [String: Int64] = [:]
                let losers = batch.map(\.stream).filter { !claimed.contains($0) }
                if !losers.isEmpty {
                    let rows = try await connection.query(
                        "SELECT stream, last_seq FROM event_streams WHERE stream = ANY(\(losers)::text[])",
                        logger: logger
                    )
                    for try await (stream, head) in rows.decode((String, Int64).self) { actual[stream] = head }
                }
                return batch.map { request in
                    guard claimed.contains(request.stream) else {
                        return .failure(.conflict(stream: request.stream, expected: request.expectedSequence, actual: actual[request.stream] ?? 0))
                    }
                    return .success(
                        AppendResult(
                            stream: request.stream,
                            firstSequence: request.expectedSequence + 1,
                            lastSequence: request.expectedSequence + Int64(request.events.count)
                        )
                    )
                }
            }
        }
    }

    public func readEvents(stream: String, after sequence: Int64, limit: Int) async throws -> [RecordedEvent] {
        try await mapErrors { [self] in
            let rows = try await client.query(
                """
                SELECT seq, type, payload::text, recorded_at FROM events
                WHERE stream = \(stream) AND seq > \(sequence) ORDER BY seq LIMIT \(Int64(limit))
                """,
                logger: logger
            )
            var events: [RecordedEvent] = []
            for try await (seq, type, payload, recordedAt) in rows.decode((Int64, String, String, Date).self) {
                events.append(RecordedEvent(stream: stream, sequence: seq, type: type, payload: payload, recordedAt: recordedAt))
            }
            return events
        }
    }

    public func lastSequence(of stream: String) async throws -> Int64 {
        try await mapErrors { [self] in
            let rows = try await client.query("SELECT last_seq FROM event_streams WHERE stream = \(stream)", logger: logger)
            for try await head in rows.decode(Int64.self) { return head }
            return 0
        }
    }

    public func saveSnapshot(_ snapshot: Snapshot) async throws {
        try await mapErrors { [self] in
            try await client.query(
                """
                INSERT INTO snapshots (stream, seq, format_version, state, taken_at)
                VALUES (\(snapshot.stream), \(snapshot.sequence), \(Int32(snapshot.formatVersion)), \(ByteBuffer(bytes: snapshot.state)), \(snapshot.takenAt))
                ON CONFLICT (stream) DO UPDATE SET seq = EXCLUDED.seq, format_version = EXCLUDED.format_version,
                    state = EXCLUDED.state, taken_at = EXCLUDED.taken_at
                WHERE snapshots.seq <= EXCLUDED.seq
                """,
                logger: logger
            )
        }
    }

    public func loadSnapshot(stream: String) async throws -> Snapshot? {
        try await mapErrors { [self] in
            let rows = try await client.query(
                "SELECT seq, format_version, state, taken_at FROM snapshots WHERE stream = \(stream)",
                logger: logger
            )
            for try await (seq, version, state, takenAt) in rows.decode((Int64, Int32, ByteBuffer, Date).self) {
                return Snapshot(stream: stream, sequence: seq, formatVersion: Int(version), state: Array(buffer: state), takenAt: takenAt)
            }
            return nil
        }
    }

    public func checkReachable() async throws {
        try await mapErrors { [self] in try await client.query("SELECT 1", logger: logger) }
    }

    public func withSQL<Result: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> Result) async throws -> Result {
        try await mapErrors { [self] in
            try await client.withConnection { connection in try await body(connection.sql()) }
        }
    }

    /// The longest any one operation may take (migrations excepted). A connection the network
    /// half-closed can leave a query waiting for an answer that never comes; past this the caller
    /// gets `unavailable` and the server's loops and shutdown go on (the stuck query is cancelled
    /// and left to end with its connection).
    static let operationTimeout: Duration = .seconds(30)

    /// Maps driver errors to `StorageError.unavailable` (logged in full, returned without internals),
    /// and bounds the operation by ``operationTimeout`` (nil: unbounded, for migrations).
    @discardableResult
    private func mapErrors<T: Sendable>(
        timeout: Duration? = PostgresStorage.operationTimeout,
        _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        do {
            if let timeout { return try await withTimeout(timeout, body) }
            return try await body()
        } catch is TimeoutError {
            logger.error("postgres operation timed out", metadata: ["timeout": "\(timeout ?? .zero)"])
            throw StorageError(.unavailable, "the Postgres database did not answer in time")
        } catch let error as StorageError {
            throw error
        } catch let error as TransferError {
            throw error  // an import's own refusal, not the database's
        } catch let error as PSQLError {
            logger.error("postgres operation failed", metadata: ["error": "\(String(reflecting: error))"])
            let state = error.serverInfo?[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
            throw StorageError(.unavailable, "the Postgres database failed: \(error.code)\(state)")
        } catch {
            logger.error("postgres operation failed", metadata: ["error": "\(String(reflecting: error))"])
            throw StorageError(.unavailable, "the Postgres database failed")
        }
    }
}
