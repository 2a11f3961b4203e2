// The hand-written JSON of the events (see JSONWriter). Keys in sorted order; the shapes are those
// of the synthesized Codable conformances, which decode them.

extension Match.Side: JSONWritable {}
extension Match.GameType: JSONWritable {}
extension Match.BreakRule: JSONWritable {}
extension Match.Mode: JSONWritable {}

extension Match.Detection: JSONWritable {
    public func writeJSON(to w: inout JSONWriter) {
        w.beginObject()
        w.member("confidence", confidence)
        w.member("deviceID", deviceID)
        w.member("doubts", doubts)
        w.member("from", from)
        w.member("to", to)
        w.endObject()
    }
}

extension Match.Declaration: JSONWritable {
    public func writeJSON(to w: inout JSONWriter) {
        w.beginObject()
        w.member("called", called)
        w.member("pushOut", pushOut)
        w.member("safety", safety)
        w.endObject()
    }
}

extension Match.Review: JSONWritable {
    public func writeJSON(to w: inout JSONWriter) {
        w.beginObject()
        w.member("detection", detection)
        w.member("openedAt", openedAt)
        if let proposals {
            w.key("proposals")
            w.beginObject()
            for (side, proposal) in proposals.sorted(by: { $0.key < $1.key }) { w.member(side, proposal) }
            w.endObject()
        }
        w.member("reason", reason)
        w.member("shot", shot)
        w.endObject()
    }
}

extension Match.Proposal: JSONWritable {
    public func writeJSON(to w: inout JSONWriter) {
        w.beginObject()
        w.member("shot", shot)
        w.endObject()
    }
}
extension CheckInMethod: JSONWritable {}

extension Match.Terms: JSONWritable {
    public func writeJSON(to w: inout JSONWriter) {
        w.beginObject()
        w.member("breakRule", breakRule)
        w.member("challengeID", challengeID)
        w.member("gameType", gameType)
        w.member("mode", mode)
        w.member("playerA", playerA)
        w.member("playerB", playerB)
        w.member("raceTo", raceTo)
        w.member("scorer", scorer)
        w.member("tableID", tableID)
        w.member("territoryID", territoryID)
        w.member("tournamentID", tournamentID)
        w.member("venueID", venueID)
        w.endObject()
    }
}

extension Match.Event: JSONWritable {
    public func writeJSON(to w: inout JSONWriter) {
        switch self {
        case .created(let terms, let scorer, let createdBy, let at):
            w.enumCase("created") { w in
                w.member("at", at)
                w.member("createdBy", createdBy)
                w.member("scorer", scorer)
                w.member("terms", terms)
            }
        case .started(let at):
            w.enumCase("started") { w in w.member("at", at) }
        case .rackStarted(let rack, let breaker, let at):
            w.enumCase("rackStarted") { w in
                w.member("at", at)
                w.member("breaker", breaker)
                w.member("rack", rack)
            }
        case .shot(let rack, let shooter, let pocketed, let at):
            w.enumCase("shot") { w in
                w.member("at", at)
                w.member("pocketed", pocketed)
                w.member("rack", rack)
                w.member("shooter", shooter)
            }
        case .shotRuled(let rack, let shooter, let shot, let ruling, let after, let source, let detection, let at):
            w.enumCase("shotRuled") { w in
                w.member("after", after)
                w.member("at", at)
                w.member("detection", detection)
                w.member("rack", rack)
                w.member("ruling", ruling)
                w.member("shooter", shooter)
                w.member("shot", shot)
                w.member("source", source)
            }
        case .decided(let rack, let side, let ruling, let after, let at):
            w.enumCase("decided") { w in
                w.member("after", after)
                w.member("at", at)
                w.member("rack", rack)
                w.member("ruling", ruling)
                w.member("side", side)
            }
        case .corrected(let rack, let shotID, let reason, let by, let restored, let at):
            w.enumCase("corrected") { w in
                w.member("at", at)
                w.member("by", by)
                w.member("rack", rack)
                w.member("reason", reason)
                w.member("restored", restored)
                w.member("shotID", shotID)
            }
        case .rackEnded(let rack, let winner, let scoreA, let scoreB, let at):
            w.enumCase("rackEnded") { w in
                w.member("at", at)
                w.member("rack", rack)
                w.member("scoreA", scoreA)
                w.member("scoreB", scoreB)
                w.member("winner", winner)
            }
        case .commentary(let text, let at):
            w.enumCase("commentary") { w in
                w.member("at", at)
                w.member("text", text)
            }
        case .completed(let winner, let scoreA, let scoreB, let reason, let at):
            w.enumCase("completed") { w in
                w.member("at", at)
                w.member("reason", reason)
                w.member("scoreA", scoreA)
                w.member("scoreB", scoreB)
                w.member("winner", winner)
            }
        case .cancelled(let reason, let at):
            w.enumCase("cancelled") { w in
                w.member("at", at)
                w.member("reason", reason)
            }
        case .tableMoved(let from, let to, let at):
            w.enumCase("tableMoved") { w in
                w.member("at", at)
                w.member("from", from)
                w.member("to", to)
            }
        case .modeSet(let mode, let at):
            w.enumCase("modeSet") { w in
                w.member("at", at)
                w.member("mode", mode)
            }
        case .declared(let declaration, let by, let at):
            w.enumCase("declared") { w in
                w.member("at", at)
                w.member("by", by)
                w.member("declaration", declaration)
            }
        case .reviewOpened(let review, let at):
            w.enumCase("reviewOpened") { w in
                w.member("at", at)
                w.member("review", review)
            }
        case .reviewProposed(let side, let proposal, let by, let at):
            w.enumCase("reviewProposed") { w in
                w.member("at", at)
                w.member("by", by)
                w.member("proposal", proposal)
                w.member("side", side)
            }
        case .reviewResolved(let shotID, let edited, let by, let at):
            w.enumCase("reviewResolved") { w in
                w.member("at", at)
                w.member("by", by)
                w.member("edited", edited)
                w.member("shotID", shotID)
            }
        }
    }
}

extension Venue.Location: JSONWritable {
    public func writeJSON(to w: inout JSONWriter) {
        w.beginObject()
        w.key("lat")
        w.double(lat)
        w.key("lng")
        w.double(lng)
        w.endObject()
    }
}

extension Venue.Event: JSONWritable {
    public func writeJSON(to w: inout JSONWriter) {
        switch self {
        case .registered(let name, let location, let address, let ownerID, let at):
            w.enumCase("registered") { w in
                w.member("address", address)
                w.member("at", at)
                w.member("location", location)
                w.member("name", name)
                w.member("ownerID", ownerID)
            }
        case .tableAdded(let tableID, let name, let at):
            w.enumCase("tableAdded") { w in
                w.member("at", at)
                w.member("name", name)
                w.member("tableID", tableID)
            }
        case .maintenanceChanged(let tableID, let on, let at):
            w.enumCase("maintenanceChanged") { w in
                w.member("at", at)
                w.member("on", on)
                w.member("tableID", tableID)
            }
        case .adminGranted(let userID, let at):
            w.enumCase("adminGranted") { w in
                w.member("at", at)
                w.member("userID", userID)
            }
        case .adminRevoked(let userID, let at):
            w.enumCase("adminRevoked") { w in
                w.member("at", at)
                w.member("userID", userID)
            }
        case .checkedIn(let userID, let method, let at):
            w.enumCase("checkedIn") { w in
                w.member("at", at)
                w.member("method", method)
                w.member("userID", userID)
            }
        case .openTablesChanged(let on, let at):
            w.enumCase("openTablesChanged") { w in
                w.member("at", at)
                w.member("on", on)
            }
        case .tableOccupied(let tableID, let matchID, let at):
            w.enumCase("tableOccupied") { w in
                w.member("at", at)
                w.member("matchID", matchID)
                w.member("tableID", tableID)
            }
        case .tableReleased(let tableID, let matchID, let at):
            w.enumCase("tableReleased") { w in
                w.member("at", at)
                w.member("matchID", matchID)
                w.member("tableID", tableID)
            }
        }
    }
}

extension ClanRole: JSONWritable {}
extension Clan.War.Status: JSONWritable {}

extension Clan.War: JSONWritable {
    public func writeJSON(to w: inout JSONWriter) {
        w.beginObject()
        w.member("counted", counted)
        w.member("declaredBy", declaredBy)
        w.member("defenderID", defenderID)
        if let endedAt { w.member("endedAt", endedAt) }
        w.member("endsAt", endsAt)
        w.member("id", id)
        w.member("opponentID", opponentID)
        w.member("ours", ours)
        w.member("startsAt", startsAt)
        w.member("status", status)
        w.member("target", target)
        w.member("theirs", theirs)
        w.endObject()
    }
}

extension Clan.Event: JSONWritable {
    public func writeJSON(to w: inout JSONWriter) {
        switch self {
        case .created(let name, let description, let leaderID, let at):
            w.enumCase("created") { w in
                w.member("at", at)
                w.member("description", description)
                w.member("leaderID", leaderID)
                w.member("name", name)
            }
        case .described(let description, let by, let at):
            w.enumCase("described") { w in
                w.member("at", at)
                w.member("by", by)
                w.member("description", description)
            }
        case .invited(let userID, let by, let at):
            w.enumCase("invited") { w in
                w.member("at", at)
                w.member("by", by)
                w.member("userID", userID)
            }
        case .requested(let userID, let at):
            w.enumCase("requested") { w in
                w.member("at", at)
                w.member("userID", userID)
            }
        case .declined(let userID, let by, let at):
            w.enumCase("declined") { w in
                w.member("at", at)
                w.member("by", by)
                w.member("userID", userID)
            }
        case .joined(let userID, let role, let at):
            w.enumCase("joined") { w in
                w.member("at", at)
                w.member("role", role)
                w.member("userID", userID)
            }
        case .left(let userID, let at):
            w.enumCase("left") { w in
                w.member("at", at)
                w.member("userID", userID)
            }
        case .kicked(let userID, let by, let at):
            w.enumCase("kicked") { w in
                w.member("at", at)
                w.member("by", by)
                w.member("userID", userID)
            }
        case .roleChanged(let userID, let role, let by, let at):
            w.enumCase("roleChanged") { w in
                w.member("at", at)
                w.member("by", by)
                w.member("role", role)
                w.member("userID", userID)
            }
        case .leadershipTransferred(let from, let to, let at):
            w.enumCase("leadershipTransferred") { w in
                w.member("at", at)
                w.member("from", from)
                w.member("to", to)
            }
        case .disbanded(let by, let at):
            w.enumCase("disbanded") { w in
                w.member("at", at)
                w.member("by", by)
            }
        case .warStarted(let war, let at):
            w.enumCase("warStarted") { w in
                w.member("at", at)
                w.member("war", war)
            }
        case .warScored(let warID, let matchID, let won, let ours, let theirs, let at):
            w.enumCase("warScored") { w in
                w.member("at", at)
                w.member("matchID", matchID)
                w.member("ours", ours)
                w.member("theirs", theirs)
                w.member("warID", warID)
                w.member("won", won)
            }
        case .warEnded(let warID, let result, let ours, let theirs, let reason, let at):
            w.enumCase("warEnded") { w in
                w.member("at", at)
                w.member("ours", ours)
                w.member("reason", reason)
                w.member("result", result)
                w.member("theirs", theirs)
                w.member("warID", warID)
            }
        }
    }
}

extension Territory.Contest: JSONWritable {
    public func writeJSON(to w: inout JSONWriter) {
        w.beginObject()
        w.member("challengerClanID", challengerClanID)
        w.member("challengerID", challengerID)
        w.member("matchID", matchID)
        w.member("opponentID", opponentID)
        w.member("since", since)
        w.endObject()
    }
}

extension Territory.Event: JSONWritable {
    public func writeJSON(to w: inout JSONWriter) {
        switch self {
        case .created(let name, let venueID, let location, let at):
            w.enumCase("created") { w in
                w.member("at", at)
                w.member("location", location)
                w.member("name", name)
                w.member("venueID", venueID)
            }
        case .challenged(let challengerID, let clanID, let opponentID, let at):
            w.enumCase("challenged") { w in
                w.member("at", at)
                w.member("challengerID", challengerID)
                w.member("clanID", clanID)
                w.member("opponentID", opponentID)
            }
        case .challengeDeclined(let by, let at):
            w.enumCase("challengeDeclined") { w in
                w.member("at", at)
                w.member("by", by)
            }
        case .challengeWithdrawn(let at):
            w.enumCase("challengeWithdrawn") { w in w.member("at", at) }
        case .matchScheduled(let matchID, let at):
            w.enumCase("matchScheduled") { w in
                w.member("at", at)
                w.member("matchID", matchID)
            }
        case .claimed(let ownerID, let clanID, let matchID, let level, let at):
            w.enumCase("claimed") { w in
                w.member("at", at)
                w.member("clanID", clanID)
                w.member("level", level)
                w.member("matchID", matchID)
                w.member("ownerID", ownerID)
            }
        case .lost(let ownerID, let clanID, let matchID, let at):
            w.enumCase("lost") { w in
                w.member("at", at)
                w.member("clanID", clanID)
                w.member("matchID", matchID)
                w.member("ownerID", ownerID)
            }
        case .defended(let ownerID, let matchID, let defenseScore, let at):
            w.enumCase("defended") { w in
                w.member("at", at)
                w.member("defenseScore", defenseScore)
                w.member("matchID", matchID)
                w.member("ownerID", ownerID)
            }
        case .upgraded(let level, let at):
            w.enumCase("upgraded") { w in
                w.member("at", at)
                w.member("level", level)
            }
        case .contestAbandoned(let matchID, let at):
            w.enumCase("contestAbandoned") { w in
                w.member("at", at)
                w.member("matchID", matchID)
            }
        }
    }
}

extension TransactionType: JSONWritable {}

extension Account.Transfer: JSONWritable {
    public func writeJSON(to w: inout JSONWriter) {
        w.beginObject()
        w.member("amount", amount)
        w.member("from", from)
        w.member("id", id)
        w.member("reference", reference)
        w.member("to", to)
        w.member("type", type)
        w.endObject()
    }
}

extension Account.Event: JSONWritable {
    public func writeJSON(to w: inout JSONWriter) {
        switch self {
        case .debited(let transfer, let balance, let at):
            w.enumCase("debited") { w in
                w.member("_0", transfer)
                w.member("at", at)
                w.member("balance", balance)
            }
        case .credited(let transfer, let balance, let at):
            w.enumCase("credited") { w in
                w.member("_0", transfer)
                w.member("at", at)
                w.member("balance", balance)
            }
        }
    }
}

extension ChallengeStatus: JSONWritable {}

extension Challenge.Terms: JSONWritable {
    public func writeJSON(to w: inout JSONWriter) {
        w.beginObject()
        w.member("challengerID", challengerID)
        w.member("defenderID", defenderID)
        w.member("expiresAt", expiresAt)
        w.member("feeBasisPoints", feeBasisPoints)
        w.member("gameType", gameType)
        w.member("raceTo", raceTo)
        w.member("stake", stake)
        w.member("tableID", tableID)
        w.member("venueID", venueID)
        w.endObject()
    }
}

extension Challenge.EscrowFailure: JSONWritable {
    public func writeJSON(to w: inout JSONWriter) {
        w.beginObject()
        w.member("code", code)
        w.member("debited", debited)
        w.member("message", message)
        w.endObject()
    }
}

extension Challenge.Event: JSONWritable {
    public func writeJSON(to w: inout JSONWriter) {
        switch self {
        case .created(let terms, let at):
            w.enumCase("created") { w in
                w.member("_0", terms)
                w.member("at", at)
            }
        case .acceptRequested(let attempt, let matchID, let at):
            w.enumCase("acceptRequested") { w in
                w.member("at", at)
                w.member("attempt", attempt)
                w.member("matchID", matchID)
            }
        case .acceptFailed(let attempt, let failure, let at):
            w.enumCase("acceptFailed") { w in
                w.member("at", at)
                w.member("attempt", attempt)
                w.member("failure", failure)
            }
        case .accepted(let matchID, let at):
            w.enumCase("accepted") { w in
                w.member("at", at)
                w.member("matchID", matchID)
            }
        case .declined(let at):
            w.enumCase("declined") { $0.member("at", at) }
        case .withdrawn(let at):
            w.enumCase("withdrawn") { $0.member("at", at) }
        case .expired(let at):
            w.enumCase("expired") { $0.member("at", at) }
        case .settled(let matchID, let winnerID, let prize, let fee, let at):
            w.enumCase("settled") { w in
                w.member("at", at)
                w.member("fee", fee)
                w.member("matchID", matchID)
                w.member("prize", prize)
                w.member("winnerID", winnerID)
            }
        case .refunded(let matchID, let at):
            w.enumCase("refunded") { w in
                w.member("at", at)
                w.member("matchID", matchID)
            }
        }
    }
}
