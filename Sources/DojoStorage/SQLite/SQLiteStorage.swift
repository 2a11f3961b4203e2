public import Foundation
public import Logging
import NIOCore
import NIOPosix
public import SQLKit
import SQLiteKit
import SQLiteNIO
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#endif

/// The embedded storage: one SQLite file in WAL mode with `synchronous=FULL`, so a committed batch
/// survives a process crash and a power loss.
///
/// It holds two connections: a writer, used under a lock so that one transaction never interleaves
/// with another statement, and a read-only reader, which (WAL) sees only committed data, so readers
/// never observe a batch that might still roll back. Several processes may share the file: SQLite's
/// own locking serializes writers (`BEGIN IMMEDIATE`, `busy_timeout`).
public final class SQLiteStorage: Storage {
    public var backend: StorageBackend { .sqlite }

    /// The database file.
    public let path: String
    let writer: SQLiteConnection
    let reader: SQLiteConnection
    let writeLock = SerialLock()
    let logger: Logger
    /// The storage's own threads for SQLite's blocking calls (one per connection), so a writer waiting
    /// on a lock held by another process can never starve anything else of a thread.
    let threadPool: NIOThreadPool

    private init(path: String, writer: SQLiteConnection, reader: SQLiteConnection, threadPool: NIOThreadPool, logger: Logger) {
        self.path = path
        self.writer = writer
        self.reader = reader
        self.threadPool = threadPool
        self.logger = logger
    }

    /// Opens (creating if needed, with its folder) the database file at `path`.
    public static func open(path: String, logger: Logger) async throws -> SQLiteStorage {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        let threadPool = NIOThreadPool(numberOfThreads: 2)
        threadPool.start()
        let eventLoop = MultiThreadedEventLoopGroup.singleton.any()
        do {
            let writer = try await SQLiteConnection.open(storage: .file(path: path), threadPool: threadPool, logger: logger, on: eventLoop)
            for pragma in ["PRAGMA journal_mode = WAL", "PRAGMA synchronous = FULL", "PRAGMA foreign_keys = ON", "PRAGMA busy_timeout = 10000"] {
                _ = try await writer.query(pragma)
            }
            let reader = try await SQLiteConnection.open(storage: .file(path: path), threadPool: threadPool, logger: logger, on: eventLoop)
            for pragma in ["PRAGMA foreign_keys = ON", "PRAGMA busy_timeout = 10000", "PRAGMA query_only = 1"] {
                _ = try await reader.query(pragma)
            }
            return SQLiteStorage(path: path, writer: writer, reader: reader, threadPool: threadPool, logger: logger)
        } catch {
            try? await threadPool.shutdownGracefully()
            throw StorageError(.unavailable, "cannot open the SQLite database at \(path): \(error)")
        }
    }

    /// Waits for graceful shutdown, then closes both connections.
    public func run() async throws {
        try? await gracefulShutdown()
        try await close()
    }

    /// Closes both connections (after any transaction in progress) and stops the storage's threads.
    ///
    /// Closing also works from a cancelled task (a command that stops the storage by cancelling it):
    /// it uses sqlite-nio's future-based `close()`, because the async one does nothing once the
    /// calling task is cancelled, and an unclosed connection traps in its deinitializer.
    public func close() async throws {
        let closedNow = try await writeLock.withLock { () -> Bool in
            guard !writer.isClosed else { return false }
            try await writer.close().get()
            if !reader.isClosed { try await reader.close().get() }
            return true
        }
        if closedNow { try await threadPool.shutdownGracefully() }
    }

    public func migrate(logger: Logger) async throws -> [Migration.Descriptor] {
        // Another process may be migrating the same file: its transaction holds the write lock for
        // every pending migration, which on a loaded machine can outlast `busy_timeout`. Starting
        // the migration waits for it (up to two minutes), then finds nothing left to apply.
        let deadline = ContinuousClock.now + .seconds(120)
        while true {
            do {
                return try await writeLock.withLock {
                    try await Migrator.migrate(writer.sql(), dialect: SchemaDialect(backend: .sqlite), logger: logger)
                }
            } catch let error as SQLiteError where error.reason == .busy && ContinuousClock.now < deadline {
                logger.info("migrations: another process holds the database; waiting", metadata: ["error": "\(error)"])
                try await Task.sleep(for: .milliseconds(200))
            }
        }
    }

    public func appliedMigrations() async throws -> [Migration.Descriptor] {
        try await Migrator.applied(reader.sql(), dialect: SchemaDialect(backend: .sqlite))
    }

    public func append(_ batch: [AppendRequest], at now: Date) async throws -> [Result<AppendResult, StorageError>] {
        try batch.validateBatch()
        let timestamp = SQLiteTime.format(now)
        return try await writeLock.withLock {
            try await mapErrors {
                _ = try await writer.query("BEGIN IMMEDIATE")
                do {
                    var results: [Result<AppendResult, StorageError>] = []
                    results.reserveCapacity(batch.count)
                    for request in batch {
                        results.append(try await appendOne(request, timestamp: timestamp))
                    }
                    _ = try await writer.query("COMMIT")
                    return results
                } catch {
                    _ = try? await writer.query("ROLLBACK")
                    throw error
                }
            }
        }
    }

    /// One conditional append inside the batch transaction.
    private func appendOne(_ request: AppendRequest, timestamp: String) async throws -> Result<AppendResult, StorageError> {
        let last = request.expectedSequence + Int64(request.events.count)
        let claimed: [SQLiteRow]
        if request.expectedSequence == 0 {
            claimed = try await writer.query(
                "INSERT INTO event_streams (stream, last_seq, updated_at) VALUES (?, ?, ?) ON CONFLICT (stream) DO NOTHING RETURNING stream",
                [.text(request.stream), .integer(Int(last)), .text(timestamp)]
            )
        } else {
            claimed = try await writer.query(
                "UPDATE event_streams SET last_seq = ?, updated_at = ? WHERE stream = ? AND last_seq = ? RETURNING stream",
                [.integer(Int(last)), .text(timestamp), .text(request.stream), .integer(Int(request.expectedSequence))]
            )
        }
        guard !claimed.isEmpty else {
            let actual = try await writer.query("SELECT last_seq FROM event_streams WHERE stream = ?", [.text(request.stream)])
                .first?.column("last_seq")?.integer
            return .failure(.conflict(stream: request.stream, expected: request.expectedSequence, actual: Int64(actual ?? 0)))
        }
        // Multi-row inserts, well under SQLite's 32,766 bound parameters per statement.
        var sequence = request.expectedSequence
        for chunk in request.events.chunked(into: 500) {
            var binds: [SQLiteData] = []
            binds.reserveCapacity(chunk.count * 5)
            for event in chunk {
                sequence += 1
                binds += [.text(request.stream), .integer(Int(sequence)), .text(event.type), .text(event.payload), .text(timestamp)]
            }
            let rows = Array(repeating: "(?, ?, ?, ?, ?)", count: chunk.count).joined(separator: ", ")
            _ = try await writer.query("INSERT INTO events (stream, seq, type, payload, recorded_at) VALUES \(rows)", binds)
        }
        return .success(AppendResult(stream: request.stream, firstSequence: request.expectedSequence + 1, lastSequence: last))
    }

    public func readEvents(stream: String, after sequence: Int64, limit: Int) async throws -> [RecordedEvent] {
        try await mapErrors {
            try await reader.query(
                "SELECT seq, type, payload, recorded_at FROM events WHERE stream = ? AND seq > ? ORDER BY seq LIMIT ?",
                [.text(stream), .integer(Int(sequence)), .integer(limit)]
            ).map { row in
                guard let seq = row.column("seq")?.integer, let type = row.column("type")?.string,
                    let payload = row.column("payload")?.string, let recorded = row.column("recorded_at")?.string,
                    let recordedAt = SQLiteTime.parse(recorded)
                else { throw StorageError(.unavailable, "malformed event row in stream \(stream)") }
                return RecordedEvent(stream: stream, sequence: Int64(seq), type: type, payload: payload, recordedAt: recordedAt)
            }
        }
    }

    public func lastSequence(of stream: String) async throws -> Int64 {
        try await mapErrors {
            let rows = try await reader.query("SELECT last_seq FROM event_streams WHERE stream = ?", [.text(stream)])
            return Int64(rows.first?.column("last_seq")?.integer ?? 0)
        }
    }

    public func saveSnapshot(_ snapshot: Snapshot) async throws {
        try await writeLock.withLock {
            try await mapErrors {
                _ = try await writer.query(
                    """
                    INSERT INTO snapshots (stream, seq, format_version, state, taken_at) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (stream) DO UPDATE SET seq = excluded.seq, format_version = excluded.format_version,
                        state = excluded.state, taken_at = excluded.taken_at
                    WHERE snapshots.seq <= excluded.seq
                    """,
                    [
                        .text(snapshot.stream), .integer(Int(snapshot.sequence)), .integer(snapshot.formatVersion),
                        .blob(ByteBuffer(bytes: snapshot.state)), .text(SQLiteTime.format(snapshot.takenAt)),
                    ]
                )
            }
        }
    }

    public func loadSnapshot(stream: String) async throws -> Snapshot? {
        try await mapErrors {
            guard
                let row = try await reader.query(
                    "SELECT seq, format_version, state, taken_at FROM snapshots WHERE stream = ?",
                    [.text(stream)]
                ).first
            else { return nil }
            guard let seq = row.column("seq")?.integer, let version = row.column("format_version")?.integer,
                case .blob(let state)? = row.column("state"), let taken = row.column("taken_at")?.string,
                let takenAt = SQLiteTime.parse(taken)
            else { throw StorageError(.unavailable, "malformed snapshot row for \(stream)") }
            return Snapshot(stream: stream, sequence: Int64(seq), formatVersion: version, state: Array(buffer: state), takenAt: takenAt)
        }
    }

    public func checkReachable() async throws {
        try await mapErrors { _ = try await reader.query("SELECT 1") }
    }

    public func withSQL<Result: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> Result) async throws -> Result {
        try await writeLock.withLock { try await body(writer.sql()) }
    }

    /// Maps driver errors to `StorageError.unavailable`; storage errors pass through.
    private func mapErrors<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as StorageError {
            throw error
        } catch {
            logger.error("sqlite operation failed", metadata: ["error": "\(String(reflecting: error))"])
            throw StorageError(.unavailable, "the SQLite database failed: \(error)")
        }
    }
}

/// Instants on SQLite: `YYYY-MM-DDTHH:MM:SS.ffffffZ` (UTC, microseconds), which sorts as text and which
/// SQLite's date functions read. Parsing also accepts fewer fraction digits (SQLite's own `%f` gives three).
enum SQLiteTime {
    static func format(_ date: Date) -> String {
        let micros = Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
        var seconds = time_t(micros.floorDivided(by: 1_000_000))
        let fraction = micros - Int64(seconds) * 1_000_000
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ",
            Int(parts.tm_year) + 1900,
            Int(parts.tm_mon) + 1,
            Int(parts.tm_mday),
            Int(parts.tm_hour),
            Int(parts.tm_min),
            Int(parts.tm_sec),
            Int(fraction)
        )
    }

    static func parse(_ text: String) -> Date? {
        let utf8 = Array(text.utf8)
        guard utf8.count >= 20, utf8.last == UInt8(ascii: "Z") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for byte in utf8[range] {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
            let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19)
        else { return nil }
        var micros = 0
        if utf8.count > 20 {
            guard utf8[19] == UInt8(ascii: "."), utf8.count - 21 <= 6, let digits = number(20..<(utf8.count - 1)) else { return nil }
            micros = digits * Int(pow(10, Double(6 - (utf8.count - 21))))
        }
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month - 1)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(second)
        let seconds = timegm(&parts)
        return Date(timeIntervalSince1970: Double(Int64(seconds) * 1_000_000 + Int64(micros)) / 1_000_000)
    }
}

extension Int64 {
    /// Division rounding toward negative infinity.
    fileprivate func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}

extension Array {
    /// Consecutive slices of at most `size` elements.
    func chunked(into size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
