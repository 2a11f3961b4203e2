public import Foundation
public import Logging
public import SQLKit
public import ServiceLifecycle

/// Which database a `Storage` runs on.
public enum StorageBackend: String, Sendable, CaseIterable {
    /// An embedded SQLite file (the default; one node).
    case sqlite
    /// PostgreSQL (production; several nodes).
    case postgres
}

/// The durable storage of the platform: schema migrations, the actor event log, snapshots and the
/// records tables. One protocol, two adapters (`PostgresStorage`, `SQLiteStorage`), one contract suite.
///
/// A storage is a `Service`: run it in the service group before anything that uses it; it closes its
/// connections when the group shuts down.
public protocol Storage: Service {
    /// The backend.
    var backend: StorageBackend { get }

    /// Applies the pending migrations (safe to call from several nodes at once) and returns those it applied.
    func migrate(logger: Logger) async throws -> [Migration.Descriptor]

    /// The migrations already applied, in order.
    func appliedMigrations() async throws -> [Migration.Descriptor]

    /// Appends a batch of requests in one transaction (group commit).
    ///
    /// Each request is conditional on its expected sequence; a request that conflicts fails alone with
    /// ``StorageError/Code/conflict`` and writes nothing, the others are written. A batch with an
    /// invalid request (``AppendRequest/validate()``) or naming a stream twice is refused whole with
    /// `invalid_request`. Returns one result per request, in order, once the transaction is durable;
    /// throws if the batch as a whole could not be written.
    func append(_ batch: [AppendRequest], at now: Date) async throws -> [Result<AppendResult, StorageError>]

    /// Events of `stream` with sequence greater than `sequence`, in order, at most `limit`.
    func readEvents(stream: String, after sequence: Int64, limit: Int) async throws -> [RecordedEvent]

    /// The stream's last sequence number (0 when it has no events).
    func lastSequence(of stream: String) async throws -> Int64

    /// Stores `snapshot` unless a snapshot at a higher sequence is already stored.
    func saveSnapshot(_ snapshot: Snapshot) async throws

    /// The stream's latest snapshot, if any.
    func loadSnapshot(stream: String) async throws -> Snapshot?

    /// Throws unless the database answers a trivial query now (readiness).
    func checkReachable() async throws

    /// Runs `body` with an SQLKit database for the records tables (repositories, projections).
    func withSQL<Result: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> Result) async throws -> Result
}
