import DojoDomain
import Foundation
import Testing

private let alice = Principal.user("alice")
private let bob = Principal.user("bob")
private let carol = Principal.user("carol")
private let admin = Principal.user("root", role: .admin)
private let system = Principal.system
private let now = Timestamp(millisecondsSince1970: 1_800_000_000_000)
private let later = Timestamp(millisecondsSince1970: now.millisecondsSince1970 + 3_600_000)
private let afterExpiry = Timestamp(millisecondsSince1970: now.millisecondsSince1970 + 86_400_000)

private func terms(stake: Int64 = 100, fee: Int = 0) -> Challenge.Terms {
    Challenge.Terms(challengerID: "alice", defenderID: "bob", stake: stake, feeBasisPoints: fee, expiresAt: afterExpiry)
}

typealias ChallengeStep = (Challenge.Command, Principal, Timestamp)

private func run(
    _ steps: [ChallengeStep],
    from start: Challenge.State = Challenge.initialState(id: "c1")
) throws -> (Challenge.State, [Challenge.Event]) {
    var state = start
    var all: [Challenge.Event] = []
    for (command, principal, at) in steps {
        let events = try Challenge.decide(state, command, CommandContext(principal: principal, now: at))
        for event in events { Challenge.apply(&state, event) }
        all += events
    }
    return (state, all)
}

private func refusal(_ steps: [ChallengeStep]) -> String? {
    do {
        _ = try run(steps)
        return nil
    } catch let error as DomainError {
        return error.code
    } catch {
        return "\(error)"
    }
}

private let created: [ChallengeStep] = [(.create(terms()), alice, now)]
private let accepting: [ChallengeStep] = created + [(.accept(matchID: "m1"), bob, now)]
private let accepted: [ChallengeStep] = accepting + [(.escrowResult(attempt: 1, failure: nil), system, now)]
private let short = Challenge.EscrowFailure(code: "ledger.insufficient_funds", message: "short", debited: [.challenger])

@Suite("Challenge: every transition, legal and illegal")
struct ChallengeTests {
    @Test("create → accept → escrowed → settled: the winner gets the pot minus the fee")
    func happyPath() throws {
        let (state, events) = try run(
            [(.create(terms(stake: 100, fee: 250)), alice, now), (.accept(matchID: "m1"), bob, now)]
                + [(.escrowResult(attempt: 1, failure: nil), system, now), (.matchEnded(matchID: "m1", winnerID: "bob"), system, later)]
        )
        #expect(state.status == .settled && state.winnerID == "bob" && state.matchID == "m1")
        #expect(events.last == .settled(matchID: "m1", winnerID: "bob", prize: 195, fee: 5, at: later))
        #expect(events.map(Challenge.eventType) == ["challenge.created", "challenge.accept_requested", "challenge.accepted", "challenge.settled"])
        // Replay equals live state.
        #expect(Challenge.replay(events, from: Challenge.initialState(id: "c1")) == state)
    }

    @Test("a friendly challenge (no stake) is accepted at once; a cancelled match refunds")
    func friendlyAndRefund() throws {
        let (friendly, events) = try run([(.create(terms(stake: 0)), alice, now), (.accept(matchID: "m1"), bob, now)])
        #expect(friendly.status == .accepted && events.last == .accepted(matchID: "m1", at: now))
        let (refunded, _) = try run(accepted + [(.matchEnded(matchID: "m1", winnerID: nil), system, later)])
        #expect(refunded.status == .refunded && !refunded.isOpen)
    }

    @Test("a failed escrow goes back to PENDING with whose stake moved; a later accept is a new attempt; after the expiry it expires")
    func escrowFailure() throws {
        let (state, events) = try run(accepting + [(.escrowResult(attempt: 1, failure: short), system, now)])
        #expect(state.status == .pending && state.lastFailure == short && state.matchID == nil)
        #expect(events.last == .acceptFailed(attempt: 1, failure: short, at: now))
        let (retried, _) = try run([(.accept(matchID: "m2"), bob, now)], from: state)
        #expect(retried.status == .accepting && retried.attempt == 2 && retried.matchID == "m2")
        // A report for the old attempt, or a repeat, changes nothing.
        #expect(try run([(.escrowResult(attempt: 1, failure: nil), system, now)], from: retried).1.isEmpty)
        let (late, lateEvents) = try run(accepting + [(.escrowResult(attempt: 1, failure: short), system, afterExpiry)])
        #expect(late.status == .expired && lateEvents.suffix(2).map(Challenge.eventType) == ["challenge.accept_failed", "challenge.expired"])
    }

    @Test("decline, withdraw and expire only while PENDING; the expiry only from the server (its timer)")
    func endings() throws {
        #expect(try run(created + [(.decline, bob, now)]).0.status == .declined)
        #expect(try run(created + [(.withdraw, alice, now)]).0.status == .withdrawn)
        #expect(try run(created + [(.decline, admin, now)]).0.status == .declined)
        #expect(try run(created + [(.expire, system, afterExpiry)]).0.status == .expired)
        // Once accepted: nothing happens (the timer may fire late or twice). The timer is the
        // clock: due at the expiry, it expires a pending challenge whatever this node's clock says.
        #expect(try run(created + [(.expire, system, later)]).0.status == .expired)
        #expect(try run(created + [(.expire, system, afterExpiry), (.expire, system, afterExpiry)]).1.count == 2)
        #expect(try run(accepted + [(.expire, system, afterExpiry)]).0.status == .accepted)
        #expect(try run(accepting + [(.expire, system, afterExpiry)]).0.status == .accepting)
        #expect(refusal(created + [(.expire, alice, afterExpiry)]) == "forbidden")
    }

    @Test(
        "illegal commands: each refused with its code",
        arguments: [
            ("self", [(.create(Challenge.Terms(challengerID: "alice", defenderID: "alice", expiresAt: afterExpiry)), alice, now)], "challenge.self"),
            ("for someone else", [(.create(terms()), carol, now)], "forbidden"),
            ("twice", created + created, "challenge.already_exists"),
            ("negative stake", [(.create(terms(stake: -1)), alice, now)], "challenge.invalid_stake"),
            ("huge stake", [(.create(terms(stake: Account.maximumAmount)), alice, now)], "challenge.invalid_stake"),
            ("fee", [(.create(terms(fee: 10_001)), alice, now)], "challenge.invalid_fee"),
            ("past expiry", [(.create(terms()), alice, afterExpiry)], "challenge.invalid_expiry"),
            (
                "race", [(.create(Challenge.Terms(challengerID: "alice", defenderID: "bob", raceTo: 0, expiresAt: afterExpiry)), alice, now)],
                "match.invalid_race"
            ),
            (
                "table without venue",
                [(.create(Challenge.Terms(challengerID: "alice", defenderID: "bob", tableID: "t1", expiresAt: afterExpiry)), alice, now)],
                "challenge.table_without_venue"
            ),
            (
                "bad id", [(.create(Challenge.Terms(challengerID: "alice", defenderID: "b b", expiresAt: afterExpiry)), alice, now)],
                "challenge.invalid_id"
            ),
            ("unknown", [(.accept(matchID: "m1"), bob, now)], "challenge.not_found"),
            ("accept by the challenger", created + [(.accept(matchID: "m1"), alice, now)], "forbidden"),
            ("accept by a stranger", created + [(.accept(matchID: "m1"), carol, now)], "forbidden"),
            ("second accept", accepting + [(.accept(matchID: "m2"), bob, now)], "challenge.not_pending"),
            ("accept after accepted", accepted + [(.accept(matchID: "m2"), bob, now)], "challenge.not_pending"),
            ("accept after the expiry", created + [(.accept(matchID: "m1"), bob, afterExpiry)], "challenge.expired"),
            ("withdraw by the defender", created + [(.withdraw, bob, now)], "forbidden"),
            ("withdraw once accepting", accepting + [(.withdraw, alice, now)], "challenge.not_pending"),
            ("decline by the challenger", created + [(.decline, alice, now)], "forbidden"),
            ("decline once accepted", accepted + [(.decline, bob, now)], "challenge.not_pending"),
            ("a player reports an escrow", accepting + [(.escrowResult(attempt: 1, failure: nil), bob, now)], "forbidden"),
            ("a player settles", accepted + [(.matchEnded(matchID: "m1", winnerID: "bob"), bob, now)], "forbidden"),
            ("a stranger wins", accepted + [(.matchEnded(matchID: "m1", winnerID: "carol"), system, now)], "challenge.wrong_winner"),
        ] as [(String, [ChallengeStep], String)]
    )
    func illegal(_ name: String, _ steps: [ChallengeStep], _ code: String) {
        #expect(refusal(steps) == code, "\(name)")
    }

    @Test("the match of another challenge, or a settled one, changes nothing")
    func staleMatchEnd() throws {
        #expect(try run(accepted + [(.matchEnded(matchID: "m9", winnerID: "bob"), system, now)]).0.status == .accepted)
        let (settled, _) = try run(accepted + [(.matchEnded(matchID: "m1", winnerID: "bob"), system, now)])
        #expect(try run([(.matchEnded(matchID: "m1", winnerID: "alice"), system, now)], from: settled).1.isEmpty)
    }

    @Test("random sequences of commands from anyone never pay twice, never leave the statuses' order")
    func randomSequences() {
        var generator = SystemRandomNumberGenerator()
        let principals = [alice, bob, carol, admin, system]
        for _ in 0..<2_000 {
            var state = Challenge.initialState(id: "c1")
            var paid = 0
            var at = now
            for _ in 0..<12 {
                let commands: [Challenge.Command] = [
                    .create(terms()), .accept(matchID: "m\(Int.random(in: 1...2, using: &generator))"), .decline, .withdraw, .expire,
                    .escrowResult(attempt: Int.random(in: 1...2, using: &generator), failure: Bool.random(using: &generator) ? short : nil),
                    .matchEnded(matchID: "m1", winnerID: ["alice", "bob", nil].randomElement(using: &generator)!),
                ]
                at = Timestamp(millisecondsSince1970: at.millisecondsSince1970 + Int64.random(in: 0...20_000_000, using: &generator))
                let before = state.status
                guard
                    let events = try? Challenge.decide(
                        state,
                        commands.randomElement(using: &generator)!,
                        CommandContext(principal: principals.randomElement(using: &generator)!, now: at)
                    )
                else { continue }
                for event in events {
                    Challenge.apply(&state, event)
                    if case .settled = event { paid += 1 }
                    if case .refunded = event { paid += 1 }
                }
                // Finished challenges stay finished.
                if [.declined, .withdrawn, .expired, .settled, .refunded].contains(before) { #expect(state.status == before) }
            }
            #expect(paid <= 1)
        }
    }
}
