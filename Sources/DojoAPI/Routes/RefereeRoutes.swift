import DojoDomain
import Foundation
import Hummingbird

/// `POST /v1/referee/rulings`: the referee without a match, for other services (a vision pipeline,
/// a scorer app checking a call, a training tool). Give a rack (the JSON a match state shows as
/// `referee`, or none for a fresh rack) and a shot or a decision; get the ruling and the rack
/// after it, which can be sent back with the next shot. Nothing is stored.
struct RefereeRoutes: Sendable {
    let authentication: Authentication

    struct RulingRequest: Decodable {
        var game: String
        var rack: Referee.Rack?
        /// Who breaks a fresh rack (when `rack` is absent); A when not given.
        var breaker: Referee.Player?
        var shot: Referee.Shot?
        var decision: Referee.Decision?
    }

    struct RulingResponse: Encodable {
        var ruling: Referee.Ruling
        var rack: Referee.Rack
    }

    func register(on router: Router<AppRequestContext>) {
        router.post("/v1/referee/rulings") { request, context in
            _ = try await authentication.principal(request)
            let body = try await JSONBody.decode(RulingRequest.self, request, context)
            guard let game = Referee.Game(name: body.game) else {
                throw DomainError(.invalid, "referee.unknown_game", "game is 8ball, 9ball or 10ball")
            }
            let rack = body.rack ?? Referee.Rack(game: game, breaker: body.breaker ?? .a)
            guard rack.game == game else {
                throw DomainError(.invalid, "referee.invalid_rack", "the rack is a \(rack.game.rawValue) rack, not \(game.rawValue)")
            }
            try rack.validate()
            let (ruling, after): (Referee.Ruling, Referee.Rack)
            switch (body.shot, body.decision) {
            case (let shot?, nil): (ruling, after) = try Referee.judge(rack, shot)
            case (nil, let decision?): (ruling, after) = try Referee.decide(rack, decision)
            default: throw DomainError(.invalid, "referee.invalid_request", "give either a shot or a decision")
            }
            return try Response.json(.ok, RulingResponse(ruling: ruling, rack: after))
        }
    }
}
