extension Bracket {
    /// Who is on a side of a slot, or who came out of it.
    public enum Entrant: Sendable, Equatable {
        case player(String)
        /// Nobody will be there (a bye, a reset not needed): the other side goes through.
        case nobody
        /// Not known yet.
        case pending

        public var player: String? {
            if case .player(let id) = self { return id }
            return nil
        }
    }

    /// A slot as the results so far make it.
    public struct Resolved: Sendable, Equatable {
        public var a: Entrant
        public var b: Entrant
        public var winner: Entrant
        public var loser: Entrant

        /// Both players known and no result yet: a match to play.
        public var isReady: Bool { a.player != nil && b.player != nil && winner == .pending }
        /// Decided without a match: a bye, or a reset not needed.
        public var isBye: Bool { winner != .pending && (a == .nobody || b == .nobody) }

        public func player(_ side: Match.Side) -> String? { (side == .a ? a : b).player }
    }

    /// A player's record in a group, and the order the tie-breakers give.
    public struct Standing: Sendable, Equatable, Encodable {
        public var player: String
        public var played = 0
        public var wins = 0
        public var losses = 0
        public var racksWon = 0
        public var racksLost = 0
        public var rackDifference: Int { racksWon - racksLost }

        enum CodingKeys: String, CodingKey { case player, played, wins, losses, racksWon, racksLost, rackDifference }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(player, forKey: .player)
            try c.encode(played, forKey: .played)
            try c.encode(wins, forKey: .wins)
            try c.encode(losses, forKey: .losses)
            try c.encode(racksWon, forKey: .racksWon)
            try c.encode(racksLost, forKey: .racksLost)
            try c.encode(rackDifference, forKey: .rackDifference)
        }
    }

    /// Every slot resolved from the results, in slot order (each slot after its sources).
    public func resolve() -> [Resolved] {
        var resolved: [Resolved] = []
        resolved.reserveCapacity(slots.count)
        // One pass for the groups: their slots, and which are complete.
        var groupSlots: [Int: [Int]] = [:]
        var incomplete = Set<Int>()
        for slot in slots {
            guard let group = slot.group else { continue }
            groupSlots[group, default: []].append(slot.id)
            if results[slot.id] == nil { incomplete.insert(group) }
        }
        var groupOrder: [Int: [String]] = [:]
        func entrant(_ source: Source) -> Entrant {
            switch source {
            case .seed(let index): return index < seeds.count ? .player(seeds[index]) : .nobody
            case .bye: return .nobody
            case .winner(let slot): return resolved[slot].winner
            case .loser(let slot): return resolved[slot].loser
            case .groupPlace(let group, let place):
                if groupOrder[group] == nil, !incomplete.contains(group) {
                    groupOrder[group] = standings(group: group, slotIDs: groupSlots[group] ?? []).map(\.player)
                }
                guard let order = groupOrder[group] else { return .pending }
                return place <= order.count ? .player(order[place - 1]) : .nobody
            }
        }
        for slot in slots {
            var a = entrant(slot.a)
            var b = entrant(slot.b)
            if slot.onlyIfUpset, case .winner(let final) = slot.a, let result = results[final], result.winner == .a {
                // The winners' champion won the grand final: no reset.
                (a, b) = (.nobody, .nobody)
            }
            var item = Resolved(a: a, b: b, winner: .pending, loser: .pending)
            switch (a, b) {
            case (.pending, _), (_, .pending):
                break
            case (.nobody, _), (_, .nobody):
                item.winner = a == .nobody ? b : a
                item.loser = .nobody
            case (.player, .player):
                if let result = results[slot.id] {
                    item.winner = result.winner == .a ? a : b
                    item.loser = result.winner == .a ? b : a
                }
            }
            resolved.append(item)
        }
        return resolved
    }

    /// True when every match of the group has a result.
    public func isGroupComplete(_ group: Int) -> Bool {
        slots.allSatisfy { $0.group != group || results[$0.id] != nil }
    }

    /// A group's standings, best first. Ties on wins are broken, in order, by the wins among the
    /// tied players (head-to-head), the rack difference, the racks won, and the seed.
    public func standings(group: Int) -> [Standing] {
        standings(group: group, slotIDs: slots.filter { $0.group == group }.map(\.id))
    }

    private func standings(group: Int, slotIDs: [Int]) -> [Standing] {
        guard groups.indices.contains(group) else { return [] }
        var table: [String: Standing] = [:]
        for seed in groups[group] { table[seeds[seed]] = Standing(player: seeds[seed]) }
        var games: [(winner: String, loser: String)] = []
        for slot in slotIDs.map({ slots[$0] }) {
            guard let result = results[slot.id], case .seed(let a) = slot.a, case .seed(let b) = slot.b else { continue }
            let (playerA, playerB) = (seeds[a], seeds[b])
            let (winner, loser) = result.winner == .a ? (playerA, playerB) : (playerB, playerA)
            games.append((winner, loser))
            table[winner]?.wins += 1
            table[loser]?.losses += 1
            for (player, won, lost) in [(playerA, result.scoreA, result.scoreB), (playerB, result.scoreB, result.scoreA)] {
                table[player]?.played += 1
                table[player]?.racksWon += won
                table[player]?.racksLost += lost
            }
        }
        let seedOf = Dictionary(uniqueKeysWithValues: groups[group].map { (seeds[$0], $0) })
        let byWins = table.values.sorted { ($0.wins, seedOf[$1.player]!) > ($1.wins, seedOf[$0.player]!) }
        var ordered: [Standing] = []
        var index = 0
        while index < byWins.count {
            var end = index + 1
            while end < byWins.count, byWins[end].wins == byWins[index].wins { end += 1 }
            let tied = Set(byWins[index..<end].map(\.player))
            var headToHead: [String: Int] = [:]
            for game in games where tied.contains(game.winner) && tied.contains(game.loser) { headToHead[game.winner, default: 0] += 1 }
            ordered += byWins[index..<end].sorted { x, y in
                let keyX = (headToHead[x.player] ?? 0, x.rackDifference, x.racksWon, -seedOf[x.player]!)
                let keyY = (headToHead[y.player] ?? 0, y.rackDifference, y.racksWon, -seedOf[y.player]!)
                return keyX > keyY
            }
            index = end
        }
        return ordered
    }

    /// The champion, once the bracket is decided.
    public func champion(_ resolved: [Resolved]) -> String? {
        switch format {
        case .roundRobin:
            return isGroupComplete(0) ? standings(group: 0).first?.player : nil
        case .singleElimination, .doubleElimination, .groupsThenSingleElimination:
            guard let last = slots.last else { return nil }
            if last.onlyIfUpset, resolved[last.id].a == .nobody, resolved[last.id].b == .nobody { return resolved[last.id - 1].winner.player }
            return resolved[last.id].winner.player
        }
    }

    /// Where everyone finished, best first: players knocked out at the same stage share a place
    /// (both losing semi-finalists are third); in a round robin the standings give every place.
    /// Nil until there is a champion.
    public func placings() -> [[String]]? {
        let resolved = resolve()
        guard let champion = champion(resolved) else { return nil }
        if format == .roundRobin { return standings(group: 0).map { [$0.player] } }
        var stageOf: [String: Int] = [:]
        for (slot, item) in zip(slots, resolved) where results[slot.id] != nil {
            guard let loser = item.loser.player else { continue }
            stageOf[loser] = max(stageOf[loser] ?? Int.min, slot.stage)
        }
        // Players who never went past their group finish by their place in it.
        for group in groups.indices {
            for (place, standing) in standings(group: group).enumerated() where place >= options.advancePerGroup {
                stageOf[standing.player] = -3_000 - place
            }
        }
        stageOf[champion] = nil
        let seedOf = Dictionary(uniqueKeysWithValues: seeds.enumerated().map { ($1, $0) })
        var byStage: [Int: [String]] = [:]
        for player in seeds where player != champion { byStage[stageOf[player] ?? Int.min, default: []].append(player) }
        return [[champion]] + byStage.keys.sorted(by: >).map { stage in byStage[stage]!.sorted { seedOf[$0]! < seedOf[$1]! } }
    }

    /// The slots a slot's outcome feeds: those taking its winner or loser, and for a group slot
    /// the knockout slots taking a place in its group.
    public func dependents(of id: Int) -> [Int] {
        let group = slots[id].group
        return slots.filter { slot in
            [slot.a, slot.b].contains { source in
                switch source {
                case .winner(let of), .loser(let of): of == id
                case .groupPlace(let g, _): g == group
                case .seed, .bye: false
                }
            }
        }.map(\.id)
    }

    /// The slots that decide the event (the last knockout round: the final, the grand final and
    /// its reset), played over the final's race.
    public func isFinal(_ id: Int) -> Bool {
        let slot = slots[id]
        switch slot.part {
        case .grandFinal, .reset: return true
        case .winners: return format != .doubleElimination && slot.id == slots.count - 1
        case .losers, .group: return false
        }
    }
}
