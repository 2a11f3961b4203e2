public import DojoDomain
import Foundation

/// The automatic referee's corpus: 300 shots simulated by pooltool-billiards with their true
/// events (`Tests/Fixtures/referee-corpus.ndjson.gz`, made by `scripts/referee-corpus.py`).
public enum RefereeCorpus {
    /// The corpus, read once (through `gzip -dc`).
    public static let shots: [ShotCorpus.Shot] = {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Tests/Fixtures/referee-corpus.ndjson.gz").path
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        gzip.arguments = ["gzip", "-dc", path]
        let pipe = Pipe()
        gzip.standardOutput = pipe
        do {
            try gzip.run()
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            gzip.waitUntilExit()
            return try ShotCorpus(ndjson: data).shots
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
