extension Referee {
    /// Applies a player's decision: one of the options awaited, or `concede` at any time while the
    /// rack is being played. Anything else is refused and changes nothing.
    public static func decide(_ rack: Rack, _ decision: Decision) throws(DomainError) -> (ruling: Ruling, rack: Rack) {
        if let result = rack.result {
            throw refuse(.conflict, "rack_over", "the rack is over (won by \(result.winner.rawValue))")
        }
        let by = decision.by
        var after = rack
        var ruling = Ruling(player: by, decision: decision.decision)
        if decision.decision == .concede {
            after.awaiting = nil
            after.result = RackResult(winner: by.other, reason: .concede, rule: "concession")
            ruling.cite("concession")
            ruling.result = after.result
            ruling.summary = summary(of: ruling, shot: nil)
            return (ruling, after)
        }
        guard let awaiting = rack.awaiting else {
            throw refuse(.conflict, "no_decision_awaited", "no decision is awaited: the next thing is a shot by \(rack.shooter.rawValue)")
        }
        guard awaiting.by == by else {
            throw refuse(.forbidden, "not_your_decision", "player \(awaiting.by.rawValue) makes this decision, not \(by.rawValue)")
        }
        guard awaiting.options.contains(decision.decision) else {
            let options = awaiting.options.map(\.rawValue).joined(separator: ", ")
            throw refuse(.invalid, "option_not_offered", "\(decision.decision.rawValue) is not an option now; choose one of \(options)")
        }
        after.awaiting = nil
        ruling.cite(awaiting.rule)
        switch decision.decision {
        case .shoot, .acceptTable:
            ruling.warning = after.pass(to: by)
        case .passBack:
            ruling.warning = after.pass(to: by.other)
        case .ballInHandKitchen:
            after.ballInHand = .kitchen
            ruling.warning = after.pass(to: by)
        case .spot8Continue, .spot8BallInHandKitchen:
            after.spot(8)
            ruling.spotted = [8]
            ruling.cite("3.7")
            if decision.decision == .spot8BallInHandKitchen { after.ballInHand = .kitchen }
            ruling.warning = after.pass(to: by)
        case .rerackAndBreak, .rebreak:
            after = Rack(game: rack.game, breaker: by)
            ruling.rerack = true
        case .rerackOffenderBreaks:
            after = Rack(game: rack.game, breaker: by.other)
            ruling.rerack = true
        case .concede:
            preconditionFailure("handled above")
        }
        ruling.next = after.shooter
        ruling.continues = after.shooter == rack.shooter
        ruling.ballInHand = after.ballInHand
        ruling.summary = summary(of: ruling, shot: nil)
        return (ruling, after)
    }

    /// One sentence for people: what happened and what comes next.
    static func summary(of ruling: Ruling, shot: Shot?) -> String {
        let player = ruling.player.rawValue
        var parts: [String] = []
        if let decision = ruling.decision {
            parts.append("\(player) chose \(decision.rawValue.spaced)")
        } else if let foul = ruling.foul {
            parts.append("Foul by \(player): \(foul.rawValue.spaced)")
        } else if let shot, shot.pushOut {
            parts.append("\(player) pushed out")
        } else {
            let made = shot?.pocketedBalls.sorted() ?? []
            parts.append(made.isEmpty ? "\(player) made nothing" : "\(player) made \(made.map(String.init).joined(separator: ", "))")
        }
        if !ruling.spotted.isEmpty { parts.append("the \(ruling.spotted[0]) is spotted") }
        if let groups = ruling.groupsAssigned { parts.append("A has \(groups.a.rawValue), B has \(groups.b.rawValue)") }
        if let result = ruling.result {
            parts.append("\(result.winner.rawValue) wins the rack (\(result.reason.rawValue.spaced))")
        } else if let awaiting = ruling.awaiting {
            parts.append("\(awaiting.by.rawValue) chooses: \(awaiting.options.map(\.rawValue).joined(separator: " or "))")
        } else if ruling.rerack {
            parts.append("re-rack, \(ruling.next?.rawValue ?? "?") breaks")
        } else if let next = ruling.next {
            let hand = ruling.ballInHand.map { $0 == .anywhere ? " with ball in hand" : " with ball in hand behind the head string" } ?? ""
            parts.append(ruling.continues ? "\(next.rawValue) continues\(hand)" : "\(next.rawValue) to shoot\(hand)")
        }
        if let warned = ruling.warning { parts.append("\(warned.rawValue) is on two fouls") }
        return parts.joined(separator: "; ") + "."
    }
}

extension String {
    /// `pass_back` → `pass back`.
    fileprivate var spaced: String { String(map { $0 == "_" ? " " : $0 }) }
}
