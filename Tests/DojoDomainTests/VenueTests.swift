import DojoDomain
import Foundation
import Testing

private let owner = Principal.user("owner", role: .venueAdmin)
private let staff = Principal.user("staff")
private let player = Principal.user("alice")
private let admin = Principal.user("root", role: .admin)
private let now = Timestamp(millisecondsSince1970: 1_800_000_000_000)

private func run(_ commands: [(Venue.Command, Principal)]) throws -> (Venue.State, [Venue.Event]) {
    var state = Venue.initialState(id: "hall")
    var all: [Venue.Event] = []
    for (command, principal) in commands {
        let events = try Venue.decide(state, command, CommandContext(principal: principal, now: now))
        for event in events { Venue.apply(&state, event) }
        all += events
    }
    return (state, all)
}

private let registered: [(Venue.Command, Principal)] = [
    (.register(name: "The Hall", location: .init(lat: 51.5, lng: -0.12), address: "1 Cue St", ownerID: nil), owner),
    (.addTable(id: "t1", name: "Table 1"), owner),
    (.addTable(id: "t2", name: "Table 2"), owner),
]
private let occupied = registered + [(.occupyTable(tableID: "t1", matchID: "m1"), .system)]

@Suite("Venue: decide and apply")
struct VenueTests {
    @Test("who may put a match on a table: staff, a checked-in player (12 hours), anyone with open tables; a move transfers once")
    func tableRules() throws {
        let (venue, _) = try run(registered + [(.checkIn(userID: "alice", method: .qr), player)])
        func allowed(_ principal: Principal, _ venue: Venue.State, at time: Timestamp = now) -> Bool {
            (try? AccessPolicy.check(principal, .useTable(venue, tableID: "t1", players: ["alice", "bob"], now: time))) != nil
        }
        #expect(allowed(owner, venue) && allowed(admin, venue) && allowed(player, venue))
        #expect(!allowed(.user("bob"), venue), "a player not checked in")
        #expect(!allowed(.user("carol"), venue), "a stranger")
        let later = Timestamp(millisecondsSince1970: now.millisecondsSince1970 + Venue.checkInValidityMilliseconds)
        #expect(!allowed(player, venue, at: later), "a check-in lasts 12 hours")
        let (open, _) = try run(registered + [(.setOpenTables(true), owner)])
        #expect(allowed(.user("carol"), open))
        #expect(throws: DomainError.self) { try run(registered + [(.setOpenTables(true), player)]) }
        #expect(!venue.view.openTables && open.view.openTables)

        // A move applies the release and the occupation together, and a repeat changes nothing.
        let (moved, events) = try run(occupied + [(.transferMatch(matchID: "m1", from: "t1", to: "t2"), .system)])
        #expect(
            events.suffix(2) == [
                .tableReleased(tableID: "t1", matchID: "m1", at: now), .tableOccupied(tableID: "t2", matchID: "m1", at: now),
            ]
        )
        #expect(moved.table("t1")?.liveMatches == [] && moved.table("t2")?.liveMatches == ["m1"])
        #expect(try Venue.decide(moved, .transferMatch(matchID: "m1", from: "t1", to: "t2"), CommandContext(principal: .system, now: now)).isEmpty)
        #expect(throws: DomainError.self) { try run(occupied + [(.transferMatch(matchID: "m1", from: "t1", to: "t2"), owner)]) }
    }

    struct Illegal: CustomTestStringConvertible, Sendable {
        var name: String
        var before: [(Venue.Command, Principal)]
        var command: Venue.Command
        var principal: Principal
        var code: String
        var testDescription: String { name }
    }

    static let illegal: [Illegal] = [
        Illegal(name: "command before register", before: [], command: .addTable(id: "t1", name: "T"), principal: owner, code: "venue.not_found"),
        Illegal(
            name: "register by a plain user",
            before: [],
            command: .register(name: "X", location: .init(lat: 0, lng: 0), address: nil, ownerID: nil),
            principal: player,
            code: "forbidden"
        ),
        Illegal(
            name: "register twice",
            before: registered,
            command: .register(name: "X", location: .init(lat: 0, lng: 0), address: nil, ownerID: nil),
            principal: owner,
            code: "venue.already_exists"
        ),
        Illegal(
            name: "latitude out of range",
            before: [],
            command: .register(name: "X", location: .init(lat: 91, lng: 0), address: nil, ownerID: nil),
            principal: owner,
            code: "venue.invalid_location"
        ),
        Illegal(
            name: "blank name",
            before: [],
            command: .register(name: "  ", location: .init(lat: 0, lng: 0), address: nil, ownerID: nil),
            principal: owner,
            code: "venue.invalid_text"
        ),
        Illegal(name: "table added by a stranger", before: registered, command: .addTable(id: "t9", name: "T"), principal: player, code: "forbidden"),
        Illegal(name: "duplicate table", before: registered, command: .addTable(id: "t1", name: "T"), principal: owner, code: "venue.table_exists"),
        Illegal(name: "malformed table id", before: registered, command: .addTable(id: "t/1", name: "T"), principal: owner, code: "venue.invalid_id"),
        Illegal(
            name: "maintenance on an unknown table",
            before: registered,
            command: .setMaintenance(tableID: "t9", on: true),
            principal: owner,
            code: "venue.unknown_table"
        ),
        Illegal(
            name: "maintenance on an occupied table",
            before: occupied,
            command: .setMaintenance(tableID: "t1", on: true),
            principal: owner,
            code: "venue.table_occupied"
        ),
        Illegal(
            name: "maintenance by a player",
            before: registered,
            command: .setMaintenance(tableID: "t1", on: true),
            principal: player,
            code: "forbidden"
        ),
        Illegal(
            name: "occupancy set by a user",
            before: registered,
            command: .occupyTable(tableID: "t1", matchID: "m1"),
            principal: admin,
            code: "forbidden"
        ),
        Illegal(
            name: "release by a user",
            before: occupied,
            command: .releaseTable(tableID: "t1", matchID: "m1"),
            principal: owner,
            code: "forbidden"
        ),
        Illegal(
            name: "grant admin by a venue admin who is not the owner",
            before: registered + [(.grantAdmin(userID: "staff"), owner)],
            command: .grantAdmin(userID: "other"),
            principal: staff,
            code: "forbidden"
        ),
        Illegal(
            name: "check in someone else",
            before: registered,
            command: .checkIn(userID: "bob", method: .qr),
            principal: player,
            code: "forbidden"
        ),
        Illegal(
            name: "ADMIN check-in by the player",
            before: registered,
            command: .checkIn(userID: "alice", method: .admin),
            principal: player,
            code: "forbidden"
        ),
    ]

    @Test("an illegal command gets a typed error", arguments: illegal)
    func illegalCommand(_ case_: Illegal) throws {
        let (state, _) = try run(case_.before)
        #expect {
            _ = try Venue.decide(state, case_.command, CommandContext(principal: case_.principal, now: now))
        } throws: { error in
            (error as? DomainError)?.code == case_.code
        }
    }

    @Test("register, tables, maintenance, admins, check-ins")
    func lifecycle() throws {
        let (state, events) = try run(
            registered + [
                (.setMaintenance(tableID: "t2", on: true), owner),
                (.grantAdmin(userID: "staff"), owner),
                (.setMaintenance(tableID: "t2", on: false), staff),
                (.checkIn(userID: "alice", method: .qr), player),
                (.checkIn(userID: "bob", method: .admin), staff),
            ]
        )
        #expect(state.ownerID == "owner" && state.admins == ["staff"] && state.checkIns == 2)
        #expect(state.tables.map(\.status) == [.available, .available])
        #expect(events.count == 8)
    }

    @Test("two matches' reactions in any order: the table stays occupied until both ended")
    func interleavedMatches() throws {
        let (state, _) = try run(
            occupied + [
                (.occupyTable(tableID: "t1", matchID: "m2"), .system),
                (.releaseTable(tableID: "t1", matchID: "m1"), .system),
            ]
        )
        #expect(state.table("t1")?.status == .occupied && state.table("t1")?.liveMatches == ["m2"])
    }

    @Test("occupancy follows matches; repeats change nothing; a release by another match is ignored")
    func occupancy() throws {
        var (state, _) = try run(occupied)
        #expect(state.table("t1")?.status == .occupied)
        let system = CommandContext(principal: .system, now: now)
        #expect(try Venue.decide(state, .occupyTable(tableID: "t1", matchID: "m1"), system).isEmpty)
        #expect(try Venue.decide(state, .releaseTable(tableID: "t1", matchID: "m2"), system).isEmpty)
        for event in try Venue.decide(state, .releaseTable(tableID: "t1", matchID: "m1"), system) { Venue.apply(&state, event) }
        #expect(state.table("t1")?.status == .available)
        #expect(try Venue.decide(state, .releaseTable(tableID: "t1", matchID: "m1"), system).isEmpty)
    }

    @Test("a table in maintenance that a match occupies shows OCCUPIED, then MAINTENANCE again")
    func maintenanceAndOccupancy() throws {
        let (state, _) = try run(
            registered + [
                (.setMaintenance(tableID: "t1", on: true), owner),
                (.occupyTable(tableID: "t1", matchID: "m1"), .system),
            ]
        )
        #expect(state.table("t1")?.status == .occupied)
        let (after, _) = try run(
            registered + [
                (.setMaintenance(tableID: "t1", on: true), owner),
                (.occupyTable(tableID: "t1", matchID: "m1"), .system),
                (.releaseTable(tableID: "t1", matchID: "m1"), .system),
            ]
        )
        #expect(after.table("t1")?.status == .maintenance)
    }

    @Test("replay equals live")
    func replay() throws {
        let (live, events) = try run(occupied + [(.grantAdmin(userID: "staff"), owner), (.revokeAdmin(userID: "staff"), admin)])
        let decoded = try JSONDecoder().decode([Venue.Event].self, from: JSONEncoder().encode(events))
        #expect(Venue.replay(decoded, from: Venue.initialState(id: "hall")) == live)
    }
}

@Suite("Reactions")
struct ReactionTests {
    @Test("a match at a table occupies it when it starts and frees it when it ends; without a table, nothing")
    func matchToVenue() throws {
        var state = Match.initialState(id: "m1")
        let terms = Match.Terms(playerA: "a", playerB: "b", gameType: .eightBall, raceTo: 1, venueID: "hall", tableID: "t1")
        Match.apply(&state, .created(terms: terms, scorer: "a", createdBy: "a", at: now))
        #expect(Reactions.onMatchEvent(.cancelled(reason: nil, at: now), state: state).isEmpty)  // never started
        Match.apply(&state, .started(at: now))
        #expect(
            Reactions.onMatchEvent(.started(at: now), state: state) == [.init(venueID: "hall", command: .occupyTable(tableID: "t1", matchID: "m1"))]
        )
        #expect(Reactions.onMatchEvent(.rackStarted(rack: 1, breaker: .a, at: now), state: state).isEmpty)
        let completed = Match.Event.completed(winner: .a, scoreA: 1, scoreB: 0, reason: nil, at: now)
        #expect(Reactions.onMatchEvent(completed, state: state) == [.init(venueID: "hall", command: .releaseTable(tableID: "t1", matchID: "m1"))])

        var free = Match.initialState(id: "m2")
        Match.apply(&free, .created(terms: .init(playerA: "a", playerB: "b", gameType: .eightBall, raceTo: 1), scorer: "a", createdBy: "a", at: now))
        #expect(Reactions.onMatchEvent(.started(at: now), state: free).isEmpty)
    }
}
