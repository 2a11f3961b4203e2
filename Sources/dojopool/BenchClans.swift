import ArgumentParser
import DojoAPI
import DojoDomain
import DojoRuntime
import DojoServer
import DojoStorage
import Foundation
import Logging
import SQLKit
import ServiceLifecycle

/// `dojopool bench-clans`: clan and territory commands through the whole runtime path (the same
/// `Runtime.sendClan` / `sendTerritory` the transports use, with their claims), idle clan actors'
/// memory, and the territory map query. Figures in docs/benchmarks.md.
///
/// 1. one clan filled to `--members` by a join storm (a request and the leader's accept per
///    player), then `--seconds` of churn (leave, ask again, accepted again) by 256 drivers;
/// 2. `--territories` territories contested at once: challenge, accept (schedules a match), start,
///    the deciding rack, and the reaction that resolves the territory;
/// 3. `--idle-clans` clans of 100 members passivated and activated again from their snapshots:
///    heap bytes per resident clan and activation time;
/// 4. the map: `--map-venues` territories, `--map-queries` 0.5° boxes at random over a 10° square.
struct BenchClans: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-clans",
        abstract: "Benchmark clan and territory commands, idle clan memory and the territory map query."
    )

    @OptionGroup var options: ConfigurationOptions

    @Option(help: "Members of the storm clan.")
    var members = 10_000
    @Option(help: "Seconds of churn measured after the clan is full.")
    var seconds = 10.0
    @Option(help: "Territories contested at once.")
    var territories = 1_000
    @Option(help: "Clans of 100 members for the idle memory measurement (0: skip).")
    var idleClans = 100
    @Option(help: "Territories on the map.")
    var mapVenues = 10_000
    @Option(help: "Map queries.")
    var mapQueries = 1_000

    func run() async throws {
        try await Bench.withRuntime(options, name: "bench-clans") { runtime, storage, run in
            try await storm(runtime, storage, run)
            try await contests(runtime, storage, run)
            if idleClans > 0 { try await idle(runtime, storage, run) }
            try await map(storage, run)
        }
    }

    // MARK: 1. The join/leave storm

    private func storm(_ runtime: Runtime, _ storage: any Storage, _ run: String) async throws {
        let leader = "lead-\(run)"
        // The leader is the first member: the clan ends at `members`.
        let players = (1..<members).map { "m\(run)-\($0)" }
        try await Self.seedUsers([leader] + players, storage)
        let clan = "storm-\(run)"
        _ = try await Self.retry {
            try await runtime.sendClan(clan, .create(name: "Storm \(run)", description: nil), context: Self.context(leader), commandID: nil)
        }
        let clock = ContinuousClock()
        // Fill: 256 drivers, each a request and the leader's accept per player.
        let fillStart = clock.now
        let fill = try await Self.drive(drivers: 256, items: players) { player in
            _ = try await Self.retry { try await runtime.sendClan(clan, .requestToJoin, context: Self.context(player), commandID: nil) }
            _ = try await Self.retry { try await runtime.sendClan(clan, .accept(userID: player), context: Self.context(leader), commandID: nil) }
        }
        let fillSeconds = Bench.milliseconds(clock.now - fillStart) / 1_000
        let size = try await runtime.clans.read(clan).state.members.count
        print(
            String(
                format:
                    "join storm: %d players joined (clan now %d members) in %.1f s: %.0f commands/s, per join (2 commands) p50 %.1f ms, p99 %.1f ms",
                players.count,
                size,
                fillSeconds,
                Double(players.count * 2) / fillSeconds,
                Bench.percentile(fill, 0.5),
                Bench.percentile(fill, 0.99)
            )
        )
        // Churn at 10,000 members: leave, ask again, accepted again.
        let end = clock.now + .seconds(seconds)
        let churnStart = clock.now
        let churn = try await Self.drive(drivers: 256, items: players, until: end) { player in
            _ = try await Self.retry { try await runtime.sendClan(clan, .leave, context: Self.context(player), commandID: nil) }
            _ = try await Self.retry { try await runtime.sendClan(clan, .requestToJoin, context: Self.context(player), commandID: nil) }
            _ = try await Self.retry { try await runtime.sendClan(clan, .accept(userID: player), context: Self.context(leader), commandID: nil) }
        }
        let churnSeconds = Bench.milliseconds(clock.now - churnStart) / 1_000
        print(
            String(
                format: "churn at %d members: %.0f commands/s over %.1f s, per leave+rejoin (3 commands) p50 %.1f ms, p99 %.1f ms",
                size,
                Double(churn.count * 3) / churnSeconds,
                churnSeconds,
                Bench.percentile(churn, 0.5),
                Bench.percentile(churn, 0.99)
            )
        )
        await runtime.passivateIdle()
    }

    // MARK: 2. Territories contested at once

    private func contests(_ runtime: Runtime, _ storage: any Storage, _ run: String) async throws {
        let owner = "owner-\(run)"
        let ids = (0..<territories).map { "\(run)-\($0)" }
        try await Self.seedUsers([owner] + ids.flatMap { ["ta\($0)", "tb\($0)"] }, storage)
        _ = try await Self.drive(drivers: 200, items: ids) { id in
            _ = try await Self.retry {
                try await runtime.venues.send(
                    "v\(id)",
                    .register(name: "Hall \(id)", location: .init(lat: 1, lng: 2), address: nil, ownerID: owner),
                    context: Self.context(owner, role: .venueAdmin)
                )
            }
            _ = try await Self.retry {
                try await runtime.createTerritory("tr\(id)", venueID: "v\(id)", name: nil, context: Self.context(owner), commandID: nil)
            }
        }
        let clock = ContinuousClock()
        let start = clock.now
        let latencies = try await Self.drive(drivers: territories, items: ids) { id in
            let (a, b) = ("ta\(id)", "tb\(id)")
            _ = try await Self.retry {
                try await runtime.sendTerritory("tr\(id)", .challenge(opponentID: b, clanID: nil), context: Self.context(a), commandID: nil)
            }
            let accepted = try await Self.retry {
                try await runtime.sendTerritory(
                    "tr\(id)",
                    .respond(accept: true, matchID: "mt\(id)", gameType: .eightBall, raceTo: 1),
                    context: Self.context(b),
                    commandID: nil
                )
            }
            let match = accepted.state.contest?.matchID ?? "mt\(id)"
            _ = try await runtime.matches.send(match, .start, context: Self.context(b))
            _ = try await runtime.matches.send(match, .recordRack(winner: .b, breaker: nil), context: Self.context(b))
        }
        let commanded = Bench.milliseconds(clock.now - start) / 1_000
        await runtime.drainConsumers()
        var resolved = 0
        for id in ids where try await runtime.territories.read("tr\(id)").state.ownerID == "ta\(id)" { resolved += 1 }
        let total = Bench.milliseconds(clock.now - start) / 1_000
        print(
            String(
                format:
                    "territories contested at once: %d contests (challenge, accept + match created, start, rack) in %.2f s: %.0f commands/s, per contest p50 %.1f ms, p99 %.1f ms; all %d resolved by the reaction %.2f s after the start",
                ids.count,
                commanded,
                Double(ids.count * 5) / commanded,
                Bench.percentile(latencies, 0.5),
                Bench.percentile(latencies, 0.99),
                resolved,
                total
            )
        )
        await runtime.passivateIdle()
    }

    // MARK: 3. Idle clan actors

    private func idle(_ runtime: Runtime, _ storage: any Storage, _ run: String) async throws {
        let clans = (0..<idleClans).map { "idle-\(run)-\($0)" }
        let users = clans.flatMap { clan in (0..<100).map { "\(clan)-u\($0)" } }
        try await Self.seedUsers(users, storage)
        _ = try await Self.drive(drivers: 50, items: clans) { clan in
            let leader = "\(clan)-u0"
            _ = try await Self.retry {
                try await runtime.sendClan(
                    clan,
                    .create(name: "I \(clan.suffix(12))", description: "idle"),
                    context: Self.context(leader),
                    commandID: nil
                )
            }
            for index in 1..<100 {
                _ = try await Self.retry {
                    try await runtime.sendClan(clan, .invite(userID: "\(clan)-u\(index)"), context: Self.context(leader), commandID: nil)
                }
                _ = try await Self.retry {
                    try await runtime.sendClan(clan, .accept(userID: "\(clan)-u\(index)"), context: Self.context("\(clan)-u\(index)"), commandID: nil)
                }
            }
        }
        await runtime.passivateIdle()
        await runtime.drainConsumers()
        let residentBefore = runtime.clans.residentCount
        let before = BenchRuntime.residentBytes()
        let clock = ContinuousClock()
        let start = clock.now
        let activations = try await Self.drive(drivers: 64, items: clans) { clan in _ = try await runtime.clans.read(clan) }
        let seconds = Bench.milliseconds(clock.now - start) / 1_000
        let after = BenchRuntime.residentBytes()
        print("idle clans: resident \(residentBefore) before, \(runtime.clans.residentCount) after; heap \(before) → \(after) bytes")
        print(
            String(
                format: "idle clans of 100 members: %d resident, %.0f heap bytes each; activation from a snapshot p50 %.2f ms, p99 %.2f ms, %.0f/s",
                clans.count,
                Double(after - before) / Double(clans.count),
                Bench.percentile(activations, 0.5),
                Bench.percentile(activations, 0.99),
                Double(clans.count) / seconds
            )
        )
    }

    // MARK: 4. The map

    private func map(_ storage: any Storage, _ run: String) async throws {
        var generator = SystemRandomNumberGenerator()
        let d = storage.backend == .postgres ? "now()" : "'2026-01-01T00:00:00Z'"
        for chunk in stride(from: 0, to: mapVenues, by: 500) {
            let rows = (chunk..<min(chunk + 500, mapVenues)).map { index in
                (
                    id: "map\(run)-\(index)", lat: 40 + Double.random(in: 0..<10, using: &generator),
                    lng: -5 + Double.random(in: 0..<10, using: &generator)
                )
            }
            try await storage.withSQL { db in
                let venues = rows.map { "('\($0.id)', 'Hall', \($0.lat), \($0.lng), \(d), \(d))" }.joined(separator: ",")
                try await db.raw(SQLQueryString("INSERT INTO venues (id, name, lat, lng, created_at, updated_at) VALUES \(unsafeRaw: venues)")).run()
                let territories = rows.map { "('t\($0.id)', '\($0.id)', 'Hall', 1, 0, \(d), \(d))" }.joined(separator: ",")
                try await db.raw(
                    SQLQueryString(
                        "INSERT INTO territories (id, venue_id, name, level, defense_score, created_at, updated_at) VALUES \(unsafeRaw: territories)"
                    )
                ).run()
            }
        }
        var latencies: [Double] = []
        var found = 0
        let clock = ContinuousClock()
        for _ in 0..<mapQueries {
            let south = 40 + Double.random(in: 0..<9.5, using: &generator)
            let west = -5 + Double.random(in: 0..<9.5, using: &generator)
            let start = clock.now
            found += try await storage.listTerritories(
                in: GeoBox(south: south, west: west, north: south + 0.5, east: west + 0.5),
                after: nil,
                limit: 500
            )
            .count
            latencies.append(Bench.milliseconds(clock.now - start))
        }
        latencies.sort()
        print(
            String(
                format: "map query over %d territories: 0.5° boxes, %.0f territories per answer on average, p50 %.2f ms, p99 %.2f ms",
                mapVenues,
                Double(found) / Double(mapQueries),
                Bench.percentile(latencies, 0.5),
                Bench.percentile(latencies, 0.99)
            )
        )
    }

    // MARK: Helpers

    /// Runs a command again while the actor's mailbox is full (`busy`): the storm is meant to fill it.
    static func retry<T>(_ operation: () async throws -> T) async throws -> T {
        while true {
            do {
                return try await operation()
            } catch let error as RuntimeError where error.code == .busy {
                try await Task.sleep(for: .milliseconds(2))
            }
        }
    }

    static func context(_ user: String, role: UserRole = .user) -> CommandContext {
        CommandContext(principal: .user(user, role: role), now: Timestamp(Date()))
    }

    /// Runs `body` for every item (or round the items until `until`) with `drivers` concurrent
    /// drivers; returns each call's latency in ms, sorted.
    static func drive(
        drivers: Int,
        items: [String],
        until end: ContinuousClock.Instant? = nil,
        _ body: @escaping @Sendable (String) async throws -> Void
    ) async throws -> [Double] {
        let clock = ContinuousClock()
        var latencies = try await withThrowingTaskGroup(of: [Double].self) { group in
            for driver in 0..<min(drivers, items.count) {
                // Each driver owns its items (no two drivers ever act for one player at once),
                // round and round them until `end` when one is given.
                let own = Array(stride(from: driver, to: items.count, by: drivers).map { items[$0] })
                group.addTask {
                    var latencies: [Double] = []
                    var index = 0
                    while index < own.count || end != nil {
                        if let end, clock.now >= end { break }
                        let start = clock.now
                        try await body(own[index % own.count])
                        latencies.append(Bench.milliseconds(clock.now - start))
                        index += 1
                    }
                    return latencies
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        latencies.sort()
        return latencies
    }

    static func seedUsers(_ ids: [String], _ storage: any Storage) async throws {
        let stamp = storage.backend == .postgres ? "now()" : "'2026-01-01T00:00:00Z'"
        for chunk in stride(from: 0, to: ids.count, by: 500) {
            let values = ids[chunk..<min(chunk + 500, ids.count)].map { "('\($0)', '\($0)@bench.invalid', '\($0)', 'x', \(stamp), \(stamp))" }
            try await storage.withSQL { db in
                try await db.raw(
                    SQLQueryString(
                        "INSERT INTO users (id, email, username, password_hash, created_at, updated_at) VALUES \(unsafeRaw: values.joined(separator: ","))"
                    )
                ).run()
            }
        }
    }
}
