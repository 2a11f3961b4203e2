import DojoCluster
import DojoDomain
import DojoStorage
import DojoTesting
import Foundation
import Testing

@testable import DojoRuntime

/// The reactions and projections of a stream whose owner died between committing its events and
/// handling them (docs/cluster.md, "Consumers"): no node was told of those events, so only a
/// sweep finds them, on the node that claims the stream once the dead owner's claim has lapsed.
/// (In the ownership suite, which runs its tests one at a time: the whole suite already starts
/// many server processes at once on two cores.)
extension ClusterOwnershipTests {
    @Test(
        "an owner killed (-9) right after committing a match's last rack: another node's sweep claims the match once the lease lapses and runs its projections once"
    )
    func deadOwnersStreamIsSwept() async throws {
        guard let redis = try TestServices.redisURL() else { return }
        try await withFreshStorage(.postgres) { storage, _ in
            try await seedUsers(["alice", "bob"], in: storage)
            let (cluster, env) = try await Self.platform(storage, redis: redis, ttlMilliseconds: 3_000)
            let nodes = try await Self.start(["a", "b"], cluster: cluster, env: env)
            defer { for node in nodes { node.stop() } }
            let (a, b) = (Client(port: nodes[0].port, key: CrashTests.serviceKey), Client(port: nodes[1].port, key: CrashTests.serviceKey))
            let created = try await a.post(
                "/v1/matches",
                user: "alice",
                ["id": "w1", "playerA": "alice", "playerB": "bob", "gameType": "9-ball", "raceTo": 2]
            )
            #expect(created.status == 201, "\(created.json)")
            #expect(try await a.post("/v1/matches/w1/start", user: "alice", [:]).status == 200)
            #expect(try await a.post("/v1/matches/w1/racks", user: "alice", ["winner": "A"], commandID: "w1-rack-1").status == 200)
            #expect(try await Self.holder("match:w1", cluster: cluster, redis: redis) == cluster + "-a")
            nodes[0].kill9()

            // What A would have committed for the deciding rack (a whole rack: its start, its end,
            // then the match's end), appended as A's actor appends it
            // (decided by the domain over the log's events, at the next sequence) — and, A being
            // dead, handled by no consumer yet.
            let log = try await storage.readEvents(stream: "match:w1", after: 0, limit: 100)
            let decoder = JSONDecoder()
            let history = try log.map { try decoder.decode(EventEnvelope<Match.Event>.self, from: Data($0.payload.utf8)).event }
            let state = Match.replay(history, from: Match.initialState(id: "w1"))
            let context = CommandContext(principal: Principal(userID: "alice", role: .user), now: Timestamp(Date()))
            let deciding = try Match.decide(state, .recordRack(winner: .a, breaker: nil), context)
            #expect(deciding.map(Match.eventType) == ["match.rack_started", "match.rack_ended", "match.completed"])
            let meta = EventEnvelope<Match.Event>.Meta(commandId: "w1-rack-2")
            let encoder = JSONEncoder()
            let appended = try await storage.append(
                [
                    AppendRequest(
                        stream: "match:w1",
                        expectedSequence: try #require(log.last?.sequence),
                        events: try deciding.map {
                            NewEvent(
                                type: Match.eventType($0),
                                payload: String(decoding: try encoder.encode(EventEnvelope(event: $0, meta: meta)), as: UTF8.self)
                            )
                        }
                    )
                ],
                at: Date()
            )
            #expect(appended.count == 1)

            // B was never told: its sweep (every 5 s) finds the stream behind and takes it once
            // A's claim lapses (3 s), then the projections run: the players' ratings and stats.
            let deadline = ContinuousClock.now + .seconds(40)
            var games = 0
            while ContinuousClock.now < deadline {
                games = try await b.get("/v1/users/alice/rating").json["games"] as? Int ?? 0
                if games > 0 { break }
                try await Task.sleep(for: .milliseconds(250))
            }
            #expect(games == 1, "the dead owner's last rack was never handled")
            #expect(try await Self.holder("match:w1", cluster: cluster, redis: redis) == cluster + "-b")
            let stats = try await b.get("/v1/users/alice/stats").json["byGameType"] as? [[String: Any]] ?? []
            #expect(!stats.isEmpty && stats.allSatisfy { $0["matches"] as? Int == 1 && $0["wins"] as? Int == 1 }, "\(stats)")
            // Once: later sweeps find nothing behind (positions are stored), nothing counts twice.
            try await Task.sleep(for: .seconds(6))
            #expect(try await b.get("/v1/users/alice/rating").json["games"] as? Int == 1)
            let history2 = try await b.get("/v1/users/bob/rating").json["history"] as? [[String: Any]] ?? []
            #expect(history2.map { $0["result"] as? String } == ["LOSS"], "\(history2)")
        }
    }
}
