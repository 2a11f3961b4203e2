import DojoDomain
import DojoStorage
import DojoTesting
import Foundation
import SQLKit
import Testing

/// The `kill -9` test for tournaments: a 32-player double elimination on 4 tables is played by its
/// director as fast as the bracket gives matches, the server is killed mid-round and restarted on
/// the same database, and the tournament is played to its end.
@Suite("Crash: kill -9 in the middle of a tournament round", .serialized)
struct CrashTournamentTests {
    static let players = 32

    @Test(
        "every acknowledged command survives; after the restart the bracket advances exactly once per completed match (no duplicate next-round matches) and the tournament completes",
        arguments: Backend.allCases
    )
    func killMidRound(_ backend: Backend) async throws {
        var generator = SystemRandomNumberGenerator()
        let killAfter = Duration.milliseconds(Int.random(in: 100...700, using: &generator))
        try await withFreshStorage(backend) { storage, _ in
            try await seedUsers(["owner"] + (1...Self.players).map { "tp\($0)" }, in: storage)
            try await Self.run(storage: storage, backend: backend, killAfter: killAfter)
        }
    }

    /// Plays every live match of the tournament once (start, the deciding rack), as its director.
    /// Returns false when a call failed (the server is gone).
    static func playLive(_ client: Client, played: Locked<Set<String>>, acks: Locked<[(String, String, Int64, Int64)]>) async -> Bool {
        guard let reply = try? await client.get("/v1/tournaments/cup") else { return false }
        let view = reply.json["tournament"] as? [String: Any]
        let slots = ((view?["bracket"] as? [String: Any])?["rounds"] as? [[String: Any]] ?? []).flatMap { $0["slots"] as? [[String: Any]] ?? [] }
        for slot in slots where slot["status"] as? String == "live" {
            guard let match = slot["matchId"] as? String, !played.withLock({ $0.contains(match) }) else { continue }
            for (step, (path, body)) in [("/v1/matches/\(match)/start", [String: any Sendable]()), ("/v1/matches/\(match)/racks", ["winner": "A"])]
                .enumerated()
            {
                let commandID = "\(match)-\(step)"
                guard let answer = try? await client.post(path, user: "owner", body, commandID: commandID) else { return false }
                // A match not created yet (the reaction is asynchronous) answers 404: next time.
                if answer.status == 404 { break }
                if let first = answer.json["firstSequence"] as? Int, let last = answer.json["sequence"] as? Int, answer.status < 300 {
                    acks.withLock { $0.append(("match:\(match)", commandID, Int64(first), Int64(last))) }
                }
                if step == 1, answer.status < 300 || answer.status == 409 { played.withLock { _ = $0.insert(match) } }
            }
        }
        return true
    }

    static func run(storage: any Storage, backend: Backend, killAfter: Duration) async throws {
        let environment = try await CrashTests.serverEnvironment(storage: storage, backend: backend)
        var server = try await ServerChild.start(environment: environment)
        let client = Client(port: server.port, key: CrashTests.serviceKey)
        _ = try await client.post("/v1/venues", user: "owner", role: "VENUE_ADMIN", ["id": "v0", "name": "Hall", "lat": 1.0, "lng": 2.0])
        for table in 1...4 { _ = try await client.post("/v1/venues/v0/tables", user: "owner", ["id": "t\(table)", "name": "Table \(table)"]) }
        let created = try await client.post(
            "/v1/tournaments",
            user: "owner",
            ["id": "cup", "name": "Cup", "venueId": "v0", "format": "double_elimination", "raceTo": 1, "maxParticipants": Self.players]
        )
        #expect(created.status == 201, "\(created.json)")
        for index in 1...Self.players { _ = try await client.post("/v1/tournaments/cup/registrations", user: "tp\(index)", [:]) }
        let started = try await client.post("/v1/tournaments/cup/start", user: "owner", [:])
        #expect(started.status == 200, "\(started.json)")

        let played = Locked<Set<String>>([])
        let acks = Locked<[(String, String, Int64, Int64)]>([])
        let load = Task {
            while !Task.isCancelled, await playLive(client, played: played, acks: acks) { try? await Task.sleep(for: .milliseconds(5)) }
        }
        for _ in 0..<300 where played.withLock({ $0.count }) < 2 { try await Task.sleep(for: .milliseconds(50)) }
        try await Task.sleep(for: killAfter)
        server.kill9()
        await load.value
        let before = played.withLock { $0.count }

        server = try await ServerChild.start(environment: environment)
        defer { server.stop() }
        let after = Client(port: server.port, key: CrashTests.serviceKey)

        // 1. Every acknowledged match command is in the log under its command id.
        for (stream, commandID, first, last) in acks.withLock({ $0 }) {
            let events = try await storage.readEvents(stream: stream, after: first - 1, limit: Int(last - first + 1))
            #expect(
                events.count == Int(last - first + 1) && events.allSatisfy { field("commandId", in: $0.payload) == commandID },
                "\(commandID) lost"
            )
        }

        // 2. Played to the end on the restarted server.
        var status = ""
        for _ in 0..<600 where status != "COMPLETED" {
            guard await playLive(after, played: played, acks: acks) else { break }
            status = ((try? await after.get("/v1/tournaments/cup"))?.json["tournament"] as? [String: Any])?["status"] as? String ?? ""
            if status != "COMPLETED" { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(status == "COMPLETED")

        // 3. Exactly once: one match per slot, one result per slot, and every match the tournament
        //    assigned exists once, with its tournament.
        let log = try await storage.readEvents(stream: "tournament:cup", after: 0, limit: 100_000)
        let assigned = log.filter { $0.type == "tournament.match_assigned" }.compactMap { field("matchID", in: $0.payload) }
        let results = log.filter { $0.type == "tournament.result_recorded" }.count
        #expect(before < assigned.count, "the kill came after the last match: nothing was tested mid-round")
        #expect(Set(assigned).count == assigned.count, "a match assigned twice")
        #expect(assigned.allSatisfy { !$0.hasSuffix("-2") }, "a slot got a second match")
        #expect(
            results == assigned.count && (results == 2 * Self.players - 2 || results == 2 * Self.players - 1),
            "\(results) results for \(assigned.count) matches"
        )
        let matches = try await storage.withSQL { db in
            try await db.raw("SELECT stream FROM event_streams WHERE stream LIKE 'match:cup-%'").all().map {
                try $0.decode(column: "stream", as: String.self)
            }
        }
        #expect(Set(matches) == Set(assigned.map { "match:\($0)" }))
        FileHandle.standardError.write(
            Data("crash test tournament \(backend): killed after \(killAfter) with \(before) matches played, \(assigned.count) in all\n".utf8)
        )
    }
}
