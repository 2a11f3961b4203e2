import DojoDomain
import Foundation
import Testing

private func players(_ n: Int) -> [String] { (1...n).map { "p\($0)" } }

/// Plays a bracket to the end with random results (or `winner` deciding), checking every round as it
/// goes. Returns the bracket and how many matches were played.
private func playOut(
    _ bracket: Bracket,
    seed: UInt64,
    winner: ((Bracket.Slot, Bracket.Resolved) -> Match.Side)? = nil
) -> (Bracket, played: Int) {
    var bracket = bracket
    var random = SplitMix64(seed: seed)
    var played = 0
    while true {
        let resolved = bracket.resolve()
        let ready = resolved.indices.filter { resolved[$0].isReady }
        if ready.isEmpty { break }
        // Any ready slot may finish first: a bracket must not depend on the order of the results.
        // Some of the ready slots finish (a random number, in a random order) before the next look.
        var order = ready
        order.shuffle(using: &random)
        for slot in order.prefix(1 + Int(random.next() % UInt64(order.count))) {
            let side = winner?(bracket.slots[slot], resolved[slot]) ?? (random.next().isMultiple(of: 2) ? .a : .b)
            let loserScore = Int(random.next() % 3)
            bracket.results[slot] = Bracket.Result(winner: side, scoreA: side == .a ? 3 : loserScore, scoreB: side == .b ? 3 : loserScore)
            played += 1
        }
    }
    return (bracket, played)
}

/// Checks what holds for every bracket played to the end.
private func checkPlayedOut(_ bracket: Bracket, played: Int, sourceLocation: SourceLocation = #_sourceLocation) {
    let n = bracket.seeds.count
    let resolved = bracket.resolve()
    let champion = bracket.champion(resolved)
    #expect(champion != nil, "no champion", sourceLocation: sourceLocation)
    #expect(!resolved.contains { $0.winner == .pending }, "a slot left undecided", sourceLocation: sourceLocation)
    // No player twice in one round of one part.
    var seen: [String: Set<String>] = [:]
    var losses: [String: Int] = [:]
    var wins: [String: Int] = [:]
    for (slot, item) in zip(bracket.slots, resolved) {
        let round = "\(slot.part.rawValue)-\(slot.group ?? -1)-\(slot.round)"
        for player in [item.a.player, item.b.player].compactMap({ $0 }) {
            #expect(seen[round, default: []].insert(player).inserted, "\(player) twice in \(round)", sourceLocation: sourceLocation)
        }
        if bracket.results[slot.id] != nil, let loser = item.loser.player, let winner = item.winner.player {
            losses[loser, default: 0] += 1
            wins[winner, default: 0] += 1
        }
    }
    let placings = bracket.placings() ?? []
    #expect(placings.flatMap { $0 }.sorted() == bracket.seeds.sorted(), "placings are not every player once", sourceLocation: sourceLocation)
    #expect(placings.first == [champion ?? ""], sourceLocation: sourceLocation)
    switch bracket.format {
    case .singleElimination:
        #expect(played == n - 1, sourceLocation: sourceLocation)
        for player in bracket.seeds where player != champion { #expect(losses[player] == 1, sourceLocation: sourceLocation) }
        // Byes only in round 1; the champion won every round it played: log2(size), less a bye.
        for (slot, item) in zip(bracket.slots, resolved) where item.isBye { #expect(slot.round == 1, sourceLocation: sourceLocation) }
        let rounds = bracket.slots.map(\.round).max() ?? 0
        let hadBye = zip(bracket.slots, resolved).contains { $0.round == 1 && $1.isBye && $1.winner.player == champion }
        #expect(wins[champion ?? ""] == rounds - (hadBye ? 1 : 0), sourceLocation: sourceLocation)
    case .doubleElimination:
        #expect(played == 2 * n - 2 || played == 2 * n - 1, "\(played) matches for \(n)", sourceLocation: sourceLocation)
        // Out after two losses; without the reset the winners' champion may go out after one (the
        // grand final), and the champion may have lost once either way.
        let grandFinalLoser = resolved[bracket.slots.firstIndex { $0.part == .grandFinal }!].loser.player
        for player in bracket.seeds where player != champion {
            let expected = !bracket.options.bracketReset && player == grandFinalLoser ? 1...2 : 2...2
            #expect(expected.contains(losses[player] ?? 0), "\(player) out after \(losses[player] ?? 0)", sourceLocation: sourceLocation)
        }
        #expect((losses[champion ?? ""] ?? 0) <= 1, sourceLocation: sourceLocation)
        for (slot, item) in zip(bracket.slots, resolved) where item.isBye && slot.part == .winners {
            #expect(slot.round == 1, sourceLocation: sourceLocation)
        }
    case .roundRobin:
        #expect(played == n * (n - 1) / 2, sourceLocation: sourceLocation)
        #expect(placings.allSatisfy { $0.count == 1 }, sourceLocation: sourceLocation)
    case .groupsThenSingleElimination:
        let groupMatches = bracket.groups.reduce(0) { $0 + $1.count * ($1.count - 1) / 2 }
        let advancing = bracket.groups.reduce(0) { $0 + min($1.count, bracket.options.advancePerGroup) }
        #expect(played == groupMatches + advancing - 1, sourceLocation: sourceLocation)
    }
}

@Suite("Brackets")
struct BracketTests {
    @Test("seed positions: 1 v 16, 8 v 9, …; the top two seeds in opposite halves")
    func seedPositions() {
        let positions = Bracket.seedPositions(16).map { $0 + 1 }
        let pairs = stride(from: 0, to: 16, by: 2).map { [positions[$0], positions[$0 + 1]] }
        #expect(pairs == [[1, 16], [8, 9], [4, 13], [5, 12], [2, 15], [7, 10], [3, 14], [6, 11]])
        #expect(pairs.allSatisfy { $0[0] + $0[1] == 17 })
        for size in [2, 4, 8, 32, 64, 512] {
            let order = Bracket.seedPositions(size)
            #expect(Set(order) == Set(0..<size))
            #expect(order.prefix(size / 2).contains(0) && order.suffix(size / 2).contains(1))
        }
    }

    @Test("the favourites always winning meet as seeded: semi-finals 1 v 4 and 2 v 3, final 1 v 2")
    func favouritesWin() {
        let bracket = Bracket(format: .singleElimination, options: .init(), seeds: players(16))
        let (played, _) = playOut(bracket, seed: 1) { _, item in
            Int(item.a.player!.dropFirst())! < Int(item.b.player!.dropFirst())! ? .a : .b
        }
        let resolved = played.resolve()
        let semis = zip(played.slots, resolved).filter { $0.0.round == 3 }.map { [$0.1.a.player!, $0.1.b.player!].sorted() }
        #expect(semis == [["p1", "p4"], ["p2", "p3"]])
        #expect([resolved.last!.a.player!, resolved.last!.b.player!].sorted() == ["p1", "p2"])
        #expect(played.placings()!.prefix(3) == [["p1"], ["p2"], ["p3", "p4"]])
    }

    @Test("byes go to the top seeds, all in round 1")
    func byes() {
        let bracket = Bracket(format: .singleElimination, options: .init(), seeds: players(5))
        let resolved = bracket.resolve()
        let byes = resolved.filter(\.isBye).compactMap(\.winner.player).sorted()
        #expect(byes == ["p1", "p2", "p3"])
        // Only 4 v 5 plays in round 1; 2 and 3 meet in round 2 straight away.
        #expect(resolved.filter(\.isReady).map { [$0.a.player!, $0.b.player!] } == [["p4", "p5"], ["p2", "p3"]])
        #expect(zip(bracket.slots, resolved).filter { $0.1.isReady && $0.0.round == 1 }.count == 1)
    }

    @Test("every format and every size from 2 to 64 plays out to exactly one champion", arguments: Bracket.Format.allCases)
    func property(format: Bracket.Format) {
        for n in 2...64 {
            for seed in 1...3 as ClosedRange<UInt64> {
                let options = Bracket.Options(bracketReset: seed != 3, groupSize: 3 + Int(seed), advancePerGroup: Int(seed) % 3 + 1)
                let bracket = Bracket(format: format, options: options, seeds: players(n))
                let (played, count) = playOut(bracket, seed: seed &* 1_000 &+ UInt64(n))
                checkPlayedOut(played, played: count)
            }
        }
    }

    @Test("512 players: single and double elimination")
    func large() {
        for format in [Bracket.Format.singleElimination, .doubleElimination, .groupsThenSingleElimination] {
            for n in [511, 512] {
                let (played, count) = playOut(Bracket(format: format, options: .init(), seeds: players(n)), seed: UInt64(n))
                checkPlayedOut(played, played: count)
            }
        }
    }

    @Test("double elimination: the losers' champion winning the grand final forces the reset")
    func bracketReset() throws {
        let bracket = Bracket(format: .doubleElimination, options: .init(bracketReset: true), seeds: players(4))
        // p1 wins the winners' bracket; p2 comes through the losers' and wins the grand final.
        var (played, _) = playOut(bracket, seed: 7) { slot, item in
            if slot.part == .grandFinal { return .b }
            if slot.part == .reset { return .a }  // p2 (the grand final's winner) again
            return Int(item.a.player!.dropFirst())! < Int(item.b.player!.dropFirst())! ? .a : .b
        }
        let resolved = played.resolve()
        let final = try #require(played.slots.firstIndex { $0.part == .grandFinal })
        #expect(resolved[final].a.player == "p1" && resolved[final].b.player == "p2")
        #expect(resolved[final + 1].a.player == "p2" && resolved[final + 1].b.player == "p1")
        #expect(played.champion(resolved) == "p2")
        #expect(played.placings()!.prefix(2) == [["p2"], ["p1"]])
        // The winners' champion winning the grand final: no reset.
        played.results[final + 1] = nil
        played.results[final] = Bracket.Result(winner: .a, scoreA: 3, scoreB: 1)
        let again = played.resolve()
        #expect(again[final + 1].isBye && again[final + 1].a == .nobody)
        #expect(played.champion(again) == "p1")
        // Without the reset option, the grand final decides.
        let noReset = Bracket(format: .doubleElimination, options: .init(bracketReset: false), seeds: players(4))
        #expect(noReset.slots.last?.part == .grandFinal)
    }

    @Test("round-robin standings: wins, then head-to-head, then rack difference, then racks won")
    func standings() {
        var bracket = Bracket(format: .roundRobin, options: .init(), seeds: players(4))
        func set(_ a: String, _ b: String, _ scoreA: Int, _ scoreB: Int) {
            let slot = bracket.slots.first { slot in
                let pair = [slot.a, slot.b].map { source -> String in
                    if case .seed(let i) = source { return bracket.seeds[i] }
                    return ""
                }
                return Set(pair) == [a, b]
            }!
            let flipped = bracket.seeds[{ if case .seed(let i) = slot.a { return i } else { return 0 } }()] != a
            let (sa, sb) = flipped ? (scoreB, scoreA) : (scoreA, scoreB)
            bracket.results[slot.id] = Bracket.Result(winner: sa > sb ? .a : .b, scoreA: sa, scoreB: sb)
        }
        // p1, p2 and p3 beat each other in a circle and all beat p4; p4 loses everything.
        set("p1", "p2", 3, 0)
        set("p2", "p3", 3, 1)
        set("p3", "p1", 3, 2)
        set("p1", "p4", 3, 2)
        set("p2", "p4", 3, 0)
        set("p3", "p4", 3, 0)
        // Tied on 2 wins and 1 head-to-head win each: rack difference (p1 +3, p2 +2, p3 +2), then
        // racks won (p3 7, p2 6).
        #expect(bracket.standings(group: 0).map(\.player) == ["p1", "p3", "p2", "p4"])
        #expect(bracket.champion(bracket.resolve()) == "p1")

        // Two tied players: the head-to-head winner is ahead even with a worse rack difference.
        bracket = Bracket(format: .roundRobin, options: .init(), seeds: players(4))
        set("p2", "p1", 3, 1)
        set("p1", "p3", 9, 0)
        set("p1", "p4", 9, 0)
        set("p3", "p2", 3, 0)
        set("p2", "p4", 3, 0)
        set("p4", "p3", 3, 2)
        #expect(bracket.standings(group: 0).map(\.player) == ["p2", "p1", "p4", "p3"])
        #expect(bracket.placings() == [["p2"], ["p1"], ["p4"], ["p3"]])
    }

    @Test("groups then knockout: snake groups, group winners meet runners-up of other groups")
    func groups() {
        let bracket = Bracket(format: .groupsThenSingleElimination, options: .init(groupSize: 4, advancePerGroup: 2), seeds: players(16))
        #expect(bracket.groups.count == 4)
        #expect(bracket.groups.map { $0.first! } == [0, 1, 2, 3])
        #expect(bracket.groups[0] == [0, 7, 8, 15])
        let firstRound = bracket.slots.filter { $0.part == .winners && $0.round == 1 }
        for slot in firstRound {
            guard case .groupPlace(let groupA, let placeA) = slot.a, case .groupPlace(let groupB, let placeB) = slot.b else {
                Issue.record("a knockout slot not fed by the groups")
                continue
            }
            #expect(groupA != groupB)
            #expect(placeA == 1 && placeB == 2)
        }
    }

    @Test("dependents: a slot feeds its winner's and loser's next slots")
    func dependents() {
        let bracket = Bracket(format: .doubleElimination, options: .init(), seeds: players(4))
        let dependents = bracket.dependents(of: 0)
        #expect(dependents.count == 2)
        #expect(dependents.contains { bracket.slots[$0].part == .winners } && dependents.contains { bracket.slots[$0].part == .losers })
    }
}
