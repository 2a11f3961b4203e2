import DojoDomain
import DojoRuntime
import DojoTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import DojoAPI
@testable import DojoServer

/// The spectator pages: their own CSP and files, and the match page in a real browser
/// (`scripts/watch-check.py`: Debian's chromium driven by Playwright, installed by
/// `scripts/deps.sh --services`). In CI a missing browser is a failure, not a skip.
@Suite("Spectator pages")
struct WatchPageTests {
    @Test("the pages and their files: HTML, scripts and styles from this origin only under the pages' CSP; the API keeps its own")
    func pagesAndPolicy() async throws {
        try await withGateway { h in
            let page = try await h.client.execute(uri: "/watch/match/m1", method: .get) { $0 }
            #expect(page.status == .ok && page.headers[.contentType]?.hasPrefix("text/html") == true)
            let policy = page.headers[HTTPField.Name("Content-Security-Policy")!] ?? ""
            #expect(policy.contains("script-src 'self'") && !policy.contains("unsafe-inline") && policy.contains("frame-ancestors 'none'"))
            let html = String(buffer: page.body)
            #expect(html.contains(#"<script defer src="/watch/assets/match.js"></script>"#) && !html.contains("<script>"))
            #expect(try await h.client.execute(uri: "/watch/tournament/t1", method: .get) { $0.status } == .ok)
            #expect(try await h.client.execute(uri: "/watch/venue/v1", method: .get) { $0.status } == .ok)
            for asset in ["match.js", "index.js", "tournament.js", "venue.js", "live.js", "watch.css"] {
                #expect(try await h.client.execute(uri: "/watch/assets/\(asset)", method: .get) { $0.status } == .ok)
            }
            #expect(try await h.client.execute(uri: "/watch/assets/../../etc/passwd", method: .get) { $0.status } == .notFound)
            // A Host header cannot write into the policy.
            #expect(!SecurityHeadersMiddleware.pagePolicy(host: "evil; script-src *").contains("evil"))
            #expect(
                SecurityHeadersMiddleware.pagePolicy(host: "127.0.0.1:8080").contains("connect-src 'self' ws://127.0.0.1:8080 wss://127.0.0.1:8080")
            )
            let api = try await h.client.execute(uri: "/v1/matches/m1", method: .get) { $0 }
            #expect(api.headers[HTTPField.Name("Content-Security-Policy")!] == "default-src 'none'; frame-ancestors 'none'")
            // The index's data.
            await h.server.runtime.drainConsumers()
            let (status, list) = try await h.call(.get, "/v1/matches?status=SCHEDULED,LIVE", as: "bob")
            #expect(status == .ok && (list["matches"] as? [[String: Any]])?.first?["id"] as? String == "m1")
            #expect(try await h.call(.get, "/v1/matches?status=LOST", as: "bob").0 == .badRequest)
        }
    }

    @Test(
        "in a real browser: the match page goes live, follows a rack recorded by the scorer, the index lists the match and the tournament, the venue page follows a match on its table, and the tournament page follows its bracket to the champion"
    )
    func inChromium() async throws {
        guard Self.browserAvailable() else { return }
        try await withGateway { h in
            try await h.venueWithTables()
            // A 4-player single elimination, live: its page follows the bracket to the champion.
            try await seedUsers(["w1", "w2", "w3", "w4"], in: h.server.storage)
            let (created, body) = try await h.call(
                .post,
                "/v1/tournaments",
                as: "alice",
                role: "ADMIN",
                ["id": "wt", "name": "Big screen cup", "format": "single_elimination", "raceTo": 1, "seeding": "manual"]
            )
            #expect(created == .created, "\(body)")
            for player in ["w1", "w2", "w3", "w4"] { _ = try await h.call(.post, "/v1/tournaments/wt/registrations", as: player, [:]) }
            #expect(try await h.call(.post, "/v1/tournaments/wt/start", as: "alice", role: "ADMIN", [:]).0 == .ok)
            await h.server.runtime.drainConsumers()
            let script = Self.script()
            // DOJO_WATCH_SCREENSHOTS=docs/screenshots refreshes the pages' pictures in the docs.
            let screenshots = ProcessInfo.processInfo.environment["DOJO_WATCH_SCREENSHOTS"].map { ["--screenshots", $0] } ?? []
            let (status, output) = try await Self.run(
                "/usr/bin/env",
                [
                    "python3", script, "--url", "http://127.0.0.1:\(h.port)", "--match", "m1", "--key", "ws-test-service-key-0123456789abcdef0",
                    "--scorer", "alice", "--tournament", "wt", "--director", "alice", "--venue", "v1",
                ] + screenshots
            )
            #expect(status == 0, "\(output)")
        }
    }

    @Test(
        "in a real browser: each shot's ruling with its rule and the rack's commentary show within a second; the server killed with -9 and started again, the page comes back by itself and resumes where it was"
    )
    func shotsAndRestart() async throws {
        guard Self.browserAvailable() else { return }
        try await withFreshStorage(.sqlite) { storage, _ in
            try await seedUsers(["alice", "bob"], in: storage)
            var environment = try await CrashTests.serverEnvironment(storage: storage, backend: .sqlite)
            let first = try await ServerChild.start(environment: environment)
            let client = Client(port: first.port, key: CrashTests.serviceKey)
            let created = try await client.post(
                "/v1/matches",
                user: "alice",
                ["id": "ws1", "playerA": "alice", "playerB": "bob", "gameType": "9-ball", "raceTo": 5]
            )
            #expect(created.status == 201, "\(created.json)")
            // The restarted server listens where the page reconnects: the first one's port.
            environment["DOJO_HTTP_PORT"] = String(first.port)
            let screenshots = ProcessInfo.processInfo.environment["DOJO_WATCH_SCREENSHOTS"].map { ["--screenshots", $0] } ?? []
            let script = Self.script()
            let checking = Task {
                try await Self.run(
                    "/usr/bin/env",
                    [
                        "python3", script, "--url", "http://127.0.0.1:\(first.port)", "--shots", "ws1", "--key", CrashTests.serviceKey,
                        "--scorer", "alice", "--kill-pid", String(first.child.pid),
                    ] + screenshots
                )
            }
            // The check kills the server; should it end first, the server is killed here, so the
            // wait below always ends.
            let ended = Task {
                _ = try? await checking.value
                first.kill9()
            }
            _ = await first.child.exitStatus()
            let second = try await ServerChild.start(environment: environment)
            defer { second.stop() }
            #expect(second.port == first.port)
            let (status, output) = try await checking.value
            await ended.value
            #expect(status == 0, "\(output)")
        }
    }

    /// Whether Debian's chromium is here; in CI its absence is a failure.
    static func browserAvailable() -> Bool {
        let chromium = ProcessInfo.processInfo.environment["CHROMIUM"] ?? "/usr/bin/chromium"
        guard FileManager.default.isExecutableFile(atPath: chromium) else {
            if ProcessInfo.processInfo.environment["CI"] == "true" {
                Issue.record("no browser at \(chromium): scripts/deps.sh --services installs it")
            }
            return false
        }
        return true
    }

    /// `scripts/watch-check.py` in this checkout.
    static func script() -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("scripts/watch-check.py").path
    }

    /// Runs a program to its end; its status and what it wrote (both streams, to a file).
    static func run(_ program: String, _ arguments: [String]) async throws -> (Int32, String) {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("watch-check-\(UUID().uuidString).log").path
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let process = try SpawnedProcess.start(program, arguments, standardOutput: log, standardError: log)
        let status = await process.exitStatus()
        return (status, (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
    }

}
