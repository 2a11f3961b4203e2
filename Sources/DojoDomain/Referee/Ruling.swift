extension Referee {
    /// The referee's call on one shot or decision: what was wrong (if anything), what happens
    /// next and the rules applied (WPA-2016 numbers, the deciding rule first).
    public struct Ruling: Sendable, Codable, Equatable {
        /// Who shot, or who decided.
        public var player: Player
        /// For a decision: what was chosen.
        public var decision: Option?
        /// True when the shot was not a foul (always true for a decision).
        public var legal: Bool
        /// Every foul seen, most serious first; only the first is enforced (§6 preamble).
        public var fouls: [Foul]
        /// The foul enforced.
        public var foul: Foul?
        /// Who is at the table next; nil when the rack is over or a decision is awaited.
        public var next: Player?
        /// True when the same player stays at the table.
        public var continues: Bool
        /// Where the next player may place the cue ball (JSON: `ballInHand` true/false and
        /// `ballInHandArea`, as in the rack).
        public var ballInHand: BallInHand?
        /// Balls put back on the table.
        public var spotted: [Int]
        /// 8-ball: the groups assigned by this shot.
        public var groupsAssigned: PerPlayer<Group>?
        /// A choice the rules now give a player.
        public var awaiting: PendingDecision?
        /// A player now at the table on two fouls, warned (§6.14).
        public var warning: Player?
        /// Set when this shot or decision ended the rack.
        public var result: RackResult?
        /// True when the decision re-racked the balls (a new break follows).
        public var rerack: Bool
        /// The deciding rule.
        public var rule: String
        /// Every rule applied, the deciding one first.
        public var rules: [String]
        /// One sentence for people.
        public var summary: String

        init(player: Player, decision: Option? = nil) {
            self.player = player
            self.decision = decision
            legal = true
            fouls = []
            foul = nil
            next = nil
            continues = false
            ballInHand = nil
            spotted = []
            groupsAssigned = nil
            awaiting = nil
            warning = nil
            result = nil
            rerack = false
            rule = ""
            rules = []
            summary = ""
        }

        enum CodingKeys: String, CodingKey {
            case player, decision, legal, fouls, foul, next, continues, ballInHand, ballInHandArea, spotted, groupsAssigned
            case awaiting, warning, result, rerack, rule, rules, summary
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            player = try c.decode(Player.self, forKey: .player)
            decision = try c.decodeIfPresent(Option.self, forKey: .decision)
            legal = try c.decode(Bool.self, forKey: .legal)
            fouls = try c.decode([Foul].self, forKey: .fouls)
            foul = try c.decodeIfPresent(Foul.self, forKey: .foul)
            next = try c.decodeIfPresent(Player.self, forKey: .next)
            continues = try c.decode(Bool.self, forKey: .continues)
            ballInHand = try Rack.decodeBallInHand(c, flag: .ballInHand, area: .ballInHandArea)
            spotted = try c.decode([Int].self, forKey: .spotted)
            groupsAssigned = try c.decodeIfPresent(PerPlayer<Group>.self, forKey: .groupsAssigned)
            awaiting = try c.decodeIfPresent(PendingDecision.self, forKey: .awaiting)
            warning = try c.decodeIfPresent(Player.self, forKey: .warning)
            result = try c.decodeIfPresent(RackResult.self, forKey: .result)
            rerack = try c.decode(Bool.self, forKey: .rerack)
            rule = try c.decode(String.self, forKey: .rule)
            rules = try c.decode([String].self, forKey: .rules)
            summary = try c.decode(String.self, forKey: .summary)
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(player, forKey: .player)
            try c.encodeIfPresent(decision, forKey: .decision)
            try c.encode(legal, forKey: .legal)
            try c.encode(fouls, forKey: .fouls)
            try c.encodeIfPresent(foul, forKey: .foul)
            try c.encodeIfPresent(next, forKey: .next)
            try c.encode(continues, forKey: .continues)
            try c.encode(ballInHand != nil, forKey: .ballInHand)
            try c.encodeIfPresent(ballInHand, forKey: .ballInHandArea)
            try c.encode(spotted, forKey: .spotted)
            try c.encodeIfPresent(groupsAssigned, forKey: .groupsAssigned)
            try c.encodeIfPresent(awaiting, forKey: .awaiting)
            try c.encodeIfPresent(warning, forKey: .warning)
            try c.encodeIfPresent(result, forKey: .result)
            try c.encode(rerack, forKey: .rerack)
            try c.encode(rule, forKey: .rule)
            try c.encode(rules, forKey: .rules)
            try c.encode(summary, forKey: .summary)
        }

        /// Records a rule applied; the first recorded is the deciding one.
        mutating func cite(_ rule: String) {
            if rules.isEmpty { self.rule = rule }
            if !rules.contains(rule) { rules.append(rule) }
        }
    }
}
