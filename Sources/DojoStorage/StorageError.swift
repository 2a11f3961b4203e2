/// An error from the storage layer, with a stable code for the edges to map.
///
/// `description` never carries SQL, binds or connection strings.
public struct StorageError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Stable, bounded error codes (also used as metric labels).
    public enum Code: String, Sendable, Equatable {
        /// An append's expected sequence number did not match the stream: a stale writer. Nothing was written.
        case conflict
        /// The database could not be reached or the operation failed for a reason outside the caller's control.
        case unavailable
        /// The request itself is invalid (empty batch, negative sequence, payload that is not JSON, …).
        case invalidRequest = "invalid_request"
        /// The writer is shutting down and takes no new appends.
        case shuttingDown = "shutting_down"
        /// A schema migration failed or the database's schema is newer than this binary knows.
        case migration
    }

    /// The code.
    public var code: Code
    /// A human-readable message without internals.
    public var message: String
    /// The stream concerned, if any.
    public var stream: String?
    /// For conflicts: the sequence the caller expected.
    public var expectedSequence: Int64?
    /// For conflicts: the stream's sequence in storage when the append was refused (when known).
    public var actualSequence: Int64?

    /// Creates an error.
    public init(
        _ code: Code,
        _ message: String,
        stream: String? = nil,
        expectedSequence: Int64? = nil,
        actualSequence: Int64? = nil
    ) {
        self.code = code
        self.message = message
        self.stream = stream
        self.expectedSequence = expectedSequence
        self.actualSequence = actualSequence
    }

    /// A conflict for `stream`.
    public static func conflict(stream: String, expected: Int64, actual: Int64?) -> StorageError {
        StorageError(
            .conflict,
            "stream \(stream) is not at sequence \(expected)" + (actual.map { " (it is at \($0))" } ?? ""),
            stream: stream,
            expectedSequence: expected,
            actualSequence: actual
        )
    }

    public var description: String { "StorageError(\(code.rawValue)): \(message)" }
}
