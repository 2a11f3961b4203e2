/// What the legacy import did, table by table: rows read, written, found imported by an earlier
/// run, skipped (and why, with the first ids of each reason), what was changed on the way in, and
/// the checksum of the rows read (the same source gives the same checksum).
public struct LegacyImportReport: Sendable, Codable, Equatable {
    public struct Table: Sendable, Codable, Equatable {
        public var name: String
        public var read = 0
        public var written = 0
        public var alreadyImported = 0
        public var skipped = 0
        /// Why rows were skipped: a reason and how many.
        public var skippedBecause: [String: Int] = [:]
        /// The first ids skipped for each reason (at most five).
        public var examples: [String: [String]] = [:]
        /// What was changed on rows that were written (a field dropped or filled), and how often.
        public var notes: [String: Int] = [:]
        public var checksum = ""

        public init(name: String) { self.name = name }

        mutating func skip(_ id: String, _ reason: String) {
            skipped += 1
            skippedBecause[reason, default: 0] += 1
            if examples[reason, default: []].count < 5 { examples[reason, default: []].append(id) }
        }

        mutating func note(_ change: String) { notes[change, default: 0] += 1 }

        mutating func count(_ outcome: LegacyImporter.Outcome, _ id: String) {
            switch outcome {
            case .written: written += 1
            case .already: alreadyImported += 1
            case .refused(let reason): skip(id, reason)
            }
        }
    }

    public var tables: [Table] = []

    public init() {}

    /// The table's report.
    public func table(_ name: String) -> Table? { tables.first { $0.name == name } }

    /// One line per table.
    public var summary: String {
        tables.map { table in
            var line = "\(table.name): read \(table.read), written \(table.written), already \(table.alreadyImported), skipped \(table.skipped)"
            if !table.skippedBecause.isEmpty {
                line += " (" + table.skippedBecause.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: "; ") + ")"
            }
            return line + " sha256 \(table.checksum.prefix(16))"
        }.joined(separator: "\n")
    }
}
