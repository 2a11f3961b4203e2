import DojoDomain
import DojoRuntime
import DojoStorage
import Foundation
import HTTPTypes
import Hummingbird

/// REST for challenges (docs/challenges.md): create, list mine, and the defender's and
/// challenger's actions as sub-resources. `GET /v1/challenges/{id}` and
/// `POST /v1/challenges/{id}/commands` come from the registration; every route ends in
/// ``Runtime/sendChallenge(_:_:context:commandID:)``.
struct ChallengeRoutes: Sendable {
    let runtime: Runtime
    let authentication: Authentication

    func register(on router: Router<AppRequestContext>) {
        let challenges = router.group("/v1/challenges")
        challenges.post { request, context in
            let body = try await JSONBody.decode(NewChallengeBody.self, request, context)
            let id = body.id ?? CommandRoutes.newID()
            guard EntityKey.isValidID(id), id.utf8.count <= Challenge.maximumIDLength else {
                throw DomainError(.invalid, "challenge.invalid_id", "a challenge id is 1–\(Challenge.maximumIDLength) characters of A–Z a–z 0–9 - _")
            }
            let command = ChallengeCommandBody.Request.create(
                defenderID: body.defenderId,
                venueID: body.venueId,
                tableID: body.tableId,
                gameType: body.gameType ?? .eightBall,
                raceTo: body.raceTo ?? 3,
                stake: body.stakeCoins ?? 0,
                expiresAt: body.expiresAt
            )
            return try await send(id, command, request, status: .created, commandID: body.commandId)
        }
        // Mine: `role=challenger|defender` (either when absent), `status=PENDING,ACCEPTED,…`, paged
        // by `offset`.
        challenges.get { request, _ in
            let user = try await authentication.userID(request, to: "see your challenges")
            let side =
                try request.uri.queryParameters["role"].map { text in
                    guard let side = ChallengeSide(rawValue: String(text)), side != .any else {
                        throw APIError(.badRequest, code: "invalid_query", message: "role is challenger or defender")
                    }
                    return side
                } ?? .any
            let statuses = try (request.uri.queryParameters["status"].map { $0.split(separator: ",") } ?? []).map { text in
                guard let status = ChallengeStatus(rawValue: String(text)) else {
                    let known = ChallengeStatus.allCases.map(\.rawValue).joined(separator: ", ")
                    throw APIError(.badRequest, code: "invalid_query", message: "status is a comma-separated list of \(known)")
                }
                return status
            }
            let limit = try Query.integer(request, "limit", default: 50, in: 1...100)
            let offset = try Query.integer(request, "offset", default: 0, in: 0...100_000)
            let page = try await runtime.challenges(of: user, side: side, statuses: statuses, offset: offset, limit: limit)
            return try Response.json(.ok, ChallengePage(challenges: page.map(\.view), next: page.count == limit ? offset + limit : nil))
        }
        for (action, request) in [("accept", ChallengeCommandBody.Request.accept), ("decline", .decline), ("withdraw", .withdraw)] {
            challenges.post("/:id/\(action)") { http, context in
                let body = try await JSONBody.decodeOptional(ChallengeActionBody.self, http, context) ?? ChallengeActionBody()
                return try await send(try context.parameters.require("id"), request, http, status: .ok, commandID: body.commandId)
            }
        }
    }

    private func send(
        _ id: String,
        _ request: ChallengeCommandBody.Request,
        _ http: Request,
        status: HTTPResponse.Status,
        commandID: String?
    ) async throws -> Response {
        let principal = try await authentication.principal(http)
        guard EntityKey.isValidID(id) else { throw APIError(.notFound, code: "challenge.not_found", message: "no such challenge") }
        let result = try await runtime.sendChallenge(
            id,
            runtime.command(for: request, challenger: principal.userID),
            context: CommandContext(principal: principal, now: Timestamp(Date())),
            commandID: try CommandRoutes.commandID(http, body: commandID)
        )
        // An accept whose stakes are still being escrowed: accepted for processing.
        let answered: HTTPResponse.Status = result.duplicate ? .ok : result.state.status == .accepting ? .accepted : status
        return try Response.json(answered, CommandView(result: result, eventType: Challenge.eventType, challenge: result.state.view))
    }

}
