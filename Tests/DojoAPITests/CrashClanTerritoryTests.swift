import DojoDomain
import DojoStorage
import DojoTesting
import Foundation
import SQLKit
import Testing

/// The `kill -9` test for clans and territories: a join/leave storm over two clans and territory
/// contests played to their result run against the real server, which is killed at a random
/// moment and restarted on the same database.
@Suite("Crash: kill -9 with clans and territories", .serialized)
struct CrashClanTerritoryTests {
    static let stormPlayers = 8
    static let venues = 4

    /// One acknowledged command: the stream it went to, its id, the range the server acknowledged.
    struct Ack: Sendable {
        var stream: String
        var commandID: String
        var first: Int64
        var last: Int64
    }

    @Test(
        "every acknowledged clan and territory command survives; a player is in one clan; every territory match's result is applied once",
        arguments: Backend.allCases
    )
    func killMidLoad(_ backend: Backend) async throws {
        var generator = SystemRandomNumberGenerator()
        for round in 0..<2 {
            let killAfter = Duration.milliseconds(Int.random(in: 500...2_000, using: &generator))
            try await withFreshStorage(backend) { storage, _ in
                let players = (0..<Self.stormPlayers).map { "s\($0)" } + (0..<Self.venues * 2).map { "t\($0)" }
                try await seedUsers(["owner", "lead0", "lead1"] + players, in: storage)
                try await Self.run(storage: storage, backend: backend, killAfter: killAfter, round: round)
            }
        }
    }

    static func run(storage: any Storage, backend: Backend, killAfter: Duration, round: Int) async throws {
        let environment = try await CrashTests.serverEnvironment(storage: storage, backend: backend)
        var server = try await ServerChild.start(environment: environment)
        let client = Client(port: server.port, key: CrashTests.serviceKey)
        for clan in 0..<2 {
            let reply = try await client.post("/v1/clans", user: "lead\(clan)", ["id": "k\(clan)", "name": "Clan \(clan) r\(round)"])
            #expect(reply.status == 201, "\(reply.json)")
        }
        for venue in 0..<venues {
            _ = try await client.post(
                "/v1/venues",
                user: "owner",
                role: "VENUE_ADMIN",
                ["id": "v\(venue)", "name": "Hall \(venue)", "lat": 1.0, "lng": 2.0]
            )
            let territory = try await client.post("/v1/territories", user: "owner", ["id": "tr\(venue)", "venueId": "v\(venue)"])
            #expect(territory.status == 201, "\(territory.json)")
        }

        let acks = Locked<[Ack]>([])
        func record(_ stream: String, _ commandID: String, _ reply: Client.Reply) -> Bool {
            guard reply.status < 300, let first = reply.json["firstSequence"] as? Int, let last = reply.json["sequence"] as? Int else {
                return reply.status < 300
            }
            acks.withLock { $0.append(Ack(stream: stream, commandID: commandID, first: Int64(first), last: Int64(last))) }
            return true
        }
        let load = Task {
            await withTaskGroup(of: Void.self) { group in
                // The storm: each player asks to join a clan, is accepted by its leader, leaves.
                for index in 0..<stormPlayers {
                    group.addTask {
                        let player = "s\(index)"
                        var step = 0
                        while !Task.isCancelled {
                            let clan = (index + step) % 2
                            let id = "r\(round)-\(player)-\(step)"
                            let commands: [(String, [String: any Sendable])] = [
                                (player, ["type": "requestToJoin"]), ("lead\(clan)", ["type": "accept", "userId": player]),
                                (player, ["type": "leave"]),
                            ]
                            for (number, (user, body)) in commands.enumerated() {
                                guard
                                    let reply = try? await client.post("/v1/clans/k\(clan)/commands", user: user, body, commandID: "\(id)-\(number)"),
                                    record("clan:k\(clan)", "\(id)-\(number)", reply)
                                else { return }
                            }
                            step += 1
                        }
                    }
                }
                // Territory contests: t(2v) and t(2v+1) play for territory v again and again.
                for venue in 0..<venues {
                    group.addTask {
                        var contest = 0
                        var holder: String?
                        while !Task.isCancelled {
                            let pair = ["t\(venue * 2)", "t\(venue * 2 + 1)"]
                            let challenger = holder.map { $0 == pair[0] ? pair[1] : pair[0] } ?? pair[contest % 2]
                            let opponent = pair.first { $0 != challenger }!
                            let id = "r\(round)-tr\(venue)-\(contest)"
                            let challengeBody: [String: any Sendable] =
                                holder == nil ? ["type": "challenge", "opponentId": opponent] : ["type": "challenge"]
                            guard
                                let challenged = try? await client.post(
                                    "/v1/territories/tr\(venue)/commands",
                                    user: challenger,
                                    challengeBody,
                                    commandID: "\(id)-c"
                                ),
                                record("territory:tr\(venue)", "\(id)-c", challenged),
                                let accepted = try? await client.post(
                                    "/v1/territories/tr\(venue)/commands",
                                    user: opponent,
                                    ["type": "accept", "raceTo": 1],
                                    commandID: "\(id)-a"
                                ),
                                record("territory:tr\(venue)", "\(id)-a", accepted),
                                let match = ((accepted.json["territory"] as? [String: Any])?["contest"] as? [String: Any])?["matchID"] as? String,
                                let started = try? await client.post("/v1/matches/\(match)/start", user: opponent, [:], commandID: "\(id)-s"),
                                record("match:\(match)", "\(id)-s", started)
                            else { return }
                            // Alternate winners: the holder changes every other contest.
                            let winner = contest % 2 == 0 ? "B" : "A"
                            guard
                                let rack = try? await client.post(
                                    "/v1/matches/\(match)/racks",
                                    user: opponent,
                                    ["winner": winner],
                                    commandID: "\(id)-r"
                                ),
                                record("match:\(match)", "\(id)-r", rack)
                            else { return }
                            // Wait for the result before the next challenge (the reaction is asynchronous).
                            var resolved = false
                            for _ in 0..<100 where !resolved {
                                guard let territory = try? await client.get("/v1/territories/tr\(venue)") else { return }
                                let view = territory.json["territory"] as? [String: Any]
                                resolved = view?["contest"] == nil
                                holder = view?["ownerId"] as? String
                                if !resolved { try? await Task.sleep(for: .milliseconds(20)) }
                            }
                            contest += 1
                        }
                    }
                }
            }
        }
        // The kill comes once the load is flowing (a busy machine starts the child slowly: a fixed
        // time after the start once saw 4 acknowledged commands), then after the random delay.
        for _ in 0..<300 where acks.withLock({ $0.count }) <= stormPlayers { try await Task.sleep(for: .milliseconds(100)) }
        try await Task.sleep(for: killAfter)
        server.kill9()
        await load.value
        let acknowledged = acks.withLock { $0 }
        #expect(acknowledged.count > stormPlayers, "the load produced too few acknowledged commands before the kill")

        server = try await ServerChild.start(environment: environment)
        defer { server.stop() }
        let after = Client(port: server.port, key: CrashTests.serviceKey)

        // 1. Every acknowledged command's events are in the log, under its command id.
        var logs: [String: [RecordedEvent]] = [:]
        for stream in Set(acknowledged.map(\.stream)) { logs[stream] = try await storage.readEvents(stream: stream, after: 0, limit: 100_000) }
        for ack in acknowledged {
            let range = (logs[ack.stream] ?? []).filter { $0.sequence >= ack.first && $0.sequence <= ack.last }
            #expect(range.count == Int(ack.last - ack.first + 1), "acknowledged \(ack.commandID) lost events")
            #expect(
                range.allSatisfy { field("commandId", in: $0.payload) == ack.commandID },
                "\(ack.commandID): other events at its sequence numbers"
            )
        }

        // 2. A player is in one clan at most, as the restarted clans say.
        var memberships: [String: Int] = [:]
        for clan in 0..<2 {
            let reply = try await after.get("/v1/clans/k\(clan)/members?limit=500")
            for member in reply.json["members"] as? [[String: Any]] ?? [] { memberships[member["userId"] as? String ?? "", default: 0] += 1 }
        }
        #expect(memberships.values.allSatisfy { $0 == 1 }, "a player in two clans: \(memberships)")

        // 3. Every completed territory match resolved its territory exactly once (the reactions
        //    catch up after the restart).
        var complete = false
        var resolutions: [String: Int] = [:]
        var completed: Set<String> = []
        for _ in 0..<100 where !complete {
            resolutions = [:]
            completed = []
            for venue in 0..<venues {
                for event in try await storage.readEvents(stream: "territory:tr\(venue)", after: 0, limit: 100_000)
                where event.type == "territory.claimed" || event.type == "territory.defended" || event.type == "territory.contest_abandoned" {
                    if let match = field("matchID", in: event.payload) { resolutions[match, default: 0] += 1 }
                }
            }
            let streams = try await storage.withSQL { db in
                try await db.raw("SELECT stream FROM event_streams WHERE stream LIKE 'match:%'").all().map {
                    try $0.decode(column: "stream", as: String.self)
                }
            }
            for stream in streams
            where try await storage.readEvents(stream: stream, after: 0, limit: 100).contains(where: { $0.type == "match.completed" }) {
                completed.insert(String(stream.dropFirst("match:".count)))
            }
            complete = completed.allSatisfy { resolutions[$0] != nil }
            if !complete { try await Task.sleep(for: .milliseconds(200)) }
        }
        #expect(complete, "territory results missing after the restart")
        #expect(resolutions.values.allSatisfy { $0 == 1 }, "a territory result applied twice: \(resolutions.filter { $0.value > 1 })")
        FileHandle.standardError.write(
            Data(
                "crash test clans+territories \(backend) round \(round): killed after \(killAfter), \(acknowledged.count) acknowledged commands, \(completed.count) territory matches completed\n"
                    .utf8
            )
        )
    }
}
