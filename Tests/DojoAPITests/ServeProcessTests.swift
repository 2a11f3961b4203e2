import DojoTesting
import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The real binary: start, serve, and stop gracefully on SIGTERM with exit code 0.
@Suite("dojopool serve")
struct ServeProcessTests {
    @Test("serves on its own SQLite default, then SIGTERM stops it with exit code 0")
    func gracefulShutdown() async throws {
        let directory = try TestServices.temporaryDirectory()
        let child = try DojoPoolExecutable.start(
            ["serve", "--port", "0", "--config", FileManager.default.currentDirectoryPath + "/Config/dojopool.json"],
            directory: directory
        )

        var port: Int?
        for _ in 0..<100 where port == nil {
            try await Task.sleep(for: .milliseconds(100))
            let text = child.standardError
            if let range = text.range(of: #"http.address=127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                port = Int(text[range].split(separator: ":").last!)
            }
        }
        let listening = try #require(port, "the server did not report its address")
        let (data, response) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(listening)/readyz")!)
        #expect((response as? HTTPURLResponse)?.statusCode == 200, "\(String(decoding: data, as: UTF8.self))")
        // The embedded default: a SQLite file under ./data/ of the working directory.
        #expect(FileManager.default.fileExists(atPath: directory + "/data/dojopool.sqlite"))
        // The container's HEALTHCHECK: 0 while it serves, 1 for a path that is not 200, 1 where
        // nothing listens.
        #expect(try await DojoPoolExecutable.run(["healthcheck", "--port", "\(listening)"]).status == 0)
        #expect(try await DojoPoolExecutable.run(["healthcheck", "--port", "\(listening)", "--path", "/nowhere"]).status == 1)
        #expect(try await DojoPoolExecutable.run(["healthcheck", "--port", "1"]).status == 1)

        child.signal(SIGTERM)
        #expect(await child.exitStatus() == 0)
        #expect(child.standardError.contains("dojopool stopped"))
    }
}
