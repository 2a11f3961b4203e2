// The referee's values written by hand (see JSONWriter): every judged shot records its shot, ruling
// and rack in the log, and JSONEncoder cost 55 µs per event where the ruling itself costs 3.
// Keys in sorted order, optionals omitted when nil: the bytes JSONEncoder writes with sorted keys,
// which EventJSONTests checks.

extension Referee.Game: JSONWritable {}
extension Referee.Group: JSONWritable {}
extension Referee.BallInHand: JSONWritable {}
extension Referee.Foul: JSONWritable {}
extension Referee.Option: JSONWritable {}
extension Referee.RackEndReason: JSONWritable {}

extension Bool: JSONWritable {
    public func writeJSON(to writer: inout JSONWriter) { writer.bool(self) }
}

extension Referee.PerPlayer: JSONWritable where Value: JSONWritable {
    public func writeJSON(to w: inout JSONWriter) {
        w.beginObject()
        w.member("A", a)
        w.member("B", b)
        w.endObject()
    }
}

extension Referee.PocketedBall: JSONWritable {
    public func writeJSON(to w: inout JSONWriter) {
        w.beginObject()
        w.member("ball", ball)
        w.member("pocket", pocket)
        w.endObject()
    }
}

extension Referee.PendingDecision: JSONWritable {
    public func writeJSON(to w: inout JSONWriter) {
        w.beginObject()
        w.member("by", by)
        w.member("options", options)
        w.member("reason", reason)
        w.member("rule", rule)
        w.endObject()
    }
}

extension Referee.RackResult: JSONWritable {
    public func writeJSON(to w: inout JSONWriter) {
        w.beginObject()
        w.member("reason", reason)
        w.member("rule", rule)
        w.member("winner", winner)
        w.endObject()
    }
}

extension Referee.Rack: JSONWritable {
    public func writeJSON(to w: inout JSONWriter) {
        w.beginObject()
        w.member("awaiting", awaiting)
        w.member("ballInHand", ballInHand != nil)
        w.member("ballInHandArea", ballInHand)
        w.member("breakShot", breakShot)
        w.member("breaker", breaker)
        w.member("fouls", fouls)
        w.member("game", game)
        w.member("groups", groups)
        w.member("onTable", onTable)
        w.member("openTable", openTable)
        w.member("pocketed", pocketed)
        w.member("pushOutAvailable", pushOutAvailable)
        w.member("result", result)
        w.member("shooter", shooter)
        w.member("shots", shots)
        w.member("warned", warned)
        w.endObject()
    }
}

extension Referee.Shot: JSONWritable {
    public func writeJSON(to w: inout JSONWriter) {
        w.beginObject()
        w.member("called", called)
        w.member("cueBallPocketed", cueBallPocketed)
        if let firstContact { w.member("firstContact", firstContact) }
        w.member("objectBallsToRail", objectBallsToRail)
        w.member("observedAt", observedAt)
        w.member("offTable", offTable)
        w.member("pocketed", pocketed)
        w.member("pushOut", pushOut)
        w.member("railAfterContact", railAfterContact)
        w.member("safety", safety)
        w.member("shotId", shotId)
        w.endObject()
    }
}

extension Referee.Ruling: JSONWritable {
    public func writeJSON(to w: inout JSONWriter) {
        w.beginObject()
        w.member("awaiting", awaiting)
        w.member("ballInHand", ballInHand != nil)
        w.member("ballInHandArea", ballInHand)
        w.member("continues", continues)
        w.member("decision", decision)
        w.member("foul", foul)
        w.member("fouls", fouls)
        w.member("groupsAssigned", groupsAssigned)
        w.member("legal", legal)
        w.member("next", next)
        w.member("player", player)
        w.member("rerack", rerack)
        w.member("result", result)
        w.member("rule", rule)
        w.member("rules", rules)
        w.member("spotted", spotted)
        w.member("summary", summary)
        w.member("warning", warning)
        w.endObject()
    }
}

extension Match.Rack: JSONWritable {
    public func writeJSON(to w: inout JSONWriter) {
        w.beginObject()
        w.member("breaker", breaker)
        w.member("number", number)
        w.member("shots", shots)
        w.member("turnPassed", turnPassed)
        w.endObject()
    }
}

extension Match.Undo: JSONWritable {
    public func writeJSON(to w: inout JSONWriter) {
        w.beginObject()
        w.member("nextBreaker", nextBreaker)
        w.member("rack", rack)
        w.member("racksPlayed", racksPlayed)
        w.member("referee", referee)
        w.member("scoreA", scoreA)
        w.member("scoreB", scoreB)
        w.member("shotID", shotID)
        w.endObject()
    }
}
