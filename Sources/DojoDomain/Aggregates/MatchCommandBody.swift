/// Any match command as one JSON object (`{"type": "recordRack", "winner": "A"}`): the body of
/// `POST /v1/matches/{id}/commands` and the `command` of a WebSocket `command` message.
///
/// A `shot` carries the referee's shot observation in the same object
/// (`{"type": "shot", "shotId": "s1", "firstContact": 1, "pocketed": [{"ball": 3, "pocket": 2}], …}`);
/// its `shotId` is also its command id unless `commandId` is given.
public struct MatchCommandBody: Decodable, Sendable {
    public var type: String
    public var commandId: String?
    public var breaker: Match.Side?
    public var winner: Match.Side?
    public var side: Match.Side?
    public var decision: Referee.Option?
    public var text: String?
    public var reason: String?
    public var shot: Referee.Shot?
    public var tableId: String?
    public var mode: Match.Mode?
    public var called: Referee.PocketedBall?
    public var safety: Bool?
    public var pushOut: Bool?

    enum CodingKeys: String, CodingKey {
        case type, commandId, breaker, winner, side, decision, text, reason, tableId, mode, called, safety, pushOut, shot
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        type = try c.decode(String.self, forKey: .type)
        commandId = try c.decodeIfPresent(String.self, forKey: .commandId)
        breaker = try c.decodeIfPresent(Match.Side.self, forKey: .breaker)
        winner = try c.decodeIfPresent(Match.Side.self, forKey: .winner)
        side = try c.decodeIfPresent(Match.Side.self, forKey: .side)
        decision = try c.decodeIfPresent(Referee.Option.self, forKey: .decision)
        text = try c.decodeIfPresent(String.self, forKey: .text)
        reason = try c.decodeIfPresent(String.self, forKey: .reason)
        tableId = try c.decodeIfPresent(String.self, forKey: .tableId)
        mode = try c.decodeIfPresent(Match.Mode.self, forKey: .mode)
        called = try c.decodeIfPresent(Referee.PocketedBall.self, forKey: .called)
        safety = try c.decodeIfPresent(Bool.self, forKey: .safety)
        pushOut = try c.decodeIfPresent(Bool.self, forKey: .pushOut)
        // A shot's observation is the object itself; a review's edit is its "shot" member.
        switch type {
        case "shot": shot = try Referee.Shot(from: decoder)
        case "resolveReview": shot = try c.decodeIfPresent(Referee.Shot.self, forKey: .shot)
        default: shot = nil
        }
    }

    /// The id that makes the command idempotent: `commandId`, else a shot's `shotId`.
    public var idempotencyKey: String? { commandId ?? shot?.shotId }

    /// The command, or `invalid_command` when its type is unknown or a field it needs is missing.
    public func command() throws(DomainError) -> Match.Command {
        func require<T>(_ value: T?, _ field: String) throws(DomainError) -> T {
            guard let value else { throw DomainError(.invalid, "invalid_command", "\(type) needs \(field)") }
            return value
        }
        switch type {
        case "start": return .start
        case "startRack": return .startRack(breaker: breaker)
        case "shot": return .shot(try require(shot, "the shot"), source: .scorer)
        case "decision":
            let option = try require(decision, "decision")
            return .decision(option, side: side)
        case "concede": return .decision(.concede, side: side)
        case "correct": return .correct(reason: reason, venueAdmin: false)
        case "recordRack": return .recordRack(winner: try require(winner, "winner"), breaker: breaker)
        case "commentary": return .commentary(try require(text, "text"))
        case "end": return .end(winner: try require(winner, "winner"), reason: reason)
        case "cancel": return .cancel(reason: reason)
        case "moveTable": return .moveTable(tableID: try require(tableId, "tableId"))
        case "setMode": return .setMode(try require(mode, "mode (manual or auto)"))
        case "declare":
            guard called != nil || safety == true || pushOut == true else {
                throw DomainError(.invalid, "invalid_command", "declare needs called, safety or pushOut")
            }
            return .declare(Match.Declaration(called: called, safety: safety ?? false, pushOut: pushOut ?? false))
        case "resolveReview": return .resolveReview(shot)
        default:
            throw DomainError(
                .invalid,
                "invalid_command",
                "unknown command type \(type.prefix(40)); use start, startRack, shot, decision, concede, correct, recordRack, commentary, end, cancel, moveTable, setMode, declare or resolveReview"
            )
        }
    }
}

/// The rule for command ids (`Idempotency-Key`, `commandId`, `shotId`), the same on every transport.
public enum CommandID {
    /// 1–128 printable ASCII characters, or `invalid_command_id`.
    public static func validate(_ id: String) throws(DomainError) {
        guard !id.isEmpty, id.utf8.count <= 128, id.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw DomainError(.invalid, "invalid_command_id", "a command id (Idempotency-Key, commandId, shotId) is 1–128 printable ASCII characters")
        }
    }
}
