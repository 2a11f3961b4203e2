extension Referee {
    /// Judges one shot: the ruling and the rack after it. An observation the rack cannot have
    /// produced, or a shot while the rack is over or a decision is awaited, is refused with a
    /// `referee.*` error and changes nothing.
    public static func judge(_ rack: Rack, _ shot: Shot) throws(DomainError) -> (ruling: Ruling, rack: Rack) {
        try shot.validate(in: rack)
        guard rack.shots < Rack.maximumShots else {
            throw refuse(.conflict, "rack_too_long", "a rack takes at most \(Rack.maximumShots) shots: record its result instead")
        }
        var after = rack
        after.shots += 1
        after.ballInHand = nil
        var ruling = Ruling(player: rack.shooter)
        ruling.fouls = fouls(rack, shot)
        ruling.foul = ruling.fouls.first
        ruling.legal = ruling.fouls.isEmpty
        after.remove(shot.pocketedBalls + shot.objectBallsOffTable)
        switch rack.game {
        case .eightBall: judgeEightBall(rack, shot, &after, &ruling)
        case .nineBall, .tenBall: judgeRotation(rack, shot, &after, &ruling)
        }
        after.breakShot = after.breakShot && ruling.rerack
        if after.result != nil || after.awaiting != nil {
            ruling.next = nil
        } else {
            ruling.next = after.shooter
            ruling.continues = after.shooter == rack.shooter
        }
        ruling.ballInHand = after.ballInHand
        ruling.awaiting = after.awaiting
        ruling.result = after.result
        ruling.summary = summary(of: ruling, shot: shot)
        return (ruling, after)
    }

    /// The fouls a shot shows, most serious first.
    static func fouls(_ rack: Rack, _ shot: Shot) -> [Foul] {
        var fouls: [Foul] = []
        if shot.cueBallPocketed { fouls.append(.scratch) }
        if shot.offTable.contains(0) { fouls.append(.cueBallOffTable) }
        let eightBallBreak = rack.breakShot && rack.game == .eightBall
        if !shot.pushOut && !eightBallBreak {
            // §6.2 and §6.3 (suspended on a push-out; the 8-ball break has its own rule, §3.3 d).
            if let first = shot.firstContact {
                if !isLegalFirstContact(first, rack) { fouls.append(.wrongBallFirst) }
            } else {
                fouls.append(.noContact)
            }
            let nothingMoved = shot.pocketed.isEmpty && shot.objectBallsOffTable.isEmpty
            if rack.breakShot {
                if shot.pocketed.isEmpty && shot.objectBallsToRail < 4 { fouls.append(.illegalBreak) }
            } else if nothingMoved && shot.firstContact != nil && !shot.railAfterContact {
                fouls.append(.noRail)
            }
        }
        if !shot.objectBallsOffTable.isEmpty { fouls.append(.ballOffTable) }
        return fouls
    }

    /// §6.2: the lowest ball in 9/10-ball; in 8-ball a ball of the shooter's group (any but the 8
    /// on an open table), the 8 once the group is cleared.
    static func isLegalFirstContact(_ ball: Int, _ rack: Rack) -> Bool {
        switch rack.game {
        case .nineBall, .tenBall:
            return ball == rack.lowestBall
        case .eightBall:
            if rack.openTable { return ball != 8 }
            let remaining = rack.groupBallsOnTable(rack.shooter)
            return remaining.isEmpty ? ball == 8 : remaining.contains(ball)
        }
    }

    // MARK: 9-ball and 10-ball

    private static func judgeRotation(_ rack: Rack, _ shot: Shot, _ after: inout Rack, _ ruling: inout Ruling) {
        let nine = rack.game == .nineBall
        let gameBall = rack.game.gameBall
        let shooter = rack.shooter
        let made = shot.pocketedBalls
        func spotGameBall() {
            if made.contains(gameBall) || shot.objectBallsOffTable.contains(gameBall) {
                after.spot(gameBall)
                ruling.spotted = [gameBall]
            }
        }
        func passTable() {
            ruling.warning = after.pass(to: shooter.other)
        }
        after.pushOutAvailable = false

        if let foul = ruling.foul {
            // §2.7 / §9.10 standard foul; §6.14 three fouls; §2.6 / §9.9 the game ball is spotted.
            ruling.cite(foul == .illegalBreak ? (nine ? "2.3" : "9.3") : foul.rule)
            ruling.cite(nine ? "2.7" : "9.10")
            spotGameBall()
            if !ruling.spotted.isEmpty { ruling.cite(nine ? "2.6" : "9.9") }
            if after.fouls[shooter] == 2 && after.warned[shooter] {
                after.result = RackResult(winner: shooter.other, reason: .threeFouls, rule: "6.14")
                ruling.rule = "6.14"
                ruling.rules.insert("6.14", at: 0)
                ruling.cite(nine ? "2.8" : "9.11")
                return
            }
            after.fouls[shooter] = min(after.fouls[shooter] + 1, 2)
            after.ballInHand = .anywhere
            passTable()
            return
        }

        after.fouls[shooter] = 0
        after.warned[shooter] = false

        if shot.pushOut {
            // §2.4 / §9.4: no foul on a push-out → the other player chooses who shoots.
            ruling.cite(nine ? "2.4" : "9.4")
            spotGameBall()
            if !ruling.spotted.isEmpty { ruling.cite(nine ? "2.6" : "9.9") }
            after.awaiting = PendingDecision(by: shooter.other, options: [.shoot, .passBack], reason: "push_out", rule: nine ? "2.4" : "9.4")
            return
        }

        if rack.breakShot {
            after.pushOutAvailable = true
            if nine && made.contains(9) {
                ruling.cite("2.5")
                after.pushOutAvailable = false
                after.result = RackResult(winner: shooter, reason: .gameBallPocketed, rule: "2.5")
                return
            }
            ruling.cite(nine ? "2.3" : "9.3")
            if !nine && made.contains(10) {
                // 10-ball preamble: the 10 on a legal break is spotted and the breaker continues.
                spotGameBall()
                ruling.cite("9.9")
            }
            if made.isEmpty { passTable() }
            return
        }

        if nine {
            // §2.5: any ball legally pocketed keeps the shooter at the table; the 9 wins.
            ruling.cite("2.5")
            if made.contains(9) {
                after.result = RackResult(winner: shooter, reason: .gameBallPocketed, rule: "2.5")
            } else if made.isEmpty {
                passTable()
            }
            return
        }

        // 10-ball: called shots (§9.5), wrongfully pocketed balls (§9.7), continuing play (§9.8).
        if shot.calledBallMade, let called = shot.called {
            ruling.cite("9.8")
            if called.ball == 10 && rack.onTable == [10] {
                after.result = RackResult(winner: shooter, reason: .gameBallPocketed, rule: "9.8")
                return
            }
            spotGameBall()
            if !ruling.spotted.isEmpty { ruling.cite("9.9") }
            return
        }
        if !made.isEmpty {
            ruling.cite("9.7")
            spotGameBall()
            if !ruling.spotted.isEmpty { ruling.cite("9.9") }
            after.awaiting = PendingDecision(by: shooter.other, options: [.shoot, .passBack], reason: "slop", rule: "9.7")
            return
        }
        ruling.cite("9.8")
        passTable()
    }

    // MARK: 8-ball

    private static func judgeEightBall(_ rack: Rack, _ shot: Shot, _ after: inout Rack, _ ruling: inout Ruling) {
        let shooter = rack.shooter
        let made = shot.pocketedBalls
        let eightMade = made.contains(8)
        let eightOff = shot.objectBallsOffTable.contains(8)

        if rack.breakShot {
            judgeEightBallBreak(rack, shot, &after, &ruling)
            return
        }
        // §3.8: losing the rack (not on the break).
        if eightMade {
            let groupClearedBefore = !rack.openTable && rack.groupBallsOnTable(shooter).isEmpty
            if let foul = ruling.foul {
                lose(.eightOnFoul, "3.8(a)", foul.rule)
            } else if !groupClearedBefore {
                lose(.eightEarly, "3.8(b)")
            } else if shot.safety || shot.called?.ball != 8 || !shot.calledBallMade {
                lose(.eightWrongPocket, "3.8(c)")
            } else {
                ruling.cite("3.8")
                after.result = RackResult(winner: shooter, reason: .gameBallPocketed, rule: "3.8")
            }
            return
        }
        if eightOff {
            lose(.eightOffTable, "3.8(d)", "6.5")
            return
        }
        if let foul = ruling.foul {
            // §3.9: standard foul, ball in hand anywhere; groups unchanged, balls stay down (§3.7).
            ruling.cite(foul.rule)
            ruling.cite("3.9")
            after.ballInHand = .anywhere
            _ = after.pass(to: shooter.other)
            return
        }
        if shot.safety {
            ruling.cite("3.5")
            _ = after.pass(to: shooter.other)
            return
        }
        if let called = shot.called, shot.calledBallMade, let group = Group(ball: called.ball) {
            if rack.openTable {
                // §3.4: the called ball legally pocketed decides the groups.
                ruling.cite("3.4")
                let groups = PerPlayer(a: shooter == .a ? group : group.other, b: shooter == .b ? group : group.other)
                after.groups = groups
                ruling.groupsAssigned = groups
                return
            }
            if rack.groups?[shooter] == group {
                ruling.cite("3.6")
                return
            }
        }
        // The called ball was not made (or was not the shooter's): the inning ends, balls stay down.
        ruling.cite(rack.openTable ? "3.4" : "3.6")
        _ = after.pass(to: shooter.other)

        func lose(_ reason: RackEndReason, _ rule: String, _ also: String? = nil) {
            ruling.cite(rule)
            if let also { ruling.cite(also) }
            after.result = RackResult(winner: shooter.other, reason: reason, rule: rule)
        }
    }

    /// §3.3: the 8-ball break. Not a loss or a win whatever happens; the fouls give the incoming
    /// player ball in hand behind the head string, an illegal break and the 8 give options.
    private static func judgeEightBallBreak(_ rack: Rack, _ shot: Shot, _ after: inout Rack, _ ruling: inout Ruling) {
        let breaker = rack.shooter
        let incoming = breaker.other
        let made = shot.pocketedBalls
        let cueOnTable = !shot.cueBallGone
        if made.contains(8) {
            if let foul = ruling.foul {
                ruling.cite("3.3(f)")
                ruling.cite(foul.rule)
                after.awaiting = PendingDecision(
                    by: incoming,
                    options: [.spot8BallInHandKitchen, .rebreak],
                    reason: "8_on_break_foul",
                    rule: "3.3(f)"
                )
            } else {
                ruling.cite("3.3(e)")
                after.awaiting = PendingDecision(by: breaker, options: [.spot8Continue, .rebreak], reason: "8_on_break", rule: "3.3(e)")
            }
            return
        }
        if let foul = ruling.foul {
            // (g) an object ball off the table, (h) any other break foul: the incoming player
            // accepts the table or takes ball in hand behind the head string; only the latter
            // when the cue ball is not on the table. The 8 driven off is spotted (§3.7).
            let rule = shot.objectBallsOffTable.isEmpty ? "3.3(h)" : "3.3(g)"
            ruling.cite(rule)
            ruling.cite(foul.rule)
            if shot.objectBallsOffTable.contains(8) {
                after.spot(8)
                ruling.spotted = [8]
                ruling.cite("3.7")
            }
            if cueOnTable {
                after.awaiting = PendingDecision(by: incoming, options: [.acceptTable, .ballInHandKitchen], reason: "break_foul", rule: rule)
            } else {
                after.ballInHand = .kitchen
                _ = after.pass(to: incoming)
            }
            return
        }
        if !made.isEmpty {
            // (c) a ball made on a legal break: the breaker continues, the table stays open.
            ruling.cite("3.3(c)")
            return
        }
        if shot.objectBallsToRail < 4 {
            ruling.legal = false
            ruling.cite("3.3(d)")
            after.awaiting = PendingDecision(
                by: incoming,
                options: [.acceptTable, .rerackAndBreak, .rerackOffenderBreaks],
                reason: "illegal_break",
                rule: "3.3(d)"
            )
            return
        }
        ruling.cite("3.3")
        _ = after.pass(to: incoming)
    }
}
