public import DojoStorage
public import Foundation
import SQLKit

/// A legacy platform's database for tests: the schema Prisma writes for the seed's data model
/// (`Tests/Fixtures/legacy/prisma-<provider>.sql`), and rows written as Prisma stores them
/// (Postgres: `TIMESTAMP(3)` text, enums, JSONB; SQLite: milliseconds since 1970, text enums).
/// Postgres checks foreign keys and enums, so its dirty rows are written with the triggers off
/// (`session_replication_role = replica`), as a dump restored without them would be; on SQLite
/// (which checks no enum) with `foreign_keys` off, as Prisma's SQLite databases commonly run.
public struct LegacyFixture: Sendable {
    public let storage: any Storage

    public init(storage: any Storage) { self.storage = storage }

    var postgres: Bool { storage.backend == .postgres }

    /// Creates the legacy schema in the empty database.
    public func createSchema() async throws {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Tests/Fixtures/legacy/prisma-\(postgres ? "postgresql" : "sqlite").sql")
        let ddl = try String(contentsOf: file, encoding: .utf8)
        let statements = ddl.split(separator: "\n").filter { !$0.hasPrefix("--") }.joined(separator: "\n")
            .components(separatedBy: ";\n").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
        try await storage.withSQL { db in
            for statement in statements {
                try await db.raw(SQLQueryString(statement.hasSuffix(";") ? String(statement.dropLast()) : statement)).run()
            }
        }
    }

    /// A value of a row: text, a number, a boolean, a time, JSON, or NULL.
    public enum Value: Sendable {
        case text(String)
        case number(Double)
        case bool(Bool)
        case time(Date)
        case json(String)
        case null
    }

    /// Inserts rows into a legacy table; keys are the camelCase columns.
    public func insert(_ table: String, _ rows: [[String: Value]]) async throws {
        let postgres = self.postgres
        var statements: [String] = []
        for row in rows {
            let columns = row.keys.sorted()
            let values = columns.map { column in Self.literal(row[column]!, postgres: postgres) }
            statements.append(
                "INSERT INTO \"\(table)\" (\(columns.map { "\"\($0)\"" }.joined(separator: ", "))) VALUES (\(values.joined(separator: ", ")))"
            )
        }
        let all = statements
        try await storage.withSQL { db in
            // One connection: the triggers (foreign keys) stay off for these rows only.
            try await db.raw(postgres ? "SET session_replication_role = replica" : "PRAGMA foreign_keys = OFF").run()
            for statement in all { try await db.raw(SQLQueryString(statement)).run() }
            try await db.raw(postgres ? "SET session_replication_role = DEFAULT" : "PRAGMA foreign_keys = ON").run()
        }
    }

    static func literal(_ value: Value, postgres: Bool) -> String {
        switch value {
        case .text(let text), .json(let text): return "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
        case .number(let number): return number.rounded() == number ? String(Int64(number)) : String(number)
        case .bool(let flag): return postgres ? (flag ? "TRUE" : "FALSE") : (flag ? "1" : "0")
        case .null: return "NULL"
        case .time(let date):
            let milliseconds = Int64((date.timeIntervalSince1970 * 1_000).rounded())
            if !postgres { return String(milliseconds) }
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "UTC")
            formatter.dateFormat = "yyyy-MM-dd HH:mm:ss.SSS"
            return "'" + formatter.string(from: date) + "'"
        }
    }
}
