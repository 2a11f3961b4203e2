import Crypto
import Foundation
import SQLKit

/// The legacy platform's database, as Prisma laid out the seed's schema: a table per model named
/// after it (`"User"`, `"ClanMember"`), camelCase columns, on Postgres or SQLite. Opened as a
/// ``Storage`` without migrating it (nothing is written to it), read a table at a time with every
/// column as text, so Postgres enums, JSONB, timestamps and SQLite's loose types read alike.
public struct LegacySource: Sendable {
    let storage: any Storage

    /// Reads through `storage`, which must not be migrated (it is the legacy database).
    public init(storage: any Storage) { self.storage = storage }

    /// One table, read whole: its rows in id order and the checksum of what was read.
    public struct Table: Sendable {
        public var name: String
        public var rows: [LegacyRow]
        /// SHA-256 over the rows in id order, each column (in the order asked) as its text or a
        /// null marker: the same source gives the same checksum on any backend.
        public var checksum: String
    }

    /// Whether the database has `table`.
    public func hasTable(_ table: String) async throws -> Bool {
        do {
            try await storage.withSQL { db in _ = try await db.raw("SELECT 1 FROM \(ident: table) LIMIT 1").all() }
            return true
        } catch {
            return false
        }
    }

    /// The rows of `table` with `columns` (every one as text, nil for NULL), in id order.
    public func read(_ table: String, columns: [String]) async throws -> Table {
        var select = SQLQueryString("SELECT ")
        for (index, column) in columns.enumerated() {
            if index > 0 { select.appendLiteral(", ") }
            select.appendInterpolation(unsafeRaw: "CAST(")
            select.appendInterpolation(ident: column)
            select.appendInterpolation(unsafeRaw: " AS TEXT) AS ")
            select.appendInterpolation(ident: column)
        }
        select.appendInterpolation(unsafeRaw: " FROM ")
        select.appendInterpolation(ident: table)
        select.appendInterpolation(unsafeRaw: " ORDER BY ")
        select.appendInterpolation(ident: "id")
        let query = select
        let rows = try await storage.withSQL { db in
            try await db.raw(query).all().map { row in
                var values: [String: String] = [:]
                for column in columns {
                    if let value = try row.decodeNil(column: column) ? nil : row.decode(column: column, as: String.self) { values[column] = value }
                }
                return LegacyRow(values: values)
            }
        }
        var hash = SHA256()
        for row in rows {
            for column in columns {
                if let value = row[column] {
                    hash.update(data: Data(value.utf8))
                    hash.update(data: Data([0x1F]))
                } else {
                    hash.update(data: Data([0x00, 0x1F]))
                }
            }
            hash.update(data: Data([0x1E]))
        }
        return Table(name: table, rows: rows, checksum: hash.finalize().map { String(format: "%02x", $0) }.joined())
    }
}

/// A legacy row: its columns as text (absent: NULL).
public struct LegacyRow: Sendable, Equatable {
    public var values: [String: String]

    public init(values: [String: String]) { self.values = values }

    public subscript(column: String) -> String? { values[column] }

    /// The row's id ("" when it has none: such a row is refused).
    public var id: String { values["id"] ?? "" }
}
