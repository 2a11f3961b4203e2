import ArgumentParser
import Foundation
import NIOCore
import Synchronization

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `dojo-loadtest tournament`: the big screen at a venue. A single elimination of `--players` at a
/// venue with a table per first-round match: every first-round match is live, its scorer (the
/// director) records racks at `--rack-rate` per match; each rack moves the live score on the
/// bracket (a `tournament.score_changed` in the tournament's room, through the match reaction);
/// `--subscribers` spectators follow `tournament:{id}`. Latency is from the tournament's decision
/// (the event's `at`, in ms) to its arrival: the gateway's fan-out of the room, not the reaction.
struct TournamentRoom: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tournament",
        abstract: "A tournament's room: S spectators while its first-round matches run (racks at R/s per match)."
    )
    @OptionGroup var common: Common
    @Option(help: "spectators of the tournament's room") var subscribers = 5_000
    @Option(help: "players (a power of two: players/2 matches run at once)") var players = 64
    @Option(help: "racks recorded per second per match") var rackRate = 1.0
    @Option(help: "the server's auth.service.key (registering the venue needs the VENUE_ADMIN role; default: $DOJO_AUTH_SERVICE_KEY)")
    var serviceKey = ProcessInfo.processInfo.environment["DOJO_AUTH_SERVICE_KEY"] ?? ""

    func validate() throws {
        guard [4, 8, 16, 32, 64, 128, 256].contains(players) else { throw ValidationError("--players is a power of two, 4…256") }
        guard rackRate > 0, rackRate <= 50 else { throw ValidationError("--rack-rate is (0, 50] per match") }
    }

    func run() async throws {
        var plan = common.plan(.tournament)
        plan.socketIO = false
        plan.subscribers = subscribers
        guard serviceKey.utf8.count >= 32 else {
            throw ValidationError("tournament needs --service-key (or DOJO_AUTH_SERVICE_KEY): the server's auth.service.key")
        }
        let (token, matches) = try await Setup(port: plan.port, serviceKey: serviceKey).tournament(plan, players: players)
        let label = "tournament room: \(subscribers) spectators, \(matches.count) matches live, \(rackRate) racks/s per match"
        try await Runner(plan: plan, common: common, label: label).run { driver, group in
            let scorer = try await connectWebSocket(
                group: group,
                host: plan.host,
                port: plan.port,
                source: "127.0.0.200",
                headers: ["Authorization": "Bearer \(token)"]
            ) { _ in }
            driver.racks(scorer, matches: matches, rate: rackRate * Double(matches.count))
            return ["rackRate": rackRate, "matches": Double(matches.count)]
        }
    }
}

extension Driver {
    /// The director records racks in turn over `matches`, `rate` per second in all (alternating
    /// winners, so no race is won inside a run).
    func racks(_ handler: NIOLoopBound<WSClientHandler>, matches: [String], rate: Double) {
        let step = NIOLoopBoundBox.makeBoxSendingValue(0, eventLoop: handler.eventLoop)
        pace(handler, rate: rate) { [self] client, due in
            var inWindow = 0
            for _ in 0..<due {
                step.value += 1
                let match = matches[step.value % matches.count]
                let winner = (step.value / matches.count).isMultiple(of: 2) ? "A" : "B"
                let command = #"{"type":"recordRack","winner":"\#(winner)"}"#
                client.send(Array(#"{"type":"command","room":"match:\#(match)","id":\#(step.value),"command":\#(command)}"#.utf8), flush: false)
                if self.inWindow(wallNanos()) { inWindow += 1 }
            }
            counts.withLock { c in
                c.sent += due
                c.sentInWindow += inWindow
            }
        }
    }
}

extension Setup {
    /// A venue with a table per first-round match, `players` players registered, the tournament
    /// started and every first-round match started. Returns the director's token and the matches.
    func tournament(_ plan: Plan, players: Int) async throws -> (String, [String]) {
        let started = ContinuousClock.now
        let director = try await user("ltdirector")
        let venue = "\(plan.runID)tv"
        _ = try await request("POST", "/v1/venues", token: nil, actingFor: director.id, ["id": venue, "name": "Load hall", "lat": 1.0, "lng": 2.0])
        for t in 0..<(players / 2) {
            _ = try await request("POST", "/v1/venues/\(venue)/tables", token: director.token, ["id": "\(venue)t\(t)", "name": "Table \(t)"])
        }
        let id = plan.tournamentID
        _ = try await request(
            "POST",
            "/v1/tournaments",
            token: director.token,
            [
                "id": id, "name": "Load cup", "venueId": venue, "format": "single_elimination", "raceTo": 99, "maxParticipants": players,
                "seeding": "manual",
            ]
        )
        try await withThrowingTaskGroup(of: Void.self) { group in
            for p in 0..<players {
                group.addTask {
                    let player = try await user("ltplayer\(p)")
                    _ = try await request("POST", "/v1/tournaments/\(id)/registrations", token: player.token, [:])
                }
            }
            try await group.waitForAll()
        }
        _ = try await request("POST", "/v1/tournaments/\(id)/start", token: director.token, [:])
        let matches = (0..<(players / 2)).map { "\(id)-m\($0)" }
        // The matches are created by the tournament's reaction: start each once it exists.
        for match in matches {
            var tries = 0
            while true {
                do {
                    _ = try await request("POST", "/v1/matches/\(match)/start", token: director.token, [:])
                    break
                } catch {
                    tries += 1
                    if tries > 200 { throw error }
                    try await Task.sleep(for: .milliseconds(50))
                }
            }
        }
        FileHandle.standardError.write(
            Data("setup: tournament \(id), \(players) players, \(matches.count) live matches in \(ContinuousClock.now - started)\n".utf8)
        )
        return (director.token, matches)
    }
}
