import DojoDomain
import Foundation
import Testing

private let alice = Principal.user("alice")
private let bob = Principal.user("bob")
private let carol = Principal.user("carol")
private let dave = Principal.user("dave")
private let root = Principal.user("root", role: .admin)
private let now = Timestamp(millisecondsSince1970: 1_800_000_000_000)

/// Runs commands from the initial state; every event is applied as it is decided.
private func run(_ commands: [(Clan.Command, Principal)], from start: Clan.State = Clan.initialState(id: "k1")) throws -> (Clan.State, [Clan.Event]) {
    var state = start
    var all: [Clan.Event] = []
    for (command, principal) in commands {
        let events = try Clan.decide(state, command, CommandContext(principal: principal, now: now))
        for event in events { Clan.apply(&state, event) }
        all += events
    }
    return (state, all)
}

/// Alice leads; bob is an officer, carol a member, dave asked to join.
private let founded: [(Clan.Command, Principal)] = [
    (.create(name: "  The Breakers ", description: "Tuesday nights"), alice),
    (.invite(userID: "bob"), alice), (.accept(userID: "bob"), bob),
    (.requestToJoin, carol), (.accept(userID: "carol"), alice),
    (.setRole(userID: "bob", role: .officer), alice),
    (.requestToJoin, dave),
]

private func refusal(_ commands: [(Clan.Command, Principal)]) -> String? {
    do {
        _ = try run(commands)
        return nil
    } catch let error as DomainError {
        return error.code
    } catch {
        return "\(error)"
    }
}

@Suite("Clan: decide and apply")
struct ClanTests {
    @Test("founding, invitations, requests, roles: the state after them")
    func founding() throws {
        let (state, events) = try run(founded)
        #expect(state.exists && state.name == "The Breakers" && state.leaderID == "alice")
        #expect(state.members.keys.sorted() == ["alice", "bob", "carol"])
        #expect(state.members["bob"]?.role == .officer && state.members["carol"]?.role == .member && state.members["alice"]?.role == .coleader)
        #expect(state.requests.keys.sorted() == ["dave"] && state.invitations.isEmpty)
        #expect(state.rank(of: "alice") == 3 && state.rank(of: "bob") == 1 && state.rank(of: "carol") == 0 && state.rank(of: "dave") == nil)
        #expect(
            events.map(Clan.eventType) == [
                "clan.created", "clan.invited", "clan.member_joined", "clan.join_requested", "clan.member_joined", "clan.role_changed",
                "clan.join_requested",
            ]
        )
        #expect(Clan.replay(events, from: Clan.initialState(id: "k1")) == state, "replay == live")
        #expect(state.view.memberCount == 3)
    }

    @Test("an invitation meets a request: whoever comes second makes the player a member")
    func crossing() throws {
        let (a, _) = try run(founded + [(.invite(userID: "dave"), bob)])
        #expect(a.isMember("dave") && a.requests.isEmpty)
        let (b, _) = try run(founded + [(.invite(userID: "erin"), bob), (.requestToJoin, .user("erin"))])
        #expect(b.isMember("erin") && b.invitations.isEmpty)
    }

    @Test("repeats change nothing: a second invitation, request, decline, the same role")
    func idempotent() throws {
        let (state, _) = try run(founded)
        for (command, principal) in [
            (Clan.Command.requestToJoin, dave), (.accept(userID: "carol"), alice), (.decline(userID: "nobody"), alice),
            (.setRole(userID: "bob", role: .officer), alice), (.transferLeadership(userID: "alice"), alice),
            (.describe(description: "Tuesday nights"), alice),
        ] {
            #expect(try Clan.decide(state, command, CommandContext(principal: principal, now: now)).isEmpty, "\(command)")
        }
        let (invited, _) = try run(founded + [(.invite(userID: "erin"), alice)])
        #expect(try Clan.decide(invited, .invite(userID: "erin"), CommandContext(principal: bob, now: now)).isEmpty)
    }

    @Test(
        "who may do what, by rank: every refusal has its code and changes nothing",
        arguments: [
            // Ranks
            ([(Clan.Command.invite(userID: "erin"), carol)], "forbidden"),  // a member does not recruit
            ([(.accept(userID: "dave"), carol)], "forbidden"),
            ([(.decline(userID: "dave"), carol)], "forbidden"),
            ([(.kick(userID: "alice"), bob)], "forbidden"),  // a member kicking the leader
            ([(.kick(userID: "bob"), carol)], "forbidden"),  // below the officer
            ([(.kick(userID: "carol"), carol)], "clan.kick_self"),
            ([(.setRole(userID: "carol", role: .officer), bob)], "forbidden"),  // an officer gives only roles below their own
            ([(.setRole(userID: "carol", role: .coleader), carol)], "forbidden"),
            ([(.setRole(userID: "bob", role: .coleader), alice), (.setRole(userID: "carol", role: .coleader), bob)], "forbidden"),
            ([(.setRole(userID: "alice", role: .member), bob)], "clan.leader_role"),
            ([(.transferLeadership(userID: "bob"), bob)], "forbidden"),
            ([(.disband, bob)], "forbidden"),
            ([(.describe(description: "x"), bob)], "forbidden"),  // co-leaders and the leader describe
            // State
            ([(.create(name: "Again", description: nil), alice)], "clan.already_exists"),
            ([(.invite(userID: "carol"), alice)], "clan.already_member"),
            ([(.requestToJoin, carol)], "clan.already_member"),
            ([(.accept(userID: "erin"), .user("erin"))], "clan.no_invitation"),
            ([(.accept(userID: "erin"), alice)], "clan.no_request"),
            ([(.leave, dave)], "clan.not_member"),
            ([(.leave, alice)], "clan.leader_must_transfer"),
            ([(.kick(userID: "dave"), alice)], "clan.not_member"),
            ([(.setRole(userID: "dave", role: .officer), alice)], "clan.not_member"),
            ([(.transferLeadership(userID: "dave"), alice)], "clan.not_member"),
            ([(.disband, alice), (.requestToJoin, .user("erin"))], "clan.disbanded"),
            ([(.disband, alice), (.leave, bob)], "clan.disbanded"),
            // Input
            ([(.invite(userID: "no spaces"), alice)], "clan.invalid_id"),
            ([(.describe(description: String(repeating: "x", count: 501)), alice)], "clan.invalid_description"),
            ([(.describe(description: "bell \u{7}"), alice)], "clan.invalid_description"),
        ] as [([(Clan.Command, Principal)], String)]
    )
    func refusals(_ commands: [(Clan.Command, Principal)], _ code: String) throws {
        let (before, _) = try run(founded)
        #expect(refusal(founded + commands) == code)
        // Nothing changed: the commands before the refused one still give the same state.
        let (state, _) = try run(founded + commands.dropLast())
        #expect(state == (commands.count == 1 ? before : state))
    }

    @Test("a clan that does not exist refuses everything but its creation")
    func missing() {
        for command in [Clan.Command.requestToJoin, .leave, .disband, .invite(userID: "bob")] {
            #expect(refusal([(command, alice)]) == "clan.not_found")
        }
        #expect(refusal([(.create(name: "Breakers", description: nil), .system)]) == "forbidden")
    }

    @Test(
        "names: 3–32 characters of letters, digits, spaces and - _ ' . &",
        arguments: [
            ("ab", false), ("abc", true), (String(repeating: "x", count: 32), true), (String(repeating: "x", count: 33), false),
            ("Los Tiburones", true), ("Ōkami-Kai", true), ("Rock & Roll", true), ("Zero\u{0}Byte", false), ("tab\there", false),
            ("🎱🎱🎱", false), ("<script>", false), ("   ", false), ("invisible\u{200B}x", false), ("日本語チーム", true),
        ]
    )
    func names(_ name: String, _ valid: Bool) {
        #expect((refusal([(.create(name: name, description: nil), alice)]) == nil) == valid)
    }

    @Test(
        "names that collide after normalisation are one name",
        arguments: [
            ("Breakers", "BREAKERS"), ("Breakers", "  breakers  "), ("Ｂｒｅａｋｅｒｓ", "breakers"), ("The  Breakers", "the breakers"),
            ("Café", "Cafe\u{301}"), ("Straße", "STRASSE"),
        ]
    )
    func normalisation(_ a: String, _ b: String) {
        #expect(Clan.normalizedName(a) == Clan.normalizedName(b))
    }

    @Test("ranks: the leader does anything; a co-leader manages officers; ADMIN moderates")
    func ranks() throws {
        let (withColeader, _) = try run(founded + [(.setRole(userID: "bob", role: .coleader), alice)])
        // A co-leader promotes a member to officer, not to co-leader, and removes officers.
        #expect(refusal(founded + [(.setRole(userID: "bob", role: .coleader), alice), (.setRole(userID: "carol", role: .officer), bob)]) == nil)
        #expect(withColeader.members["bob"]?.role == .coleader)
        // ADMIN removes anyone but cannot be "left" as a member; disbands.
        let (kicked, _) = try run(founded + [(.kick(userID: "bob"), root)])
        #expect(!kicked.isMember("bob"))
        let (gone, events) = try run(founded + [(.disband, root)])
        #expect(gone.disbanded && !gone.isMember("alice") && events.last.map(Clan.eventType) == "clan.disbanded")
        #expect(events.last?.departed(from: gone).sorted() == ["alice", "bob", "carol"])
    }

    @Test("leadership moves; the old leader stays as co-leader and may then leave; the last member's leaving disbands")
    func leadership() throws {
        let (state, _) = try run(founded + [(.transferLeadership(userID: "carol"), alice), (.leave, alice)])
        #expect(state.leaderID == "carol" && state.members["carol"]?.role == .coleader && !state.isMember("alice"))
        let (solo, events) = try run([(.create(name: "Solo", description: nil), alice), (.leave, alice)])
        #expect(solo.disbanded && events.map(Clan.eventType) == ["clan.created", "clan.disbanded"])
    }

    @Test("who a command makes a member (the player whose one clan the runtime reserves)")
    func joiner() throws {
        let (state, _) = try run(founded + [(.invite(userID: "erin"), alice)])
        #expect(Clan.initialState(id: "k9").joiner(of: .create(name: "x", description: nil), principal: alice) == "alice")
        #expect(state.joiner(of: .accept(userID: "dave"), principal: alice) == "dave")
        #expect(state.joiner(of: .accept(userID: "erin"), principal: .user("erin")) == "erin")
        #expect(state.joiner(of: .requestToJoin, principal: .user("erin")) == "erin")
        #expect(state.joiner(of: .invite(userID: "dave"), principal: alice) == "dave")
        #expect(state.joiner(of: .requestToJoin, principal: .user("frank")) == nil)
        #expect(state.joiner(of: .invite(userID: "frank"), principal: alice) == nil)
        #expect(state.joiner(of: .kick(userID: "carol"), principal: alice) == nil)
    }

    @Test("the limits: members and pending applications")
    func limits() throws {
        var state = try run(founded).0
        for index in 0..<(Clan.maximumMembers - state.members.count) {
            Clan.apply(&state, .joined(userID: "p\(index)", role: .member, at: now))
        }
        #expect(throws: DomainError.self) { try Clan.decide(state, .accept(userID: "dave"), CommandContext(principal: alice, now: now)) }
        var pending = try run(founded).0
        for index in 0..<(Clan.maximumPending - 1) { Clan.apply(&pending, .invited(userID: "i\(index)", by: "alice", at: now)) }
        #expect(throws: DomainError(.conflict, "clan.too_many_pending", "a clan has at most 1000 open invitations and requests")) {
            try Clan.decide(pending, .invite(userID: "erin"), CommandContext(principal: alice, now: now))
        }
    }
}

@Suite("Clan wars: decide and apply")
struct ClanWarTests {
    private static let declared: [(Clan.Command, Principal)] = founded + [(.declareWar(warID: "w1", opponentID: "k2", target: 2, hours: 24), alice)]

    private static func terms(_ state: Clan.State) -> Clan.War { state.wars.first { $0.id == "w1" }! }

    @Test("declaring: the leader or a co-leader, another clan, a target and a window in range, one war per opponent")
    func declaring() throws {
        let (state, events) = try run(Self.declared)
        let war = Self.terms(state)
        #expect(war.opponentID == "k2" && war.declaredBy == "k1" && war.defenderID == "k2" && war.status == .active)
        #expect(war.endsAt.millisecondsSince1970 - war.startsAt.millisecondsSince1970 == 24 * 3_600_000)
        #expect(events.last.map(Clan.eventType) == "clan.war_started")
        #expect(refusal(founded + [(.declareWar(warID: "w1", opponentID: "k2", target: 2, hours: 24), bob)]) == "forbidden")
        #expect(refusal(founded + [(.declareWar(warID: "w1", opponentID: "k1", target: 2, hours: 24), alice)]) == "clan.war_self")
        #expect(refusal(founded + [(.declareWar(warID: "w1", opponentID: "k2", target: 0, hours: 24), alice)]) == "clan.invalid_war")
        #expect(refusal(founded + [(.declareWar(warID: "w1", opponentID: "k2", target: 2, hours: 721), alice)]) == "clan.invalid_war")
        #expect(refusal(Self.declared + [(.declareWar(warID: "w2", opponentID: "k2", target: 2, hours: 24), alice)]) == "clan.war_exists")
        #expect(
            try Clan.decide(state, .declareWar(warID: "w1", opponentID: "k2", target: 2, hours: 24), CommandContext(principal: alice, now: now))
                .isEmpty
        )
        let five = (1...5).map { (Clan.Command.declareWar(warID: "w\($0)", opponentID: "c\($0)", target: 1, hours: 1), alice) }
        #expect(refusal(founded + five + [(.declareWar(warID: "w9", opponentID: "c9", target: 1, hours: 1), alice)]) == "clan.too_many_wars")
    }

    @Test("matches count from both sides, once each, within the window; the target ends the war; the results are the same on both sides")
    func scoring() throws {
        let (k1, _) = try run(Self.declared)
        let war = Self.terms(k1)
        let other = Clan.initialState(id: "k2")
        var k2 = try run([(.create(name: "Sharks", description: nil), carol)], from: other).0
        // k2 has not heard of the war yet (the reactions race): the first result starts it.
        func record(_ state: inout Clan.State, _ match: String, winner: String, at: Timestamp = now) throws -> [Clan.Event] {
            let events = try Clan.decide(
                state,
                .recordWarMatch(war: war.terms(for: state.id), matchID: match, winnerClanID: winner, at: at),
                CommandContext(principal: .system, now: now)
            )
            for event in events { Clan.apply(&state, event) }
            return events
        }
        var k1State = k1
        #expect(try record(&k2, "m1", winner: "k2").map(Clan.eventType) == ["clan.war_started", "clan.war_scored"])
        #expect(try record(&k1State, "m1", winner: "k2").map(Clan.eventType) == ["clan.war_scored"])
        #expect(try record(&k1State, "m1", winner: "k2").isEmpty, "a redelivered result")
        let late = Timestamp(millisecondsSince1970: war.endsAt.millisecondsSince1970 + 1)
        #expect(try record(&k1State, "m-late", winner: "k1", at: late).isEmpty, "a match after the window")
        #expect(try record(&k1State, "m2", winner: "k2").map(Clan.eventType) == ["clan.war_scored", "clan.war_ended"])
        _ = try record(&k2, "m2", winner: "k2")
        #expect(Self.terms(k1State).status == .lost && Self.terms(k2).status == .won && k2.warWins == 1 && k1State.warWins == 0)
        #expect(Self.terms(k2).ours == 2 && Self.terms(k2).theirs == 0 && Self.terms(k1State).theirs == 2)
        #expect(try record(&k1State, "m3", winner: "k1").isEmpty, "an ended war counts nothing")
        #expect(throws: DomainError.self) {
            try Clan.decide(k1, .recordWarMatch(war: war, matchID: "m9", winnerClanID: "k1", at: now), CommandContext(principal: alice, now: now))
        }
    }

    @Test("the deadline ends the war on the scores it has (won, lost or drawn), once; only the system ends it")
    func deadline() throws {
        let (k1, _) = try run(Self.declared)
        let system = CommandContext(principal: .system, now: now)
        let ended = try Clan.decide(k1, .endWar(warID: "w1"), system)
        #expect(ended == [.warEnded(warID: "w1", result: .drawn, ours: 0, theirs: 0, reason: "deadline", at: now)])
        var after = k1
        for event in ended { Clan.apply(&after, event) }
        #expect(try Clan.decide(after, .endWar(warID: "w1"), system).isEmpty)
        #expect(try Clan.decide(k1, .endWar(warID: "unknown"), system).isEmpty)
        #expect(throws: DomainError.self) { try Clan.decide(k1, .endWar(warID: "w1"), CommandContext(principal: alice, now: now)) }
        #expect(Clan.replay(ended, from: k1) == after)
    }

    @Test("the declared-upon clan hears of the war once, from the declaring clan's event")
    func reaction() throws {
        let (k1, events) = try run(Self.declared)
        let reactions = Reactions.onClanEvent(events.last!, clanID: "k1")
        #expect(reactions.count == 1 && reactions.first?.clanID == "k2")
        guard case .warDeclaredAgainst(let war) = reactions.first?.command else {
            Issue.record("no war")
            return
        }
        #expect(war.opponentID == "k1" && war.declaredBy == "k1")
        #expect(Reactions.onClanEvent(.warStarted(war: war, at: now), clanID: "k2").isEmpty, "the defender does not echo it back")
        #expect(k1.view.activeWars == 1)
    }
}
