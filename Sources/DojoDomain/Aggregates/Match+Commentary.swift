/// Commentary: short lines about the moments of a match, from templates. Deterministic: the
/// variant is chosen by a stable hash of the match, the rack and the moment, so replaying a command
/// gives the same words, and two matches do not sound the same.
extension Match {
    /// The moments the commentary knows.
    enum Moment: String, CaseIterable {
        case hillHill, goldenBreak, breakAndRun, scratchOnEight, threeFouls, comeback, rackWon, matchWon, warning

        var templates: [String] {
            switch self {
            case .hillHill:
                [
                    "Hill-hill: {A} and {B} both need one rack.",
                    "One rack for it all, {sa}–{sb}.",
                    "Hill-hill. Whoever takes this rack takes the match.",
                ]
            case .goldenBreak:
                [
                    "Golden break! {W} sinks the {ball} on the break.",
                    "{W} wins it off the break: a golden break.",
                    "The {ball} drops on the break. Rack to {W}.",
                ]
            case .breakAndRun:
                [
                    "Break and run for {W}!",
                    "{W} breaks and runs out the rack.",
                    "{L} never got to the table: {W} breaks and runs.",
                ]
            case .scratchOnEight:
                [
                    "{L} scratches on the 8. Rack to {W}.",
                    "The 8 goes down, and so does the cue ball: {W} takes the rack.",
                    "Heartbreak for {L}: a scratch on the 8.",
                ]
            case .threeFouls:
                [
                    "Third foul in a row: {L} loses the rack.",
                    "{L} fouls three times; the rack goes to {W}.",
                    "Three fouls. {W} is handed the rack.",
                ]
            case .comeback:
                [
                    "What a comeback! {W} was {d} racks down and wins {s}.",
                    "{W} comes back from {d} down to win {s}.",
                    "From {d} racks behind, {W} takes the match {s}.",
                ]
            case .rackWon:
                [
                    "Rack {n} to {W}: {sa}–{sb}.",
                    "{W} takes rack {n}, {sa}–{sb}.",
                    "{sa}–{sb} after {W} wins rack {n}.",
                ]
            case .matchWon:
                [
                    "{W} wins the match {s}.",
                    "Match to {W}, {s}.",
                    "{W} closes it out, {s}.",
                ]
            case .warning:
                [
                    "{W} is on two fouls: a third loses the rack.",
                    "Warning: {W} is on two fouls.",
                    "Careful now, {W}: two fouls.",
                ]
            }
        }
    }

    /// The commentary lines for the events a command produced.
    static func commentary(before: State, after: State, events: [Event], at now: Timestamp) -> [Event] {
        var lines: [String] = []
        // A rack that ends the match gets the match's line, not a rack line as well.
        var special = events.contains { if case .completed = $0 { true } else { false } }
        func say(_ moment: Moment, rack: Int, _ values: [String: String]) {
            let templates = moment.templates
            var text = templates[Int(stableHash("\(before.id)|\(rack)|\(moment.rawValue)") % UInt64(templates.count))]
            for (key, value) in values { text = text.replacingAll("{\(key)}", with: value) }
            lines.append(text)
        }
        func name(_ side: Side) -> String { side == .a ? before.playerA : before.playerB }
        let score = "\(after.scoreA)–\(after.scoreB)"
        for event in events {
            switch event {
            case .rackStarted(let number, _, _):
                if before.raceTo > 1, before.scoreA == before.raceTo - 1, before.scoreB == before.raceTo - 1 {
                    say(.hillHill, rack: number, ["A": before.playerA, "B": before.playerB, "sa": "\(before.scoreA)", "sb": "\(before.scoreB)"])
                }
            case .shotRuled(let number, let shooter, _, let ruling, let rackAfter, _, _, _):
                let who = ["W": name(shooter.other), "L": name(shooter)]
                if let result = ruling.result {
                    switch result.reason {
                    case .gameBallPocketed where rackAfter.shots == 1:
                        say(.goldenBreak, rack: number, ["W": name(shooter), "ball": "\(rackAfter.game.gameBall)"])
                        special = true
                    case .gameBallPocketed where !(before.rack?.turnPassed ?? false) && shooter == (before.rack?.breaker ?? before.nextBreaker):
                        say(.breakAndRun, rack: number, ["W": name(shooter), "L": name(shooter.other)])
                        special = true
                    case .eightOnFoul where ruling.foul == .scratch:
                        say(.scratchOnEight, rack: number, who)
                        special = true
                    case .threeFouls:
                        say(.threeFouls, rack: number, who)
                        special = true
                    default:
                        break
                    }
                } else if let warned = ruling.warning {
                    say(.warning, rack: number, ["W": name(warned)])
                }
            case .rackEnded(let number, let winner, let scoreA, let scoreB, _):
                if !special { say(.rackWon, rack: number, ["W": name(winner), "n": "\(number)", "sa": "\(scoreA)", "sb": "\(scoreB)"]) }
            case .completed(let winner, _, _, _, _):
                let deficit = winner == .a ? after.maxDeficitA : after.maxDeficitB
                if deficit >= 2 {
                    say(.comeback, rack: after.racksPlayed, ["W": name(winner), "d": "\(deficit)", "s": score])
                } else {
                    say(.matchWon, rack: after.racksPlayed, ["W": name(winner), "s": score])
                }
            default:
                break
            }
        }
        return lines.map { .commentary(text: $0, at: now) }
    }

    /// FNV-1a, 64 bits: the same on every run and machine (Swift's `Hasher` is seeded per process).
    static func stableHash(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        return hash
    }
}

extension String {
    /// Every occurrence of `target` replaced (without Foundation).
    fileprivate func replacingAll(_ target: String, with replacement: String) -> String {
        var result = ""
        var rest = self[...]
        while let range = rest.firstRange(of: target) {
            result += rest[..<range.lowerBound]
            result += replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}
