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
        /// Where the next player may place the cue ball.
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

        /// Records a rule applied; the first recorded is the deciding one.
        mutating func cite(_ rule: String) {
            if rules.isEmpty { self.rule = rule }
            if !rules.contains(rule) { rules.append(rule) }
        }
    }
}
