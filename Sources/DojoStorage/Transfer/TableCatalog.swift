import Foundation
import SQLKit

/// What a column holds, as export and import see it (docs/operations.md, "Backup, restore and
/// moving to Postgres"). On SQLite, instants and JSON are `TEXT`: they read as `text`, and the
/// checksums recognise them by their shape.
public enum ColumnKind: String, Sendable, Codable {
    case text, integer, boolean, timestamp, json, bytes, double

    /// The kind of a column declared as `type` on `backend`.
    static func of(_ type: String, backend: StorageBackend) -> ColumnKind {
        let type = type.lowercased()
        if backend == .postgres {
            switch type {
            case "bigint", "integer", "smallint": return .integer
            case "boolean": return .boolean
            case "timestamp with time zone", "timestamp without time zone": return .timestamp
            case "jsonb", "json": return .json
            case "bytea": return .bytes
            case "double precision", "real", "numeric": return .double
            default: return .text
            }
        }
        if type.contains("int") { return .integer }
        if type.contains("bool") { return .boolean }
        if type.contains("blob") { return .bytes }
        if type.contains("real") || type.contains("doub") || type.contains("floa") { return .double }
        return .text
    }
}

/// A column and its kind.
public struct ColumnShape: Sendable, Codable, Equatable {
    public var name: String
    public var kind: ColumnKind
}

/// A table of the database: its columns in order and the tables its foreign keys point at.
public struct TableShape: Sendable, Equatable {
    public var name: String
    public var columns: [ColumnShape]
    public var references: Set<String>
}

extension DataTransfer {
    /// The tables of the database (the migrations' bookkeeping excepted), parents before the
    /// tables that refer to them, so rows can be inserted in this order.
    static func tables(_ db: any SQLDatabase, backend: StorageBackend) async throws -> [TableShape] {
        var shapes: [TableShape] = []
        if backend == .postgres {
            let names = try await db.raw(
                """
                SELECT table_name::text AS name FROM information_schema.tables
                WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'
                """
            ).all().map { try $0.decode(column: "name", as: String.self) }
            let columns = try await db.raw(
                """
                SELECT table_name::text AS t, column_name::text AS c, data_type::text AS type FROM information_schema.columns
                WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position
                """
            ).all()
            let references = try await db.raw(
                """
                SELECT tc.table_name::text AS t, ccu.table_name::text AS r FROM information_schema.table_constraints tc
                JOIN information_schema.constraint_column_usage ccu
                  ON ccu.constraint_name = tc.constraint_name AND ccu.constraint_schema = tc.constraint_schema
                WHERE tc.constraint_type = 'FOREIGN KEY' AND tc.table_schema = current_schema()
                """
            ).all()
            for name in names {
                let own = try columns.filter { try $0.decode(column: "t", as: String.self) == name }.map { row in
                    ColumnShape(
                        name: try row.decode(column: "c", as: String.self),
                        kind: .of(try row.decode(column: "type", as: String.self), backend: backend)
                    )
                }
                let parents = try references.filter { try $0.decode(column: "t", as: String.self) == name }.map {
                    try $0.decode(column: "r", as: String.self)
                }
                shapes.append(TableShape(name: name, columns: own, references: Set(parents)))
            }
        } else {
            let names = try await db.raw("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY rowid").all()
                .map { try $0.decode(column: "name", as: String.self) }
            for name in names {
                let quoted = "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
                let own = try await db.raw(SQLQueryString("PRAGMA table_info(\(unsafeRaw: quoted))")).all().map { row in
                    ColumnShape(
                        name: try row.decode(column: "name", as: String.self),
                        kind: .of(try row.decode(column: "type", as: String.self), backend: backend)
                    )
                }
                let parents = try await db.raw(SQLQueryString("PRAGMA foreign_key_list(\(unsafeRaw: quoted))")).all()
                    .map { try $0.decode(column: "table", as: String.self) }
                shapes.append(TableShape(name: name, columns: own, references: Set(parents)))
            }
        }
        return Self.parentsFirst(shapes.filter { $0.name != "schema_migrations" })
    }

    /// Orders tables so that every table comes after the tables it refers to (a table referring to
    /// itself, or a cycle, keeps its place among the rest).
    static func parentsFirst(_ tables: [TableShape]) -> [TableShape] {
        let byName = Dictionary(uniqueKeysWithValues: tables.map { ($0.name, $0) })
        var placed: [TableShape] = []
        var done = Set<String>()
        var visiting = Set<String>()
        func place(_ table: TableShape) {
            guard !done.contains(table.name), !visiting.contains(table.name) else { return }
            visiting.insert(table.name)
            for parent in table.references.sorted() where parent != table.name {
                if let shape = byName[parent] { place(shape) }
            }
            visiting.remove(table.name)
            done.insert(table.name)
            placed.append(table)
        }
        for table in tables.sorted(by: { $0.name < $1.name }) { place(table) }
        return placed
    }
}
