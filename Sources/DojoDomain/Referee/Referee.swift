/// The shot referee: pure functions that apply the World Pool-Billiard Association rules of 8-ball,
/// 9-ball and 10-ball to one reported shot (or one decision a player makes) and return the ruling
/// and the rack after it.
///
/// Rule numbers are those of the WPA *Rules of Play* of 15 March 2016 (§1 General, §2 Nine Ball,
/// §3 Eight Ball, §6 Fouls, §9 Ten Ball); docs/referee.md maps them to the 2025 numbering and
/// lists the choices made where the sources disagree.
///
/// ```swift
/// var rack = Referee.Rack(game: .nineBall, breaker: .a)
/// let (ruling, after) = try Referee.judge(rack, shot)
/// ```
///
/// Nothing here keeps state: the match actor holds the ``Rack`` between shots, and
/// `POST /v1/referee/rulings` lets any service chain calls from any position.
public enum Referee {
    /// The player: A or B, as in the match.
    public typealias Player = Match.Side

    /// The game played in the rack.
    public enum Game: String, Sendable, Codable, CaseIterable {
        case eightBall = "8ball", nineBall = "9ball", tenBall = "10ball"

        public init(_ gameType: Match.GameType) {
            switch gameType {
            case .eightBall: self = .eightBall
            case .nineBall: self = .nineBall
            case .tenBall: self = .tenBall
            }
        }

        /// Reads "9ball" and the match's "9-ball".
        public init?(name: String) {
            if let game = Game(rawValue: name) {
                self = game
            } else if let type = Match.GameType(rawValue: name) {
                self = Game(type)
            } else {
                return nil
            }
        }

        /// The object balls racked: 1–15, 1–9 or 1–10.
        public var balls: ClosedRange<Int> {
            switch self {
            case .eightBall: 1...15
            case .nineBall: 1...9
            case .tenBall: 1...10
            }
        }

        /// The ball that wins the rack (the 8, 9 or 10).
        public var gameBall: Int {
            switch self {
            case .eightBall: 8
            case .nineBall: 9
            case .tenBall: 10
            }
        }

        /// True where every shot but the break names a ball and a pocket (8-ball §3.6, 10-ball preamble).
        public var callsShots: Bool { self != .nineBall }
    }

    /// An 8-ball group.
    public enum Group: String, Sendable, Codable, CaseIterable {
        case solids, stripes

        public var balls: ClosedRange<Int> { self == .solids ? 1...7 : 9...15 }
        public var other: Group { self == .solids ? .stripes : .solids }

        /// The group of an 8-ball object ball, nil for the 8.
        public init?(ball: Int) {
            switch ball {
            case 1...7: self = .solids
            case 9...15: self = .stripes
            default: return nil
            }
        }
    }

    /// Where the incoming player may place the cue ball.
    public enum BallInHand: String, Sendable, Codable {
        /// Anywhere on the playing surface (§1.5, the standard foul penalty).
        case anywhere
        /// Behind the head string (after an 8-ball break foul, §3.3).
        case kitchen
    }

    /// A foul a shot report can show, most serious first (only the first is enforced when a shot
    /// has several; the ruling lists them all).
    public enum Foul: String, Sendable, Codable, CaseIterable {
        case scratch
        case cueBallOffTable = "cue_ball_off_table"
        case noContact = "no_contact"
        case wrongBallFirst = "wrong_ball_first"
        case illegalBreak = "illegal_break"
        case noRail = "no_rail"
        case ballOffTable = "ball_off_table"

        /// The WPA-2016 rule that defines it (the illegal break: 9-ball's; 10-ball's is 9.3).
        public var rule: String {
            switch self {
            case .scratch, .cueBallOffTable: "6.1"
            case .wrongBallFirst: "6.2"
            case .noContact, .noRail: "6.3"
            case .ballOffTable: "6.5"
            case .illegalBreak: "2.3"
            }
        }
    }

    /// What a player may choose when the rules give them a choice, plus `concede`, which is always
    /// open to either player while the rack is being played.
    public enum Option: String, Sendable, Codable, CaseIterable {
        /// After a push-out or a 10-ball slop: play from the position.
        case shoot
        /// After a push-out or a 10-ball slop: the other player must play from the position.
        case passBack = "pass_back"
        /// After an illegal 8-ball break or a break foul: play the table as it lies.
        case acceptTable = "accept_table"
        /// After an illegal 8-ball break: re-rack and break.
        case rerackAndBreak = "rerack_and_break"
        /// After an illegal 8-ball break: re-rack and let the offender break again.
        case rerackOffenderBreaks = "rerack_offender_breaks"
        /// After the 8 on a legal break (breaker): spot the 8 and continue.
        case spot8Continue = "spot_8_continue"
        /// After the 8 on the break with a foul (incoming player): spot the 8, cue ball in hand behind the head string.
        case spot8BallInHandKitchen = "spot_8_bih_kitchen"
        /// After the 8 on the break: re-rack; the player who chose breaks.
        case rebreak
        /// After an 8-ball break foul: cue ball in hand behind the head string.
        case ballInHandKitchen = "bih_kitchen"
        /// Give up the rack.
        case concede
    }

    /// A choice the rules give one player before play goes on.
    public struct PendingDecision: Sendable, Codable, Equatable {
        /// Who chooses.
        public var by: Player
        public var options: [Option]
        /// Why: push_out, slop, illegal_break, 8_on_break, 8_on_break_foul, break_foul.
        public var reason: String
        public var rule: String

        public init(by: Player, options: [Option], reason: String, rule: String) {
            self.by = by
            self.options = options
            self.reason = reason
            self.rule = rule
        }
    }

    /// Why a rack ended.
    public enum RackEndReason: String, Sendable, Codable, CaseIterable {
        /// The game ball legally pocketed (the 8 in the called pocket after the group, the 9, the called 10 as the last ball).
        case gameBallPocketed = "game_ball_pocketed"
        /// 8-ball: the 8 pocketed on a foul (§3.8 a).
        case eightOnFoul = "8_on_foul"
        /// 8-ball: the 8 pocketed before the shooter's group was cleared (§3.8 b).
        case eightEarly = "8_early"
        /// 8-ball: the 8 pocketed in a pocket that was not called (§3.8 c).
        case eightWrongPocket = "8_wrong_pocket"
        /// 8-ball: the 8 driven off the table (§3.8 d).
        case eightOffTable = "8_off_table"
        /// 9/10-ball: three consecutive fouls (§6.14).
        case threeFouls = "three_fouls"
        /// A player gave up the rack.
        case concede
    }

    /// The end of a rack: who won, why, under which rule.
    public struct RackResult: Sendable, Codable, Equatable {
        public var winner: Player
        public var reason: RackEndReason
        public var rule: String

        public init(winner: Player, reason: RackEndReason, rule: String) {
            self.winner = winner
            self.reason = reason
            self.rule = rule
        }
    }

    /// One value per player, written `{"A": …, "B": …}`.
    public struct PerPlayer<Value: Sendable & Codable & Equatable>: Sendable, Codable, Equatable {
        public var a: Value
        public var b: Value

        public init(a: Value, b: Value) {
            self.a = a
            self.b = b
        }

        public subscript(player: Player) -> Value {
            get { player == .a ? a : b }
            set { if player == .a { a = newValue } else { b = newValue } }
        }

        enum CodingKeys: String, CodingKey { case a = "A", b = "B" }
    }

    /// A refusal: the observation or decision is malformed, impossible in this rack, or not allowed
    /// now. Nothing changes.
    static func refuse(_ kind: DomainError.Kind, _ code: String, _ message: String) -> DomainError {
        DomainError(kind, "referee.\(code)", message)
    }
}
