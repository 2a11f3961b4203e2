public import DojoDomain
import Foundation

/// The automatic referee's corpus: 300 shots simulated by pooltool-billiards with their true
/// events (`Tests/Fixtures/referee-corpus.ndjson.gz`, made by `scripts/referee-corpus.py`).
public enum RefereeCorpus {
    /// The corpus, read once (through `gzip -dc`).
    public static let shots: [ShotCorpus.Shot] = {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Tests/Fixtures/referee-corpus.ndjson.gz").path
        // gzip writes to a file (not a pipe): read once it has exited.
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("referee-corpus-\(UUID().uuidString).ndjson").path
        do {
            let gzip = try SpawnedProcess.start("/usr/bin/env", ["gzip", "-dc", path], standardOutput: output, standardError: "/dev/null")
            _ = gzip.waitUntilExit()
            defer { try? FileManager.default.removeItem(atPath: output) }
            return try ShotCorpus(ndjson: try Data(contentsOf: URL(fileURLWithPath: output))).shots
        } catch {
            fatalError("the referee's corpus at \(path) cannot be read: \(error)")
        }
    }()

    /// A shot of the corpus by id.
    public static func shot(_ id: String) -> ShotCorpus.Shot {
        guard let shot = shots.first(where: { $0.id == id }) else { fatalError("no shot \(id) in the corpus") }
        return shot
    }
}
