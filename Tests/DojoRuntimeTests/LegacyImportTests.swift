import DojoDomain
import DojoRuntime
import DojoStorage
import DojoTesting
import Foundation
import SQLKit
import Testing

/// The legacy import (issue 21, part 3) against a database created with the DDL Prisma writes for
/// the seed's schema, filled with generated rows — dirty ones among them — on both backends: what
/// is imported becomes actors with the imported state and records; every dirty row is skipped with
/// its reason; a second run writes nothing; a run over a source that grew finishes the rest.
@Suite("Legacy import", .serialized)
struct LegacyImportTests {
    typealias V = LegacyFixture.Value

    static let base = Date(timeIntervalSince1970: 1_717_236_000)  // 2024-06-01 10:00 UTC
    static func at(_ minutes: Double) -> V { .time(base.addingTimeInterval(minutes * 60)) }

    static func user(_ id: String, email: String? = nil, username: String? = nil, role: String = "USER", minute: Double) -> [String: V] {
        [
            "id": .text(id), "email": .text(email ?? "\(id)@legacy.example"), "username": .text(username ?? "player-\(id)"),
            "passwordHash": .text("$2b$10$abcdefghijklmnopqrstuv"), "role": .text(role), "createdAt": at(minute), "updatedAt": at(minute),
        ]
    }

    /// The first half of the legacy data: players, venues, clans, territories and a match.
    static func fillFirst(_ legacy: LegacyFixture) async throws {
        var users = [
            user("u1", role: "VENUE_ADMIN", minute: 0), user("u2", minute: 1), user("u3", minute: 2), user("u4", minute: 3),
            user("u5", minute: 4), user("u6", minute: 5),
            // Dirty: the same email as u1 in another case, later; a username too short.
            user("u-dup", email: "U1@Legacy.Example", username: "player-again", minute: 10),
            user("u-short", username: "x", minute: 11),
        ]
        // Postgres refuses a value outside the enum even with triggers off; SQLite keeps it.
        if legacy.storage.backend == .sqlite { users.append(user("u-role", role: "SUPERUSER", minute: 12)) }
        try await legacy.insert("User", users)
        try await legacy.insert(
            "Profile",
            [
                [
                    "id": .text("p1"), "userId": .text("u1"), "displayName": .text("Uno"), "bio": .text("Breaks hard."),
                    "avatarUrl": .text("https://img.example/u1.png"), "skillRating": .number(1234), "createdAt": at(0), "updatedAt": at(0),
                ],
                [
                    "id": .text("p2"), "userId": .text("u2"), "displayName": .text("Dos"), "avatarUrl": .text("http://img.example/u2.png"),
                    "skillRating": .number(0), "createdAt": at(1), "updatedAt": at(1),
                ],
                ["id": .text("p-ghost"), "userId": .text("ghost"), "skillRating": .number(0), "createdAt": at(1), "updatedAt": at(1)],
            ]
        )
        try await legacy.insert(
            "UserSettings",
            [
                [
                    "id": .text("s1"), "userId": .text("u1"), "emailNotifications": .bool(false), "pushNotifications": .bool(true),
                    "darkMode": .bool(true), "language": .text("fr"), "timezone": .text("Europe/Paris"),
                    "privacySettings": .json(#"{"profile":"private"}"#), "createdAt": at(0), "updatedAt": at(0),
                ]
            ]
        )
        try await legacy.insert(
            "Venue",
            [
                [
                    "id": .text("v1"), "name": .text("Cue Hall"), "description": .text("Twelve tables"), "lat": .number(51.5), "lng": .number(-0.12),
                    "address": .text("1 Pool Lane"), "ownerId": .text("u1"), "createdAt": at(20), "updatedAt": at(20),
                ],
                [
                    "id": .text("v2"), "name": .text("Side Pocket"), "lat": .number(48.85), "lng": .number(2.35), "ownerId": .text("ghost"),
                    "createdAt": at(21), "updatedAt": at(21),
                ],
            ]
        )
        try await legacy.insert(
            "Table",
            [
                [
                    "id": .text("t1"), "venueId": .text("v1"), "name": .text("One"), "status": .text("AVAILABLE"), "createdAt": at(22),
                    "updatedAt": at(22),
                ],
                [
                    "id": .text("t2"), "venueId": .text("v1"), "name": .text("Two"), "status": .text("MAINTENANCE"), "createdAt": at(23),
                    "updatedAt": at(23),
                ],
                [
                    "id": .text("t9"), "venueId": .text("nowhere"), "name": .text("Lost"), "status": .text("AVAILABLE"), "createdAt": at(23),
                    "updatedAt": at(23),
                ],
            ]
        )
        try await legacy.insert(
            "CheckIn",
            [
                ["id": .text("k1"), "userId": .text("u2"), "venueId": .text("v1"), "via": .text("QR"), "createdAt": at(24)],
                ["id": .text("k2"), "userId": .text("ghost"), "venueId": .text("v1"), "via": .text("GEO"), "createdAt": at(25)],
            ]
        )
        try await legacy.insert(
            "Clan",
            [
                [
                    "id": .text("c1"), "name": .text("Sharks"), "description": .text("We bite"), "leaderId": .text("u1"), "createdAt": at(30),
                    "updatedAt": at(30),
                ],
                // Dirty: the same name in another case and spacing; a leader who does not exist.
                ["id": .text("c2"), "name": .text("  SHARKS "), "leaderId": .text("u4"), "createdAt": at(31), "updatedAt": at(31)],
                ["id": .text("c3"), "name": .text("Ghosts"), "leaderId": .text("ghost"), "createdAt": at(32), "updatedAt": at(32)],
            ]
        )
        try await legacy.insert(
            "ClanMember",
            [
                ["id": .text("cm1"), "clanId": .text("c1"), "userId": .text("u1"), "role": .text("MEMBER"), "joinedAt": at(30)],
                ["id": .text("cm2"), "clanId": .text("c1"), "userId": .text("u2"), "role": .text("OFFICER"), "joinedAt": at(33)],
                ["id": .text("cm3"), "clanId": .text("c1"), "userId": .text("u3"), "role": .text("MEMBER"), "joinedAt": at(34)],
                ["id": .text("cm4"), "clanId": .text("c3"), "userId": .text("u5"), "role": .text("MEMBER"), "joinedAt": at(35)],
            ]
        )
        try await legacy.insert(
            "Territory",
            [
                [
                    "id": .text("tr1"), "venueId": .text("v1"), "ownerId": .text("u2"), "clanId": .text("c1"), "level": .number(3),
                    "defenseScore": .number(4), "createdAt": at(40), "updatedAt": at(41),
                ],
                // Dirty: a second territory at the same venue.
                [
                    "id": .text("tr2"), "venueId": .text("v1"), "level": .number(1), "defenseScore": .number(0), "createdAt": at(42),
                    "updatedAt": at(42),
                ],
                [
                    "id": .text("tr3"), "venueId": .text("v2"), "level": .number(1), "defenseScore": .number(0), "createdAt": at(43),
                    "updatedAt": at(43),
                ],
            ]
        )
        try await legacy.insert(
            "Match",
            [
                [
                    "id": .text("m1"), "venueId": .text("v1"), "tableId": .text("t1"), "playerAId": .text("u1"), "playerBId": .text("u2"),
                    "status": .text("COMPLETED"), "scoreA": .number(1), "scoreB": .number(3), "startedAt": at(50), "endedAt": at(80),
                    "createdAt": at(49), "updatedAt": at(80),
                ]
            ]
        )
        try await legacy.insert(
            "MatchEvent",
            [
                ["id": .text("e1"), "matchId": .text("m1"), "type": .text("COMMENTARY"), "payload": .json(#"{"text":"Off we go"}"#), "ts": at(51)],
                ["id": .text("e2"), "matchId": .text("m1"), "type": .text("SHOT"), "payload": .json(#"{"ball":3}"#), "ts": at(52)],
            ]
        )
    }

    /// The second half: more matches, tournaments and the records.
    static func fillSecond(_ legacy: LegacyFixture) async throws {
        try await legacy.insert(
            "Match",
            [
                [
                    "id": .text("m2"), "playerAId": .text("u3"), "playerBId": .text("u4"), "status": .text("LIVE"), "scoreA": .number(2),
                    "scoreB": .number(1), "startedAt": at(60), "createdAt": at(59), "updatedAt": at(70),
                ],
                [
                    "id": .text("m3"), "playerAId": .text("u5"), "playerBId": .text("u6"), "status": .text("SCHEDULED"), "scoreA": .number(0),
                    "scoreB": .number(0), "createdAt": at(61), "updatedAt": at(61),
                ],
                [
                    "id": .text("m4"), "playerAId": .text("u1"), "playerBId": .text("u3"), "status": .text("CANCELLED"), "scoreA": .number(0),
                    "scoreB": .number(0), "createdAt": at(62), "updatedAt": at(63),
                ],
                // Dirty: a player who does not exist; a completed match with equal scores.
                [
                    "id": .text("m5"), "playerAId": .text("u1"), "playerBId": .text("ghost"), "status": .text("SCHEDULED"), "scoreA": .number(0),
                    "scoreB": .number(0), "createdAt": at(64), "updatedAt": at(64),
                ],
                [
                    "id": .text("m6"), "playerAId": .text("u5"), "playerBId": .text("u6"), "status": .text("COMPLETED"), "scoreA": .number(2),
                    "scoreB": .number(2), "createdAt": at(65), "updatedAt": at(66),
                ],
            ]
        )
        try await legacy.insert(
            "MatchEvent",
            [["id": .text("e3"), "matchId": .text("m2"), "type": .text("COMMENTARY"), "payload": .json(#"{"text":"Hill coming"}"#), "ts": at(65)]]
        )
        let future = Date().addingTimeInterval(30 * 86_400)
        try await legacy.insert(
            "Tournament",
            [
                [
                    "id": .text("tn1"), "venueId": .text("v1"), "name": .text("Summer Open"), "status": .text("UPCOMING"), "startTime": .time(future),
                    "rewards": .json(#"{"trophy":"gold"}"#), "createdAt": at(90), "updatedAt": at(90),
                ],
                [
                    "id": .text("tn2"), "name": .text("Spring Cup"), "status": .text("COMPLETED"), "startTime": at(10), "createdAt": at(5),
                    "updatedAt": at(100),
                ],
                [
                    "id": .text("tn3"), "name": .text("Rainy Day"), "status": .text("CANCELLED"), "startTime": at(200), "createdAt": at(91),
                    "updatedAt": at(92),
                ],
            ]
        )
        try await legacy.insert(
            "TournamentParticipant",
            ["u1", "u2", "u3", "u4"].enumerated().map { index, user in
                ["id": .text("tp\(index)"), "tournamentId": .text("tn1"), "userId": .text(user), "createdAt": at(95 + Double(index))]
            } + [
                ["id": .text("tp8"), "tournamentId": .text("tn3"), "userId": .text("u5"), "createdAt": at(91)],
                ["id": .text("tp9"), "tournamentId": .text("tn2"), "userId": .text("u6"), "createdAt": at(6)],
            ]
        )
        try await legacy.insert(
            "Wallet",
            [
                ["id": .text("w1"), "userId": .text("u1"), "chain": .text("solana"), "address": .text("So1anaAddre55"), "createdAt": at(3)],
                ["id": .text("w2"), "userId": .text("ghost"), "chain": .text("ethereum"), "address": .text("0xabc"), "createdAt": at(3)],
            ]
        )
        try await legacy.insert(
            "Achievement",
            [
                ["id": .text("a1"), "key": .text("first_win"), "name": .text("First win"), "points": .number(10), "createdAt": at(0)],
                ["id": .text("a2"), "key": .text("legend"), "name": .text("Legend"), "points": .number(99), "createdAt": at(0)],
            ]
        )
        try await legacy.insert(
            "UserAchievement",
            [
                ["id": .text("ua1"), "userId": .text("u2"), "achievementId": .text("a1"), "earnedAt": at(7)],
                ["id": .text("ua2"), "userId": .text("u2"), "achievementId": .text("a2"), "earnedAt": at(8)],
            ]
        )
        try await legacy.insert(
            "Notification",
            [
                [
                    "id": .text("n1"), "userId": .text("u1"), "type": .text("welcome"), "payload": .json(#"{"text":"Hi","n":1}"#),
                    "read": .bool(true), "createdAt": at(1),
                ],
                ["id": .text("n2"), "userId": .text("u1"), "type": .text("promo"), "payload": .json("{}"), "read": .bool(false), "createdAt": at(2)],
            ]
        )
        try await legacy.insert(
            "Transaction",
            [
                [
                    "id": .text("x1"), "userId": .text("u1"), "amount": .number(100), "type": .text("CREDIT"), "metadata": .json("{}"),
                    "createdAt": at(1),
                ]
            ]
        )
        try await legacy.insert("AuditLog", [["id": .text("al1"), "action": .text("login"), "metadata": .json("{}"), "ts": at(1)]])
    }

    static func importLegacy(_ legacy: any Storage, into storage: any Storage) async throws -> LegacyImportReport {
        var configuration = RuntimeConfiguration()
        configuration.quietNotifications = true
        let report = Locked<LegacyImportReport?>(nil)
        let source = LegacySource(storage: legacy)
        try await withRuntime(storage, configuration, projections: true) { runtime in
            let importer = LegacyImporter(source: source, runtime: runtime, storage: storage, positionConsumers: ["hook.partners"])
            let result = try await importer.run()
            report.withLock { $0 = result }
        }
        return try #require(report.withLock { $0 })
    }

    static func eventCount(_ storage: any Storage) async throws -> Int {
        try await storage.withSQL { db in try await db.raw("SELECT COUNT(*) AS n FROM events").first()!.decode(column: "n", as: Int.self) }
    }

    @Test(
        "a legacy database (Prisma's DDL, dirty rows among the generated ones) becomes actors and records; each dirty row is skipped with its reason; a second run writes nothing; a source that grew is finished on the next run",
        arguments: Backend.allCases
    )
    func importsTheLegacyPlatform(_ backend: Backend) async throws {
        try await withFreshStorage(backend, migrated: false) { legacyStorage, _ in
            let legacy = LegacyFixture(storage: legacyStorage)
            try await legacy.createSchema()
            try await Self.fillFirst(legacy)
            try await withFreshStorage(backend) { storage, _ in
                // First run: half of the legacy data.
                let first = try await Self.importLegacy(legacyStorage, into: storage)
                let users = try #require(first.table("User"))
                let expectedUsers = 6
                #expect(users.read == (backend == .sqlite ? 9 : 8) && users.written == expectedUsers, "\(first.summary)")
                #expect(users.skippedBecause["email repeats an earlier user's in another case"] == 1, "\(users)")
                #expect(users.examples["email repeats an earlier user's in another case"] == ["u-dup"])
                #expect(users.skippedBecause["invalid username (3–32 of a–z 0–9 _ -)"] == 1)
                if backend == .sqlite { #expect(users.skippedBecause["role is not USER, VENUE_ADMIN or ADMIN"] == 1) }
                #expect(users.checksum.count == 64)

                // Users: lowercased, the legacy hash kept and marked, the time kept.
                let u1 = try #require(try await storage.user(id: "u1"))
                #expect(u1.email == "u1@legacy.example" && u1.role == "VENUE_ADMIN" && u1.passwordHash.hasPrefix("legacy:$2b$"))
                let profile = try #require(try await storage.profile(of: "u1"))
                #expect(profile.displayName == "Uno" && profile.avatarURL == "https://img.example/u1.png")
                #expect(try await storage.profile(of: "u2")?.avatarURL == nil)
                #expect(first.table("Profile")?.notes["avatarUrl dropped: not an https URL"] == 1)
                #expect(first.table("Profile")?.skippedBecause["userId names no imported user"] == 1)
                let settings = try await storage.settings(of: "u1")
                #expect(
                    settings.language == "fr" && settings.timezone == "Europe/Paris" && settings.privacy == "private" && !settings.emailNotifications
                )

                // Venues: an actor with its tables (one in maintenance) and check-in; a dangling
                // owner dropped; a table of no venue skipped.
                let (v1, _) = try await Self.read(storage) { try await $0.venues.read("v1") }
                #expect(v1.exists && v1.name == "Cue Hall" && v1.ownerID == "u1" && v1.tables.map(\.id) == ["t1", "t2"])
                #expect(v1.table("t2")?.maintenance == true)
                #expect(first.table("Table")?.skippedBecause["venueId names no imported venue"] == 1)
                #expect(first.table("CheckIn")?.written == 1 && first.table("CheckIn")?.skippedBecause["userId names no imported user"] == 1)
                #expect(first.table("Venue")?.notes["ownerId dropped: names no imported user"] == 1)

                // Clans: members and ranks; a name taken in another case refused as live play
                // refuses it; a missing leader skipped.
                let (c1, _) = try await Self.read(storage) { try await $0.clans.read("c1") }
                #expect(c1.leaderID == "u1" && c1.members["u2"]?.role == .officer && c1.members["u3"]?.role == .member, "\(c1.members)")
                #expect(first.table("Clan")?.skippedBecause["refused: clan.name_taken"] == 1, "\(first.table("Clan")!)")
                #expect(first.table("Clan")?.skippedBecause["leaderId names no imported user"] == 1)
                #expect(first.table("ClanMember")?.skippedBecause["clanId names no imported clan"] == 1)

                // Territories: the holder, clan, level and defence score; one per venue.
                let (tr1, _) = try await Self.read(storage) { try await $0.territories.read("tr1") }
                #expect(tr1.ownerID == "u2" && tr1.clanID == "c1" && tr1.level == 3 && tr1.defenseScore == 4, "\(tr1)")
                #expect(first.table("Territory")?.skippedBecause["refused: territory.venue_taken"] == 1, "\(first.table("Territory")!)")

                // A completed match: its score, its commentary at the legacy time, its records.
                let (m1, _) = try await Self.read(storage) { try await $0.matches.read("m1") }
                #expect(m1.status == .completed && m1.scoreA == 1 && m1.scoreB == 3, "\(m1.status) \(m1.scoreA)-\(m1.scoreB)")
                let log = try await storage.readEvents(stream: "match:m1", after: 0, limit: 100)
                #expect(log.contains { $0.type == "match.commentary" && $0.payload.contains("Off we go") && $0.payload.contains("1717239060000") })
                #expect(
                    first.table("MatchEvent")?.skippedBecause["not imported: a legacy SHOT, FOUL, RACK or SYSTEM row holds no referee observation"]
                        == 1
                )
                let events = try await Self.eventCount(storage)

                // Second run over the same source: nothing written, the same checksums.
                let again = try await Self.importLegacy(legacyStorage, into: storage)
                for table in again.tables {
                    #expect(table.written == 0, "\(table.name) wrote again: \(table)")
                    #expect(table.checksum == first.table(table.name)?.checksum)
                }
                #expect(try await Self.eventCount(storage) == events, "a second run appended events")

                // The source grows (the rest of the legacy data): the next run brings only that.
                try await Self.fillSecond(legacy)
                let rest = try await Self.importLegacy(legacyStorage, into: storage)
                #expect(rest.table("User")?.written == 0 && rest.table("Venue")?.written == 0)
                #expect(rest.table("Match")?.written == 3, "\(rest.summary)")
                #expect(rest.table("Match")?.skippedBecause["a player names no imported user"] == 1)
                #expect(rest.table("Match")?.skippedBecause["a completed match without a winner (equal scores)"] == 1)
                let (m2, _) = try await Self.read(storage) { try await $0.matches.read("m2") }
                #expect(m2.status == .live && m2.scoreA == 2 && m2.scoreB == 1 && m2.raceTo == 5)
                let (m4, _) = try await Self.read(storage) { try await $0.matches.read("m4") }
                #expect(m4.status == .cancelled)
                let (tn1, _) = try await Self.read(storage) { try await $0.tournaments.read("tn1") }
                #expect(tn1.status == .upcoming && Set(tn1.participants.map(\.userID)) == ["u1", "u2", "u3", "u4"], "\(tn1.participants)")
                let (tn3, _) = try await Self.read(storage) { try await $0.tournaments.read("tn3") }
                #expect(tn3.status == .cancelled)
                #expect(
                    rest.table("Tournament")?.skipped == 1
                        && rest.table("TournamentParticipant")?.skippedBecause["tournamentId names no imported tournament"] == 1
                )
                #expect(try await storage.wallets(of: "u1").map(\.address) == ["So1anaAddre55"])
                #expect(try await storage.achievements(of: "u2").map(\.achievement).contains(.firstWin))
                #expect(rest.table("UserAchievement")?.skippedBecause["no such achievement here"] == 1)
                let (notes, unread) = try await storage.notifications(of: "u1", offset: 0, limit: 50)
                #expect(
                    notes.map(\.type).sorted() == ["promo", "welcome"] && unread == 1,
                    "imported history made notifications: \(notes.map(\.type))"
                )
                #expect(rest.table("Transaction")?.skipped == 1 && rest.table("AuditLog")?.skipped == 1)

                // The records follow the imported entities (the projection ran during the import).
                let rows = try await storage.withSQL { db in
                    try await db.raw("SELECT id, status, score_a, score_b FROM matches ORDER BY id").all().map {
                        "\(try $0.decode(column: "id", as: String.self)):\(try $0.decode(column: "status", as: String.self)):\(try $0.decode(column: "score_a", as: Int.self))-\(try $0.decode(column: "score_b", as: Int.self))"
                    }
                }
                #expect(rows == ["m1:COMPLETED:1-3", "m2:LIVE:2-1", "m3:SCHEDULED:0-0", "m4:CANCELLED:0-0"], "\(rows)")
                // The partners' feed starts after what the import wrote.
                let positions = try await storage.consumerPositions(consumer: "hook.partners", streams: ["match:m1", "venue:v1"])
                #expect(positions["match:m1"] != nil && positions["venue:v1"] != nil, "\(positions)")
            }
        }
    }

    /// Reads an entity through a fresh runtime over `storage` (what a restarted server activates).
    static func read<T: Sendable>(_ storage: any Storage, _ body: @escaping @Sendable (Runtime) async throws -> T) async throws -> T {
        let value = Locked<T?>(nil)
        try await withRuntime(storage) { runtime in
            let result = try await body(runtime)
            value.withLock { $0 = result }
        }
        return try #require(value.withLock { $0 })
    }
}
