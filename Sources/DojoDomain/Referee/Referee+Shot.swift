extension Referee {
    /// A ball and the pocket it went into (pockets 1–6).
    public struct PocketedBall: Sendable, Codable, Equatable, Hashable {
        public var ball: Int
        public var pocket: Int

        public init(ball: Int, pocket: Int) {
            self.ball = ball
            self.pocket = pocket
        }
    }

    /// What a camera node or a scorer reports about one shot. Only the facts the rules need; the
    /// referee never guesses what it was not told.
    public struct Shot: Sendable, Codable, Equatable {
        /// The shot's id, unique per match; a repeat is a replay and changes nothing.
        public var shotId: String?
        /// The ball the cue ball struck first, nil when it struck none.
        public var firstContact: Int?
        /// Object balls pocketed, with their pockets.
        public var pocketed: [PocketedBall]
        public var cueBallPocketed: Bool
        /// Balls driven off the table; 0 is the cue ball.
        public var offTable: [Int]
        /// Some ball (cue or object) reached a cushion after the first contact.
        public var railAfterContact: Bool
        /// On a break: object balls driven to a cushion (pocketed ones count).
        public var objectBallsToRail: Int
        /// The called ball and pocket (8-ball and 10-ball, not on the break).
        public var called: PocketedBall?
        /// 8-ball: a declared safety (§3.5): the inning ends whatever is pocketed.
        public var safety: Bool
        /// 9/10-ball: a declared push-out, only on the shot right after a foul-free break.
        public var pushOut: Bool
        /// When the camera saw the shot (informational).
        public var observedAt: String?

        public init(
            shotId: String? = nil,
            firstContact: Int?,
            pocketed: [PocketedBall] = [],
            cueBallPocketed: Bool = false,
            offTable: [Int] = [],
            railAfterContact: Bool = false,
            objectBallsToRail: Int = 0,
            called: PocketedBall? = nil,
            safety: Bool = false,
            pushOut: Bool = false,
            observedAt: String? = nil
        ) {
            self.shotId = shotId
            self.firstContact = firstContact
            self.pocketed = pocketed
            self.cueBallPocketed = cueBallPocketed
            self.offTable = offTable
            self.railAfterContact = railAfterContact
            self.objectBallsToRail = objectBallsToRail
            self.called = called
            self.safety = safety
            self.pushOut = pushOut
            self.observedAt = observedAt
        }

        enum CodingKeys: String, CodingKey {
            case shotId, firstContact, pocketed, cueBallPocketed, offTable, railAfterContact, objectBallsToRail, called, safety, pushOut, observedAt
        }

        /// Every member has a default: no contact, nothing pocketed, no rail, no flags, no call.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            shotId = try c.decodeIfPresent(String.self, forKey: .shotId)
            firstContact = try c.decodeIfPresent(Int.self, forKey: .firstContact)
            pocketed = try c.decodeIfPresent([PocketedBall].self, forKey: .pocketed) ?? []
            cueBallPocketed = try c.decodeIfPresent(Bool.self, forKey: .cueBallPocketed) ?? false
            offTable = try c.decodeIfPresent([Int].self, forKey: .offTable) ?? []
            railAfterContact = try c.decodeIfPresent(Bool.self, forKey: .railAfterContact) ?? false
            objectBallsToRail = try c.decodeIfPresent(Int.self, forKey: .objectBallsToRail) ?? 0
            called = try c.decodeIfPresent(PocketedBall.self, forKey: .called)
            safety = try c.decodeIfPresent(Bool.self, forKey: .safety) ?? false
            pushOut = try c.decodeIfPresent(Bool.self, forKey: .pushOut) ?? false
            observedAt = try c.decodeIfPresent(String.self, forKey: .observedAt)
        }

        /// The object balls pocketed.
        public var pocketedBalls: [Int] { pocketed.map(\.ball) }
        /// Object balls driven off the table.
        public var objectBallsOffTable: [Int] { offTable.filter { $0 != 0 } }
        /// True when the cue ball was pocketed or left the table.
        public var cueBallGone: Bool { cueBallPocketed || offTable.contains(0) }
        /// True when the called ball went into the called pocket.
        public var calledBallMade: Bool {
            guard let called else { return false }
            return pocketed.contains(called)
        }

        /// Refuses a shot the rack cannot have produced, or that is not allowed now.
        func validate(in rack: Rack) throws(DomainError) {
            if let result = rack.result {
                throw refuse(.conflict, "rack_over", "the rack is over (won by \(result.winner.rawValue)): start the next rack")
            }
            if let awaiting = rack.awaiting {
                let options = awaiting.options.map(\.rawValue).joined(separator: ", ")
                throw refuse(.conflict, "decision_awaited", "player \(awaiting.by.rawValue) must choose first (\(options))")
            }
            let onTable = Set(rack.onTable)
            var seen = Set<Int>()
            for ball in pocketed {
                guard (1...6).contains(ball.pocket) else { throw refuse(.invalid, "invalid_pocket", "pockets are numbered 1–6, got \(ball.pocket)") }
                guard ball.ball != 0 else { throw refuse(.invalid, "invalid_ball", "the cue ball is reported with cueBallPocketed, not in pocketed") }
                guard onTable.contains(ball.ball) else { throw refuse(.invalid, "ball_not_on_table", "ball \(ball.ball) is not on the table") }
                guard seen.insert(ball.ball).inserted else { throw refuse(.invalid, "duplicate_ball", "ball \(ball.ball) is reported twice") }
            }
            for ball in offTable {
                guard ball == 0 || onTable.contains(ball) else { throw refuse(.invalid, "ball_not_on_table", "ball \(ball) is not on the table") }
                guard seen.insert(ball).inserted else {
                    throw refuse(.invalid, "duplicate_ball", "ball \(ball) is reported twice (pocketed and off the table, or twice off)")
                }
            }
            if cueBallPocketed, offTable.contains(0) {
                throw refuse(.invalid, "impossible_shot", "the cue ball cannot be both pocketed and off the table")
            }
            if let firstContact {
                guard firstContact != 0, onTable.contains(firstContact) else {
                    throw refuse(.invalid, "ball_not_on_table", "firstContact \(firstContact) is not an object ball on the table")
                }
            } else if !pocketed.isEmpty || !objectBallsOffTable.isEmpty {
                throw refuse(.invalid, "impossible_shot", "object balls moved although the cue ball struck none (firstContact is null)")
            }
            guard (0...rack.onTable.count).contains(objectBallsToRail) else {
                throw refuse(.invalid, "invalid_shot", "objectBallsToRail is 0–\(rack.onTable.count)")
            }
            // A call is checked even where the rules ignore it (the break): a pocket that does not
            // exist is a client's mistake, said, not dropped.
            if let called {
                guard (1...15).contains(called.ball) else { throw refuse(.invalid, "invalid_shot", "a called ball is 1–15, got \(called.ball)") }
                guard (1...6).contains(called.pocket) else {
                    throw refuse(.invalid, "invalid_pocket", "pockets are numbered 1–6, got \(called.pocket)")
                }
            }
            if let called, !rack.breakShot {
                guard onTable.contains(called.ball) else {
                    throw refuse(.invalid, "ball_not_on_table", "called ball \(called.ball) is not on the table")
                }
            }
            if pushOut, !rack.pushOutAvailable {
                let why = rack.game == .eightBall ? "8-ball has no push-out" : "only the shot right after a foul-free break may be a push-out"
                throw refuse(.conflict, "push_out_not_available", why)
            }
            if let shotId {
                guard !shotId.isEmpty, shotId.utf8.count <= 128 else { throw refuse(.invalid, "invalid_shot", "shotId is 1–128 characters") }
            }
        }
    }

    /// A player's choice: one of the options the rules gave them, or `concede`.
    public struct Decision: Sendable, Codable, Equatable {
        public var decision: Option
        public var by: Player

        public init(_ decision: Option, by: Player) {
            self.decision = decision
            self.by = by
        }
    }
}
