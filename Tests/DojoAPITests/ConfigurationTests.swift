import Configuration
import DojoAPI
import DojoStorage
import DojoTesting
import Foundation
import Logging
import Testing

@testable import DojoServer

@Suite("Configuration")
struct ConfigurationTests {
    func load(flags: [String: String] = [:], file: String? = nil, env: [String: String] = [:]) async throws -> ServerConfiguration {
        try ServerConfiguration(reader: try await ServerConfiguration.makeReader(flags: flags, configFile: file, environment: env))
    }

    @Test("nothing given: the documented defaults, which Config/dojopool.json repeats")
    func defaults() async throws {
        let empty = try TestServices.temporaryDirectory() + "/empty.json"
        try Data("{}".utf8).write(to: URL(fileURLWithPath: empty))
        let configuration = try await load(file: empty)
        #expect(configuration == ServerConfiguration())
        #expect(configuration.storageBackend == .sqlite)
        #expect(configuration.host == "127.0.0.1" && configuration.port == 8080)
        // The shipped file documents exactly the defaults.
        #expect(try await load(file: "Config/dojopool.json") == ServerConfiguration())
    }

    @Test("flags > environment > file > defaults")
    func precedence() async throws {
        let file = try TestServices.temporaryDirectory() + "/dojo.json"
        try Data(#"{"http": {"port": 9001, "host": "0.0.0.0"}, "log": {"level": "debug"}, "storage": {"batch": {"max": 7}}}"#.utf8)
            .write(to: URL(fileURLWithPath: file))
        let fromFile = try await load(file: file)
        #expect(fromFile.port == 9001 && fromFile.host == "0.0.0.0" && fromFile.logLevel == .debug && fromFile.maximumBatch == 7)

        let fromEnv = try await load(
            file: file,
            env: ["DOJO_HTTP_PORT": "9002", "DOJO_LOG_LEVEL": "ERROR", "DOJO_REDIS_URL": "redis://127.0.0.1:6390/2"]
        )
        #expect(fromEnv.port == 9002 && fromEnv.host == "0.0.0.0" && fromEnv.logLevel == .error)
        #expect(fromEnv.redisURL == "redis://127.0.0.1:6390/2")

        let fromFlags = try await load(flags: ["http.port": "9003"], file: file, env: ["DOJO_HTTP_PORT": "9002"])
        #expect(fromFlags.port == 9003)

        let postgres = try await load(file: file, env: ["DOJO_DATABASE_URL": "postgres://u:p@db.local:5433/dojo?sslmode=disable"])
        #expect(postgres.storageBackend == .postgres)
    }

    @Test(
        "a bad value names its key and its variable",
        arguments: [
            ("DOJO_HTTP_PORT", "abc", "http.port"),
            ("DOJO_HTTP_PORT", "70000", "http.port"),
            ("DOJO_HTTP_PORT", "-1", "http.port"),
            ("DOJO_HTTP_HOST", "", "http.host"),
            ("DOJO_LOG_LEVEL", "loud", "log.level"),
            ("DOJO_DATABASE_URL", "mysql://u:p@h/db", "database.url"),
            ("DOJO_DATABASE_URL", "postgres://u@/db", "database.url"),
            ("DOJO_DATABASE_URL", "postgres://u@h:5432/", "database.url"),
            ("DOJO_DATABASE_URL", "postgres://u@h/db?sslmode=bogus", "database.url"),
            ("DOJO_DATABASE_URL", "not a url at all", "database.url"),
            ("DOJO_REDIS_URL", "http://h:6379", "redis.url"),
            ("DOJO_REDIS_URL", "redis://h:6379/99", "redis.url"),
            ("DOJO_DATABASE_MIGRATE", "maybe", "database.migrate"),
            ("DOJO_DATABASE_SQLITE_PATH", "", "database.sqlite.path"),
            ("DOJO_STORAGE_BATCH_MAX", "0", "storage.batch.max"),
            ("DOJO_STORAGE_QUEUE_MAX", "lots", "storage.queue.max"),
            ("DOJO_STORAGE_BATCH_TIMEOUT_MS", "5", "storage.batch.timeout.ms"),
            ("DOJO_STORAGE_BATCH_CONCURRENCY", "0", "storage.batch.concurrency"),
            ("DOJO_READINESS_TIMEOUT_MS", "1", "readiness.timeout.ms"),
            ("DOJO_REFEREE_VISION_THRESHOLD_PERCENT", "101", "referee.vision.threshold.percent"),
        ]
    )
    func badValue(_ variable: String, _ value: String, _ key: String) async throws {
        let error = await #expect(throws: ConfigurationError.self) {
            try await self.load(file: "Config/dojopool.json", env: [variable: value])
        }
        #expect(error?.key == key)
        #expect(error?.environmentVariable == variable)
        #expect(error?.description.contains(variable) == true)
    }

    @Test("a secret's value never appears in its error")
    func secretsAreNotEchoed() async throws {
        for (variable, url) in [("DOJO_DATABASE_URL", "mysql://admin:hunter2@db/x"), ("DOJO_REDIS_URL", "rediss://:hunter2@cache:6379")] {
            let error = await #expect(throws: ConfigurationError.self) {
                try await self.load(file: "Config/dojopool.json", env: [variable: url])
            }
            #expect(error?.description.contains("hunter2") == false)
        }
    }

    @Test("dojopool migrate applies the migrations once, then finds nothing to do")
    func migrateCommand() async throws {
        let path = try TestServices.temporaryDirectory() + "/migrate.sqlite"
        let first = try await DojoPoolExecutable.run(["migrate"], environment: ["DOJO_DATABASE_SQLITE_PATH": path])
        #expect(first.status == 0, "stderr: \(first.standardError.prefix(500))")
        #expect(
            first.standardOutput.contains(
                "migrations: applied 1_event_log, 2_records, 3_consumer_positions, 4_refresh_tokens, 5_devices, 6_login_codes, 7_claims, 8_territory_names, 9_timers, 10_challenges, 11_wallet_proofs, 12_tournament_index, 13_ratings, 14_match_player_stats, 15_achievements_catalog, 16_notification_deliveries, 17_partners, 18_shot_frames, 19_partner_formats (sqlite)"
            )
        )
        let second = try await DojoPoolExecutable.run(["migrate"], environment: ["DOJO_DATABASE_SQLITE_PATH": path])
        #expect(second.status == 0, "stderr: \(second.standardError.prefix(500))")
        #expect(second.standardOutput.contains("migrations: up to date (sqlite)"))
    }

    @Test(
        "the binary exits with code 2 and names the key",
        arguments: [
            (["serve", "--port", "abc"], [String: String](), "http.port"),
            (["serve"], ["DOJO_LOG_LEVEL": "loud"], "log.level"),
            (["migrate"], ["DOJO_DATABASE_URL": "postgres://nohost"], "database.url"),
            (["serve", "--config", "/nonexistent/dojo.json"], [String: String](), "config"),
        ]
    )
    func exitCode(_ arguments: [String], _ environment: [String: String], _ key: String) async throws {
        let outcome = try await DojoPoolExecutable.run(arguments, environment: environment)
        #expect(outcome.status == 2)
        #expect(outcome.standardError.contains(key), "stderr: \(outcome.standardError)")
    }
}
