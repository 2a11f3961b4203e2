/// A tournament's bracket: its slots (one per match of the format, fed by seeds, by the winners and
/// losers of earlier slots, or by places in a group) and the results recorded so far. Pure: the
/// structure is a function of the format, the options and the seeded players
/// (``init(format:options:seeds:)``), and everything else — who plays whom, byes, standings, the
/// champion, the placings — is derived from the results (``resolve()``).
///
/// Formats (docs/tournaments.md):
/// - **single elimination**: a bracket of the next power of two; seeds placed the standard way
///   (1 v 16, 8 v 9, …: the top two seeds can only meet in the final); the missing players are
///   byes, given to the top seeds, all in round 1.
/// - **double elimination**: the same winners' bracket; its losers drop into a losers' bracket
///   (alternately reversed, to put off rematches); the winners' champion meets the losers' champion
///   in the grand final, and, with ``Options/bracketReset``, again if the losers' champion wins it.
/// - **round robin**: everyone plays everyone once (the circle method), ranked by the standings.
/// - **groups, then single elimination**: round-robin groups (snake-seeded), the first
///   ``Options/advancePerGroup`` of each into a single-elimination knockout (group winners seeded
///   first; a runner-up meets another group's winner in a full first round).
public struct Bracket: Sendable, Codable, Equatable {
    public enum Format: String, Sendable, Codable, CaseIterable {
        case singleElimination = "single_elimination"
        case doubleElimination = "double_elimination"
        case roundRobin = "round_robin"
        case groupsThenSingleElimination = "groups_single_elimination"

        /// The most players the format takes (a round robin of 64 is already 2,016 matches).
        public var maximumPlayers: Int {
            switch self {
            case .singleElimination, .doubleElimination, .groupsThenSingleElimination: 512
            case .roundRobin: 64
            }
        }
    }

    public struct Options: Sendable, Codable, Equatable {
        /// Double elimination: a second grand final when the losers' champion wins the first.
        public var bracketReset: Bool
        /// Groups: the largest group (2–16).
        public var groupSize: Int
        /// Groups: how many of each group go on to the knockout (1–groupSize).
        public var advancePerGroup: Int

        public init(bracketReset: Bool = true, groupSize: Int = 4, advancePerGroup: Int = 2) {
            self.bracketReset = bracketReset
            self.groupSize = groupSize
            self.advancePerGroup = advancePerGroup
        }
    }

    /// Which part of the bracket a slot is in.
    public enum Part: String, Sendable, Codable {
        case winners, losers, grandFinal = "grand_final", reset, group
    }

    /// Where a side of a slot comes from.
    public enum Source: Sendable, Codable, Equatable {
        /// The player seeded at this index (0 = the top seed).
        case seed(Int)
        /// Nobody: the other side goes through.
        case bye
        case winner(of: Int)
        case loser(of: Int)
        /// The player finishing at `place` (1-based) in a group, once the group is played.
        case groupPlace(group: Int, place: Int)
    }

    public struct Slot: Sendable, Codable, Equatable {
        public var id: Int
        public var part: Part
        /// The group of a group slot.
        public var group: Int?
        /// The round within its part, from 1.
        public var round: Int
        public var a: Source
        public var b: Source
        /// How far into the event the slot is (later is higher): players knocked out at a higher
        /// stage finish higher.
        public var stage: Int
        /// The bracket reset: played only when the grand final's side B (the losers' champion) won.
        public var onlyIfUpset = false
    }

    /// A recorded result: the winning side, the racks, and whether it was a walkover.
    public struct Result: Sendable, Codable, Equatable {
        public var winner: Match.Side
        public var scoreA: Int
        public var scoreB: Int
        public var walkover: Bool

        public init(winner: Match.Side, scoreA: Int, scoreB: Int, walkover: Bool = false) {
            self.winner = winner
            self.scoreA = scoreA
            self.scoreB = scoreB
            self.walkover = walkover
        }
    }

    public let format: Format
    public let options: Options
    /// The players in seed order.
    public let seeds: [String]
    /// Group members as seed indexes (group formats).
    public let groups: [[Int]]
    /// Every slot, each after the slots it depends on.
    public let slots: [Slot]
    /// The result of each slot (nil: not played yet, or a bye).
    public var results: [Result?]

    /// The bracket of `seeds` (the players in seed order, top seed first; 2 to the format's
    /// maximum, distinct). The caller validates the options (``validate(format:options:players:)``).
    public init(format: Format, options: Options, seeds: [String]) {
        self.format = format
        self.options = options
        self.seeds = seeds
        var builder = Builder()
        switch format {
        case .singleElimination:
            groups = []
            builder.knockout(entrants: seeds.indices.map { .seed($0) }, part: .winners, stageOffset: 0)
        case .doubleElimination:
            groups = []
            builder.doubleElimination(players: seeds.count, reset: options.bracketReset)
        case .roundRobin:
            groups = [Array(seeds.indices)]
            builder.roundRobin(groups: groups)
        case .groupsThenSingleElimination:
            groups = Bracket.snakeGroups(players: seeds.count, size: options.groupSize)
            builder.roundRobin(groups: groups)
            builder.knockout(entrants: Bracket.knockoutEntrants(groups: groups, advance: options.advancePerGroup), part: .winners, stageOffset: 0)
        }
        slots = builder.slots
        results = Array(repeating: nil, count: builder.slots.count)
    }

    /// Why a bracket of these options and players cannot be made (nil: it can).
    public static func validate(format: Format, options: Options, players: Int) -> DomainError? {
        guard players >= 2 else { return DomainError(.conflict, "tournament.too_few_players", "a tournament needs at least 2 players") }
        guard players <= format.maximumPlayers else {
            return DomainError(.invalid, "tournament.too_many_players", "\(format.rawValue) takes at most \(format.maximumPlayers) players")
        }
        guard (2...16).contains(options.groupSize), (1...options.groupSize).contains(options.advancePerGroup) else {
            return DomainError(.invalid, "tournament.invalid_groups", "groupSize is 2–16 and advancePerGroup 1–groupSize")
        }
        return nil
    }

    // MARK: structure

    /// The standard seed positions of a bracket of `size` (a power of two): pairs at even and odd
    /// positions meet in round 1; seed 0 and seed 1 are in opposite halves.
    public static func seedPositions(_ size: Int) -> [Int] {
        var order = [0]
        while order.count < size {
            let doubled = order.count * 2
            order = order.flatMap { [$0, doubled - 1 - $0] }
        }
        return order
    }

    /// The smallest power of two at least `n` (and 2).
    static func bracketSize(_ n: Int) -> Int {
        var size = 2
        while size < n { size *= 2 }
        return size
    }

    /// Seed indexes dealt into groups in a snake (group 1 gets seeds 1, 2G, 2G+1, …), so every
    /// group has one of the top G seeds and the groups' strengths even out.
    static func snakeGroups(players: Int, size: Int) -> [[Int]] {
        let count = (players + size - 1) / size
        var groups = Array(repeating: [Int](), count: count)
        for seed in 0..<players {
            let (pass, position) = seed.quotientAndRemainder(dividingBy: count)
            groups[pass.isMultiple(of: 2) ? position : count - 1 - position].append(seed)
        }
        return groups
    }

    /// The knockout's entrants in seed order: every group's winner, then the runners-up rotated so
    /// that (in a full first round) a runner-up meets another group's winner, then the third places…
    static func knockoutEntrants(groups: [[Int]], advance: Int) -> [Source] {
        let count = groups.count
        var entrants: [Source] = []
        for place in 1...advance {
            for index in 0..<count {
                let group = place == 1 ? index : (count - index + place - 2) % count
                if place <= groups[group].count { entrants.append(.groupPlace(group: group, place: place)) }
            }
        }
        return entrants
    }

    private struct Builder {
        var slots: [Slot] = []

        mutating func add(_ part: Part, group: Int? = nil, round: Int, _ a: Source, _ b: Source, stage: Int, onlyIfUpset: Bool = false) -> Int {
            let id = slots.count
            slots.append(Slot(id: id, part: part, group: group, round: round, a: a, b: b, stage: stage, onlyIfUpset: onlyIfUpset))
            return id
        }

        /// A single-elimination bracket over `entrants` (in seed order; missing ones are byes).
        /// Returns the slot ids by round.
        @discardableResult
        mutating func knockout(entrants: [Source], part: Part, stageOffset: Int) -> [[Int]] {
            let size = Bracket.bracketSize(entrants.count)
            let positions = Bracket.seedPositions(size)
            var rounds: [[Int]] = []
            var previous: [Int] = []
            for pair in stride(from: 0, to: size, by: 2) {
                let a = positions[pair] < entrants.count ? entrants[positions[pair]] : .bye
                let b = positions[pair + 1] < entrants.count ? entrants[positions[pair + 1]] : .bye
                previous.append(add(part, round: 1, a, b, stage: stageOffset + 1))
            }
            rounds.append(previous)
            var round = 1
            while previous.count > 1 {
                round += 1
                let current = stride(from: 0, to: previous.count, by: 2).map { index in
                    add(part, round: round, .winner(of: previous[index]), .winner(of: previous[index + 1]), stage: stageOffset + round)
                }
                rounds.append(current)
                previous = current
            }
            return rounds
        }

        /// Winners' bracket, losers' bracket, grand final and (optionally) its reset.
        mutating func doubleElimination(players: Int, reset: Bool) {
            // The winners' bracket eliminates nobody: its stages do not count for placings.
            let winners = knockout(entrants: (0..<players).map { .seed($0) }, part: .winners, stageOffset: -1_000)
            let final = winners[winners.count - 1][0]
            var losersChampion = Source.loser(of: final)
            if winners.count >= 2 {
                var round = 1
                var current = stride(from: 0, to: winners[0].count, by: 2).map { index in
                    add(.losers, round: round, .loser(of: winners[0][index]), .loser(of: winners[0][index + 1]), stage: round)
                }
                for dropping in 1..<winners.count {
                    // The losers of the winners' round drop in, in reverse order every other round.
                    round += 1
                    var incoming = winners[dropping]
                    if dropping.isMultiple(of: 2) { incoming.reverse() }
                    current = zip(current, incoming).map { survivor, loser in
                        add(.losers, round: round, .winner(of: survivor), .loser(of: loser), stage: round)
                    }
                    if current.count > 1 {
                        round += 1
                        current = stride(from: 0, to: current.count, by: 2).map { index in
                            add(.losers, round: round, .winner(of: current[index]), .winner(of: current[index + 1]), stage: round)
                        }
                    }
                }
                losersChampion = .winner(of: current[0])
            }
            let top = slots.map(\.stage).max() ?? 0
            let grandFinal = add(.grandFinal, round: 1, .winner(of: final), losersChampion, stage: max(top, 0) + 1)
            if reset {
                _ = add(.reset, round: 1, .winner(of: grandFinal), .loser(of: grandFinal), stage: max(top, 0) + 2, onlyIfUpset: true)
            }
        }

        /// Every pair of every group once, round by round (the circle method).
        mutating func roundRobin(groups: [[Int]]) {
            for (group, members) in groups.enumerated() {
                var circle: [Int?] = members
                if !circle.count.isMultiple(of: 2) { circle.append(nil) }
                let n = circle.count
                for round in 1..<n {
                    for index in 0..<(n / 2) {
                        if let a = circle[index], let b = circle[n - 1 - index] {
                            _ = add(.group, group: group, round: round, .seed(a), .seed(b), stage: -2_000)
                        }
                    }
                    // Keep the first fixed, turn the rest.
                    circle.insert(circle.removeLast(), at: 1)
                }
            }
        }
    }
}
