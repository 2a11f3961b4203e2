extension Referee {
    /// Everything the rules need to judge the next shot: the JSON the match state shows as
    /// `referee`, and the `rack` of `POST /v1/referee/rulings` (in and out).
    public struct Rack: Sendable, Codable, Equatable {
        public var game: Game
        /// Object balls on the table, ascending.
        public var onTable: [Int]
        /// Who broke this rack.
        public var breaker: Player
        /// Who is at the table (or, while a decision is awaited, who shot last).
        public var shooter: Player
        /// True until the break shot is played.
        public var breakShot: Bool
        /// 8-ball: each player's group, once assigned (the table is open until then, §3.4).
        public var groups: PerPlayer<Group>?
        /// Where the shooter may place the cue ball, nil when it is played where it lies. JSON:
        /// `"ballInHand": true, "ballInHandArea": "anywhere"|"kitchen"`, or `"ballInHand": false`.
        public var ballInHand: BallInHand?
        /// 9/10-ball: consecutive fouls per player in this rack (§6.14); always 0 in 8-ball.
        public var fouls: PerPlayer<Int>
        /// 9/10-ball: the player was warned at the table that they are on two fouls.
        public var warned: PerPlayer<Bool>
        /// 9/10-ball: the next shot may be declared a push-out (§2.4, §9.4).
        public var pushOutAvailable: Bool
        /// A choice a player must make before the next shot.
        public var awaiting: PendingDecision?
        /// Set when the rack is over.
        public var result: RackResult?
        /// Shots played in this rack (decisions not counted), 0–``maximumShots``.
        public var shots: Int

        /// The most shots one rack may have (a rack of pool takes tens): a client's rack past it
        /// is refused, and a live rack that reaches it takes no more shots (`referee.rack_too_long`).
        public static let maximumShots = 10_000

        /// A fresh rack: every ball on the table, the breaker at the table with the cue ball in
        /// hand behind the head string.
        public init(game: Game, breaker: Player) {
            self.game = game
            onTable = Array(game.balls)
            self.breaker = breaker
            shooter = breaker
            breakShot = true
            groups = nil
            ballInHand = .kitchen
            fouls = PerPlayer(a: 0, b: 0)
            warned = PerPlayer(a: false, b: false)
            pushOutAvailable = false
            awaiting = nil
            result = nil
            shots = 0
        }

        enum CodingKeys: String, CodingKey {
            case game, onTable, pocketed, breaker, shooter, breakShot, openTable, groups, ballInHand, ballInHandArea, fouls, warned, pushOutAvailable,
                awaiting, result, shots
        }

        /// Reads a rack; besides `game`, `onTable` and `shooter` every member has a default
        /// (`breaker`: the shooter, counters 0, flags false), so a client can describe a position
        /// briefly. `pocketed` and `openTable` follow from `onTable` and `groups`; when given they
        /// must agree.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            game = try c.decode(Game.self, forKey: .game)
            onTable = try c.decode([Int].self, forKey: .onTable)
            shooter = try c.decode(Player.self, forKey: .shooter)
            breaker = try c.decodeIfPresent(Player.self, forKey: .breaker) ?? shooter
            breakShot = try c.decodeIfPresent(Bool.self, forKey: .breakShot) ?? false
            groups = try c.decodeIfPresent(PerPlayer<Group>.self, forKey: .groups)
            ballInHand = try Self.decodeBallInHand(c, flag: .ballInHand, area: .ballInHandArea)
            fouls = try c.decodeIfPresent(PerPlayer<Int>.self, forKey: .fouls) ?? PerPlayer(a: 0, b: 0)
            warned = try c.decodeIfPresent(PerPlayer<Bool>.self, forKey: .warned) ?? PerPlayer(a: false, b: false)
            pushOutAvailable = try c.decodeIfPresent(Bool.self, forKey: .pushOutAvailable) ?? false
            awaiting = try c.decodeIfPresent(PendingDecision.self, forKey: .awaiting)
            result = try c.decodeIfPresent(RackResult.self, forKey: .result)
            shots = try c.decodeIfPresent(Int.self, forKey: .shots) ?? 0
            if let given = try c.decodeIfPresent([Int].self, forKey: .pocketed), given.sorted() != pocketed {
                throw DecodingError.dataCorruptedError(
                    forKey: .pocketed,
                    in: c,
                    debugDescription: "pocketed must list exactly the balls of the game not in onTable"
                )
            }
            if let given = try c.decodeIfPresent(Bool.self, forKey: .openTable), given != openTable {
                throw DecodingError.dataCorruptedError(
                    forKey: .openTable,
                    in: c,
                    debugDescription: "the table is open exactly when 8-ball groups are not given"
                )
            }
        }

        /// Object balls pocketed or driven off the table in this rack (and not spotted), ascending.
        public var pocketed: [Int] { game.balls.filter { !onTable.contains($0) } }

        /// 8-ball: true until a player legally pockets a called ball after the break (§3.4).
        public var openTable: Bool { game == .eightBall && groups == nil }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(game, forKey: .game)
            try c.encode(onTable, forKey: .onTable)
            try c.encode(pocketed, forKey: .pocketed)
            try c.encode(breaker, forKey: .breaker)
            try c.encode(shooter, forKey: .shooter)
            try c.encode(breakShot, forKey: .breakShot)
            try c.encode(openTable, forKey: .openTable)
            try c.encodeIfPresent(groups, forKey: .groups)
            try c.encode(ballInHand != nil, forKey: .ballInHand)
            try c.encodeIfPresent(ballInHand, forKey: .ballInHandArea)
            try c.encode(fouls, forKey: .fouls)
            try c.encode(warned, forKey: .warned)
            try c.encode(pushOutAvailable, forKey: .pushOutAvailable)
            try c.encodeIfPresent(awaiting, forKey: .awaiting)
            try c.encodeIfPresent(result, forKey: .result)
            try c.encode(shots, forKey: .shots)
        }

        /// Ball in hand as `"ballInHand": true, "ballInHandArea": "kitchen"` (the area defaults to
        /// anywhere), `"ballInHand": false`, or the area alone (`"ballInHand": "kitchen"` too).
        static func decodeBallInHand<K: CodingKey>(_ c: KeyedDecodingContainer<K>, flag: K, area: K) throws -> BallInHand? {
            let named = try c.decodeIfPresent(BallInHand.self, forKey: area)
            if let inHand = try? c.decodeIfPresent(Bool.self, forKey: flag) {
                return inHand ? (named ?? .anywhere) : nil
            }
            return try c.decodeIfPresent(BallInHand.self, forKey: flag) ?? named
        }

        /// The lowest-numbered object ball on the table (the ball to hit first in 9/10-ball).
        public var lowestBall: Int? { onTable.first }

        /// The balls of a player's group still on the table (8-ball).
        public func groupBallsOnTable(_ player: Player) -> [Int] {
            guard let group = groups?[player] else { return [] }
            return onTable.filter { group.balls.contains($0) }
        }

        /// Takes balls off the table (pocketed or driven off).
        mutating func remove(_ balls: some Sequence<Int>) {
            let gone = Set(balls)
            onTable.removeAll { gone.contains($0) }
        }

        /// Puts a ball back on the table (spotting, §1.4).
        mutating func spot(_ ball: Int) {
            if !onTable.contains(ball) { onTable = (onTable + [ball]).sorted() }
        }

        /// Gives the table to `player`; warns them when they come to it on two fouls (§6.14).
        /// Returns the player warned, if any.
        mutating func pass(to player: Player) -> Player? {
            shooter = player
            guard game != .eightBall, fouls[player] == 2, !warned[player] else { return nil }
            warned[player] = true
            return player
        }

        /// Checks a rack that came from outside (the stateless rulings endpoint) for states the
        /// referee itself never produces.
        public func validate() throws(DomainError) {
            func invalid(_ message: String) -> DomainError { refuse(.invalid, "invalid_rack", message) }
            guard onTable == onTable.sorted(), Set(onTable).count == onTable.count, onTable.allSatisfy(game.balls.contains) else {
                throw invalid("onTable is an ascending list of distinct balls \(game.balls.lowerBound)–\(game.balls.upperBound)")
            }
            guard onTable.contains(game.gameBall) || result != nil || awaiting != nil else {
                throw invalid("the \(game.gameBall) is on the table while the rack is being played")
            }
            guard (0...2).contains(fouls.a), (0...2).contains(fouls.b) else { throw invalid("consecutive fouls are 0–2 per player") }
            guard (0...Self.maximumShots).contains(shots) else { throw invalid("shots is 0–\(Self.maximumShots)") }
            if game == .eightBall {
                guard fouls == PerPlayer(a: 0, b: 0), !pushOutAvailable else { throw invalid("8-ball has no three-foul rule and no push-out") }
                if let groups, groups.a == groups.b { throw invalid("the players have different groups") }
            } else {
                guard groups == nil else { throw invalid("groups are 8-ball only") }
            }
            if breakShot {
                guard pocketed.isEmpty, shooter == breaker, awaiting == nil, result == nil else {
                    throw invalid("before the break every ball is on the table and the breaker shoots")
                }
            }
            if let awaiting {
                guard result == nil, !awaiting.options.isEmpty, !awaiting.options.contains(.concede) else {
                    throw invalid("a decision awaited lists its options and the rack is not over")
                }
            }
        }
    }
}
