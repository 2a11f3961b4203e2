import Crypto
import DojoDomain
public import Foundation
import SQLKit
import Synchronization

/// What an export holds (`manifest.json`): the schema it was taken at, and per table its columns,
/// its row count and a checksum of its rows that does not depend on the backend or the row order.
public struct ExportManifest: Sendable, Codable, Equatable {
    public struct Table: Sendable, Codable, Equatable {
        public var name: String
        public var columns: [ColumnShape]
        public var rows: Int
        public var sha256: String
    }

    public static let formatName = "dojopool-export"
    public var format = ExportManifest.formatName
    public var formatVersion = 1
    /// The last migration applied to the exported database.
    public var schemaVersion: Int
    public var backend: String
    public var exportedAt: String
    /// Parents before the tables that refer to them.
    public var tables: [Table]
}

/// Why an export, an import or a copy stopped.
public struct TransferError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Export, import and copy of a whole database (docs/operations.md): every table and the event
/// log, as NDJSON (one JSON array per row, in the manifest's column order), read in one snapshot
/// so the server can keep running; verified by row counts, checksums and the streams' last
/// sequences.
public enum DataTransfer {
    /// Exports every table of `storage` into `directory` (created; it must be empty).
    public static func export(_ storage: any Storage, to directory: URL) async throws -> ExportManifest {
        let files = FileManager.default
        if let existing = try? files.contentsOfDirectory(atPath: directory.path), !existing.isEmpty {
            throw TransferError("\(directory.path) is not empty: export into a new or empty directory")
        }
        try files.createDirectory(at: directory, withIntermediateDirectories: true)
        let manifest = try await scan(storage) { table in
            let url = directory.appendingPathComponent(table.name + ".ndjson")
            guard files.createFile(atPath: url.path, contents: nil) else { throw TransferError("cannot write \(url.path)") }
            return try LineWriter(url: url)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try encoder.encode(manifest).write(to: directory.appendingPathComponent("manifest.json"))
        return manifest
    }

    /// The manifest `storage` would export now (counts and checksums; nothing is written).
    public static func checksums(_ storage: any Storage) async throws -> ExportManifest {
        try await scan(storage) { _ in nil }
    }

    /// Imports an export into `storage` (migrated first to the export's schema). Refuses a target
    /// that holds users or events unless `force`, which deletes what it holds. All in one
    /// transaction; then the target is checked against the manifest.
    @discardableResult
    public static func `import`(_ directory: URL, into storage: any Storage, force: Bool) async throws -> ExportManifest {
        let manifest = try readManifest(directory)
        let version = try await schemaVersion(storage)
        guard version == manifest.schemaVersion else {
            throw TransferError("the export is at schema \(manifest.schemaVersion), the target at \(version): use the dojopool of that export")
        }
        let backend = storage.backend
        try await storage.transaction { db in
            let targets = try await Self.tables(db, backend: backend)
            let held = try await Self.count(db, "users") + Self.count(db, "events")
            guard held == 0 || force else {
                throw TransferError("the target holds \(held) users and events: import into an empty database, or pass --force to replace them")
            }
            for table in targets.reversed() { try await db.delete(from: table.name).run() }
            let byName = Dictionary(uniqueKeysWithValues: targets.map { ($0.name, $0) })
            for table in manifest.tables {
                guard let target = byName[table.name] else { throw TransferError("the target has no table \(table.name)") }
                try await insert(table, from: directory.appendingPathComponent(table.name + ".ndjson"), into: target, db: db, backend: backend)
            }
        }
        try await verify(storage, against: manifest)
        return manifest
    }

    /// Checks `storage` against a manifest: the same tables with the same row counts and
    /// checksums, and every stream's last sequence that of its last event.
    public static func verify(_ storage: any Storage, against manifest: ExportManifest) async throws {
        let found = try await checksums(storage)
        let now = Dictionary(uniqueKeysWithValues: found.tables.map { ($0.name, $0) })
        var problems: [String] = []
        for table in manifest.tables {
            guard let other = now[table.name] else {
                problems.append("\(table.name): missing")
                continue
            }
            if other.rows != table.rows {
                problems.append("\(table.name): \(other.rows) rows, expected \(table.rows)")
            } else if other.sha256 != table.sha256 {
                problems.append("\(table.name): checksum differs")
            }
        }
        for table in found.tables where table.rows > 0 && !manifest.tables.contains(where: { $0.name == table.name }) {
            problems.append("\(table.name): \(table.rows) rows the export does not have")
        }
        let streams = try await storage.withSQL { db in
            try await db.raw(
                """
                SELECT COUNT(*) AS n FROM event_streams s
                WHERE s.last_seq <> COALESCE((SELECT MAX(e.seq) FROM events e WHERE e.stream = s.stream), 0)
                """
            ).first()?.decode(column: "n", as: Int.self) ?? 0
        }
        if streams > 0 { problems.append("\(streams) streams whose last sequence is not their last event's") }
        guard problems.isEmpty else { throw TransferError("the target does not match the export: " + problems.joined(separator: "; ")) }
    }

    /// Reads and checks an export's manifest.
    public static func readManifest(_ directory: URL) throws -> ExportManifest {
        let data: Data
        do { data = try Data(contentsOf: directory.appendingPathComponent("manifest.json")) } catch {
            throw TransferError("\(directory.path) has no manifest.json: not an export")
        }
        let manifest = try JSONDecoder().decode(ExportManifest.self, from: data)
        guard manifest.format == ExportManifest.formatName, manifest.formatVersion == 1 else {
            throw TransferError("\(directory.path) is not a dojopool export of format 1")
        }
        return manifest
    }

    /// The last migration applied.
    static func schemaVersion(_ storage: any Storage) async throws -> Int {
        try await storage.withSQL { db in
            try await db.raw("SELECT MAX(version) AS v FROM schema_migrations").first()?.decode(column: "v", as: Int?.self) ?? 0
        }
    }

    private static func count(_ db: any SQLDatabase, _ table: String) async throws -> Int {
        try await db.select().column(SQLRaw("COUNT(*)"), as: "n").from(table).first()?.decode(column: "n", as: Int.self) ?? 0
    }

    // MARK: Reading

    /// Reads every table in one snapshot: each row goes to the table's writer (when there is one)
    /// and into its checksum.
    private static func scan(_ storage: any Storage, writer: @escaping @Sendable (TableShape) throws -> LineWriter?) async throws -> ExportManifest {
        let backend = storage.backend
        let version = try await schemaVersion(storage)
        let tables = try await storage.withSQL { db in
            try await db.raw(SQLQueryString(backend == .postgres ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" : "BEGIN")).run()
            do {
                var tables: [ExportManifest.Table] = []
                for table in try await Self.tables(db, backend: backend) {
                    let out = try writer(table)
                    let digests = Mutex<[SHA256.Digest]>([])
                    let failure = Mutex<(any Error)?>(nil)
                    try await db.execute(sql: selectAll(table, backend: backend)) { row in
                        do {
                            let cells = try table.columns.indices.map { try Cell.read(row, "c\($0)", table.columns[$0].kind, backend: backend) }
                            try out?.write(Cell.line(cells))
                            let digest = SHA256.hash(data: Data(Cell.canonical(cells, table.columns.map(\.kind)).utf8))
                            digests.withLock { $0.append(digest) }
                        } catch {
                            failure.withLock { $0 = $0 ?? error }
                        }
                    }
                    if let error = failure.withLock({ $0 }) { throw error }
                    try out?.close()
                    let sorted = digests.withLock { $0 }.map { Data($0) }.sorted { $0.lexicographicallyPrecedes($1) }
                    var whole = SHA256()
                    for digest in sorted { whole.update(data: digest) }
                    tables.append(
                        ExportManifest.Table(
                            name: table.name,
                            columns: table.columns,
                            rows: sorted.count,
                            sha256: whole.finalize().map { String(format: "%02x", $0) }.joined()
                        )
                    )
                }
                try await db.raw("COMMIT").run()
                return tables
            } catch {
                await Task { try? await db.raw("ROLLBACK").run() }.value
                throw error
            }
        }
        return ExportManifest(
            schemaVersion: version,
            backend: backend.rawValue,
            exportedAt: Date().formatted(.iso8601),
            tables: tables
        )
    }

    /// Every column of a table as text (or null), named `c0`, `c1`, …
    private static func selectAll(_ table: TableShape, backend: StorageBackend) -> SQLQueryString {
        let expressions = table.columns.enumerated().map { index, column -> String in
            let name = "\"" + column.name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
            let text: String
            switch (backend, column.kind) {
            case (.postgres, .timestamp): text = "to_char(\(name) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
            case (.postgres, .bytes): text = "translate(encode(\(name), 'base64'), E'\\n', '')"
            case (.postgres, _): text = "\(name)::text"
            case (_, .bytes): text = "hex(\(name))"
            case (_, .text): text = name
            case (_, _): text = "CAST(\(name) AS TEXT)"
            }
            return "\(text) AS c\(index)"
        }
        let quoted = "\"" + table.name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        return SQLQueryString("SELECT \(unsafeRaw: expressions.joined(separator: ", ")) FROM \(unsafeRaw: quoted)")
    }

    // MARK: Writing

    private static func insert(
        _ table: ExportManifest.Table,
        from file: URL,
        into target: TableShape,
        db: any SQLDatabase,
        backend: StorageBackend
    )
        async throws
    {
        let kinds = Dictionary(uniqueKeysWithValues: target.columns.map { ($0.name, $0.kind) })
        for column in table.columns where kinds[column.name] == nil {
            throw TransferError("\(table.name).\(column.name) is not in the target's schema")
        }
        guard let text = try? String(contentsOf: file, encoding: .utf8) else { throw TransferError("cannot read \(file.path)") }
        var rows: [[any SQLExpression]] = []
        var read = 0
        func flush() async throws {
            guard !rows.isEmpty else { return }
            var insert = db.insert(into: table.name).columns(table.columns.map(\.name))
            for row in rows { insert = insert.values(row) }
            try await insert.run()
            rows.removeAll(keepingCapacity: true)
        }
        let decoder = JSONDecoder()
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            guard let values = try? decoder.decode([Cell.Exported].self, from: Data(line.utf8)), values.count == table.columns.count else {
                throw TransferError("\(file.lastPathComponent), line \(read + 1): not a row of \(table.columns.count) values")
            }
            rows.append(
                try zip(values, table.columns).map { value, column in
                    try Cell.parse(value, as: column.kind).bind(from: column.kind, to: kinds[column.name]!, backend: backend)
                }
            )
            read += 1
            if rows.count == 200 { try await flush() }
        }
        try await flush()
        guard read == table.rows else { throw TransferError("\(file.lastPathComponent) has \(read) rows, the manifest says \(table.rows)") }
    }
}

/// One value of a row, as read from either backend.
enum Cell: Equatable {
    case null, text(String), integer(Int64), boolean(Bool), double(Double), bytes(Data)

    static func read(_ row: any SQLRow, _ column: String, _ kind: ColumnKind, backend: StorageBackend) throws -> Cell {
        if try row.decodeNil(column: column) { return .null }
        let text = try row.decode(column: column, as: String.self)
        switch kind {
        case .integer:
            guard let value = Int64(text) else { throw TransferError("not an integer: \(text)") }
            return .integer(value)
        case .boolean: return .boolean(["t", "true", "1"].contains(text.lowercased()))
        case .double:
            guard let value = Double(text) else { throw TransferError("not a number: \(text)") }
            return .double(value)
        case .bytes:
            // Base64 from Postgres, hex from SQLite (the select asks for these).
            if backend == .postgres {
                guard let data = Data(base64Encoded: text) else { throw TransferError("not base64: \(text.prefix(20))") }
                return .bytes(data)
            }
            return .bytes(Self.hexData(text))
        case .text, .timestamp, .json: return .text(text)
        }
    }

    /// A row of the NDJSON file.
    static func line(_ cells: [Cell]) -> String {
        var writer = JSONWriter(capacity: 256)
        writer.beginArray()
        for cell in cells {
            switch cell {
            case .null: writer.raw(Array("null".utf8))
            case .text(let value): writer.string(value)
            case .integer(let value): writer.int(value)
            case .boolean(let value): writer.bool(value)
            case .double(let value): writer.double(value)
            case .bytes(let value): writer.string(value.base64EncodedString())
            }
        }
        writer.endArray()
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    /// The row as both backends agree on it: instants to the millisecond in UTC, JSON with sorted
    /// keys and no spaces (on SQLite both are text: they are recognised by their shape).
    static func canonical(_ cells: [Cell], _ kinds: [ColumnKind]) -> String {
        zip(cells, kinds).map { cell, kind in
            switch cell {
            case .null: return "n"
            case .integer(let value): return "i\(value)"
            case .boolean(let value): return value ? "b1" : "b0"
            case .double(let value): return "d\(value)"
            case .bytes(let value): return "x" + value.base64EncodedString()
            case .text(let value):
                if let instant = Self.instant(value) { return "t" + instant }
                if kind == .json || value.hasPrefix("{") || value.hasPrefix("["), let json = Self.json(value) { return "j" + json }
                return "s" + value
            }
        }
        .joined(separator: "\u{1F}")
    }

    /// A value of an exported row as JSON has it (JSONDecoder: it reads doubles exactly).
    enum Exported: Decodable {
        case null, boolean(Bool), integer(Int64), double(Double), text(String)

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() {
                self = .null
            } else if let value = try? container.decode(Bool.self) {
                self = .boolean(value)
            } else if let value = try? container.decode(Int64.self) {
                self = .integer(value)
            } else if let value = try? container.decode(Double.self) {
                self = .double(value)
            } else {
                self = .text(try container.decode(String.self))
            }
        }
    }

    /// An exported value read back as its column's kind says.
    static func parse(_ value: Exported, as kind: ColumnKind) throws -> Cell {
        switch (value, kind) {
        case (.null, _): return .null
        case (.text(let text), .bytes):
            guard let data = Data(base64Encoded: text) else { throw TransferError("not base64: \(text.prefix(20))") }
            return .bytes(data)
        case (.text(let text), .text), (.text(let text), .timestamp), (.text(let text), .json): return .text(text)
        case (.boolean(let flag), .boolean): return .boolean(flag)
        case (.integer(let number), .boolean): return .boolean(number != 0)
        case (.integer(let number), .integer): return .integer(number)
        case (.integer(let number), .double): return .double(Double(number))
        case (.double(let number), .double): return .double(number)
        default: throw TransferError("a value that is not a \(kind.rawValue): \(value)")
        }
    }

    /// The value to insert for a cell into a column of `target` kind (`source` is the kind it was
    /// exported as).
    func bind(from source: ColumnKind, to target: ColumnKind, backend: StorageBackend) throws -> any SQLExpression {
        switch (self, target) {
        case (.null, _): return SQLLiteral.null
        case (.integer(let value), .integer): return SQLBind(value)
        case (.integer(let value), .double): return SQLBind(Double(value))
        case (.integer(let value), .boolean): return SQLBind(value != 0)
        case (.integer(let value), .text): return SQLBind(String(value))
        case (.boolean(let value), .boolean): return SQLBind(value)
        case (.boolean(let value), .integer): return SQLBind(value ? 1 : 0)
        case (.double(let value), .double): return SQLBind(value)
        case (.bytes(let value), .bytes): return SQLBind(value)
        case (.text(let value), .timestamp): return SQLQueryString("CAST(\(bind: value) AS TIMESTAMPTZ)")
        case (.text(let value), .json): return SQLQueryString("CAST(\(bind: value) AS JSONB)")
        case (.text(let value), .text):
            // An instant from Postgres becomes SQLite's text instant (to the millisecond).
            if source == .timestamp, backend == .sqlite, let instant = Self.instant(value) { return SQLBind(instant) }
            return SQLBind(value)
        default: throw TransferError("a \(source.rawValue) value does not fit a \(target.rawValue) column")
        }
    }

    /// `YYYY-MM-DDTHH:MM:SS[.f…]Z` as `YYYY-MM-DDTHH:MM:SS.mmmZ`; nil for any other text.
    static func instant(_ text: String) -> String? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, bytes.count <= 30, bytes.last == UInt8(ascii: "Z"), bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
            bytes[10] == UInt8(ascii: "T"), bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":")
        else { return nil }
        let digits: Set<Int> = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18]
        for index in digits where !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { return nil }
        var fraction = ""
        if bytes.count > 20 {
            guard bytes[19] == UInt8(ascii: "."), bytes[20..<(bytes.count - 1)].allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) })
            else { return nil }
            fraction = String(decoding: bytes[20..<(bytes.count - 1)], as: UTF8.self)
        } else if bytes.count != 20 {
            return nil
        }
        let milliseconds = (fraction + "000").prefix(3)
        return String(decoding: bytes[0..<19], as: UTF8.self) + "." + milliseconds + "Z"
    }

    /// JSON text with sorted keys and no spaces; nil when it is not JSON.
    static func json(_ text: String) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]),
            let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes, .fragmentsAllowed])
        else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    static func hexData(_ text: String) -> Data {
        var data = Data(capacity: text.utf8.count / 2)
        var high: UInt8?
        for byte in text.utf8 {
            let nibble: UInt8 = byte <= UInt8(ascii: "9") ? byte - UInt8(ascii: "0") : (byte | 0x20) - UInt8(ascii: "a") + 10
            if let first = high {
                data.append(first << 4 | nibble)
                high = nil
            } else {
                high = nibble
            }
        }
        return data
    }
}

/// Appends lines to a file (the export's tables), buffered.
final class LineWriter: @unchecked Sendable {
    private let handle: FileHandle
    private var buffer = Data()

    init(url: URL) throws { handle = try FileHandle(forWritingTo: url) }

    func write(_ line: String) throws {
        buffer.append(contentsOf: line.utf8)
        buffer.append(0x0A)
        if buffer.count > 1 << 20 { try flush() }
    }

    func close() throws {
        try flush()
        try handle.close()
    }

    private func flush() throws {
        try handle.write(contentsOf: buffer)
        buffer.removeAll(keepingCapacity: true)
    }
}
