import DojoDomain
import DojoRuntime
import DojoStorage
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// REST for the live entities' commands (`/v1/matches`, `/v1/venues`): a scorer app without a
/// socket works, and the tests drive the runtime through it. Every command answers with the
/// sequence number of the last event appended and the entity's state after it.
///
/// Idempotency: an `Idempotency-Key` header (or `commandId` in the body) makes a command safe to
/// retry; a repeat returns the original sequence numbers with `"duplicate": true`.
struct CommandRoutes: Sendable {
    let runtime: Runtime
    let storage: any Storage
    let authentication: Authentication

    static let idempotencyHeader = HTTPField.Name("Idempotency-Key")!

    func register(on router: Router<AppRequestContext>) {
        let matches = router.group("/v1/matches")
        matches.post { request, context in try await createMatch(request, context) }
        // GET /v1/matches/{id} and POST /v1/matches/{id}/commands: EntityRoutes (the registration).
        // The match's history: every recorded event (shots with their rulings, fouls, racks,
        // commentary), oldest first, in pages (`after`: the last seq seen; `limit` ≤ 500).
        matches.get("/:id/events") { request, context in
            let id = try context.parameters.require("id")
            let after = try Self.queryInteger(request, "after", default: 0, in: 0...Int(Int32.max))
            let limit = try Self.queryInteger(request, "limit", default: 100, in: 1...500)
            guard EntityKey.isValidID(id) else { throw DomainError(.notFound, "match.not_found", "no such match") }
            let (state, _) = try await runtime.matches.read(id)
            guard state.exists else { throw DomainError(.notFound, "match.not_found", "match \(id) does not exist") }
            let recorded = try await storage.readEvents(stream: "match:\(id)", after: Int64(after), limit: limit)
            let events = try recorded.map { recorded in
                let event = try recorded.event(of: Match.self)
                return HistoryView.Entry(
                    seq: recorded.sequence,
                    type: recorded.type,
                    seedType: event.seedType,
                    at: event.at,
                    event: AnyEncodable(event)
                )
            }
            return try Response.json(.ok, HistoryView(events: events, next: events.count == limit ? events.last?.seq : nil))
        }
        // The frames a shot was read from (a match in auto mode), for a replay of its ruling.
        matches.get("/:id/shots/:shot/frames") { request, context in
            let id = try context.parameters.require("id")
            let shotID = try context.parameters.require("shot")
            guard let bytes = try await storage.shotFrames(matchID: id, shotID: shotID), let frames = ShotFrames.decode(bytes) else {
                throw DomainError(.notFound, "match.no_frames", "no frames are kept for shot \(shotID.prefix(128)) of match \(id.prefix(64))")
            }
            var w = JSONWriter(capacity: 64 + frames.count * 200)
            w.beginObject()
            w.key("frames")
            w.beginArray()
            for frame in frames {
                w.beginObject()
                w.key("balls")
                w.beginArray()
                for ball in frame.balls {
                    w.beginArray()
                    w.int(ball.ball)
                    w.double(ball.x)
                    w.double(ball.y)
                    w.endArray()
                }
                w.endArray()
                w.member("t", frame.t)
                w.endObject()
            }
            w.endArray()
            w.member("matchId", id)
            w.member("shotId", shotID)
            w.endObject()
            return Response.json(.ok, bytes: w.bytes)
        }
        // The referee's commands for scorer apps: a shot, a player's decision, a correction.
        matches.post("/:id/shots") { request, context in
            let principal = try await authentication.principal(request)
            let shot = try await JSONBody.decode(Referee.Shot.self, request, context)
            return try await matchCommand(request, context, .shot(shot, source: .scorer), commandID: shot.shotId, principal: principal)
        }
        matches.post("/:id/decisions") { request, context in
            let principal = try await authentication.principal(request)
            let body = try await JSONBody.decode(DecisionBody.self, request, context)
            return try await matchCommand(
                request,
                context,
                .decision(body.decision, side: body.side),
                commandID: body.commandId,
                principal: principal
            )
        }
        matches.post("/:id/corrections") { request, context in
            let principal = try await authentication.principal(request)
            let body = try await JSONBody.decodeOptional(ReasonBody.self, request, context) ?? ReasonBody()
            return try await matchCommand(
                request,
                context,
                .correct(reason: body.reason, venueAdmin: false),
                commandID: body.commandId,
                principal: principal
            )
        }
        matches.post("/:id/start") { request, context in
            try await matchCommand(request, context, .start, commandID: nil)
        }
        matches.post("/:id/racks") { request, context in
            let principal = try await authentication.principal(request)
            let body = try await JSONBody.decode(RackBody.self, request, context)
            return try await matchCommand(
                request,
                context,
                .recordRack(winner: body.winner, breaker: body.breaker),
                commandID: body.commandId,
                principal: principal
            )
        }
        matches.post("/:id/end") { request, context in
            let principal = try await authentication.principal(request)
            let body = try await JSONBody.decode(EndBody.self, request, context)
            return try await matchCommand(
                request,
                context,
                .end(winner: body.winner, reason: body.reason),
                commandID: body.commandId,
                principal: principal
            )
        }
        // The venue's staff move a live or scheduled match to another of their tables.
        matches.post("/:id/move") { request, context in
            let principal = try await authentication.principal(request)
            let body = try await JSONBody.decode(MoveBody.self, request, context)
            return try await matchCommand(request, context, .moveTable(tableID: body.tableId), commandID: body.commandId, principal: principal)
        }
        matches.post("/:id/cancel") { request, context in
            let principal = try await authentication.principal(request)
            let body = try await JSONBody.decodeOptional(ReasonBody.self, request, context) ?? ReasonBody()
            return try await matchCommand(request, context, .cancel(reason: body.reason), commandID: body.commandId, principal: principal)
        }

        let venues = router.group("/v1/venues")
        venues.post { request, context in try await createVenue(request, context) }
        // GET /v1/venues/{id} and POST /v1/venues/{id}/commands: EntityRoutes (the registration).
        venues.post("/:id/tables") { request, context in
            let principal = try await authentication.principal(request)
            let body = try await JSONBody.decode(TableBody.self, request, context)
            return try await venueCommand(
                request,
                context,
                .addTable(id: body.id, name: body.name),
                commandID: body.commandId,
                principal: principal,
                status: .created
            )
        }
        venues.post("/:id/tables/:table/maintenance") { request, context in
            let principal = try await authentication.principal(request)
            let body = try await JSONBody.decode(MaintenanceBody.self, request, context)
            let table = try context.parameters.require("table")
            return try await venueCommand(
                request,
                context,
                .setMaintenance(tableID: table, on: body.on),
                commandID: body.commandId,
                principal: principal
            )
        }
        // Who may start matches on the tables: `{"openTables": true}` lets anyone; false (the
        // default) keeps them for the staff and players checked in.
        venues.post("/:id/settings") { request, context in
            let principal = try await authentication.principal(request)
            let body = try await JSONBody.decode(VenueSettingsBody.self, request, context)
            return try await venueCommand(request, context, .setOpenTables(body.openTables), commandID: body.commandId, principal: principal)
        }
        venues.post("/:id/admins") { request, context in
            let principal = try await authentication.principal(request)
            let body = try await JSONBody.decode(UserBody.self, request, context)
            return try await venueCommand(request, context, .grantAdmin(userID: body.userId), commandID: body.commandId, principal: principal)
        }
        venues.delete("/:id/admins/:user") { request, context in
            try await venueCommand(request, context, .revokeAdmin(userID: try context.parameters.require("user")), commandID: nil)
        }
        venues.post("/:id/check-ins") { request, context in
            let principal = try await authentication.principal(request)
            let body = try await JSONBody.decode(CheckInBody.self, request, context)
            let user = body.userId ?? principal.userID ?? ""
            return try await venueCommand(
                request,
                context,
                .checkIn(userID: user, method: body.method),
                commandID: body.commandId,
                principal: principal
            )
        }
    }

    // MARK: Matches

    private func createMatch(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let principal = try await authentication.principal(request)
        let body = try await JSONBody.decode(CreateMatchBody.self, request, context)
        let id = body.id ?? Self.newID()
        let terms = Match.Terms(
            playerA: body.playerA,
            playerB: body.playerB,
            gameType: body.gameType,
            raceTo: body.raceTo,
            venueID: body.venueId,
            tableID: body.tableId,
            tournamentID: body.tournamentId,
            scorer: body.scorer,
            breakRule: body.breakRule,
            mode: body.mode
        )
        // Validate the terms first (pure), then the references (records), then create.
        _ = try Match.decide(Match.initialState(id: id), .create(terms), CommandContext(principal: principal, now: Timestamp(Date())))
        let users = [terms.playerA, terms.playerB] + [terms.scorer].compactMap { $0 }
        let known = try await storage.existingIDs(in: "users", users)
        if let missing = users.first(where: { !known.contains($0) }) {
            throw DomainError(.invalid, "match.unknown_user", "user \(missing) does not exist")
        }
        if let venueID = terms.venueID {
            let (venue, _) = try await runtime.venues.read(venueID)
            guard venue.exists else { throw DomainError(.invalid, "match.unknown_venue", "venue \(venueID) does not exist") }
            if let tableID = terms.tableID, venue.table(tableID) == nil {
                throw DomainError(.invalid, "match.unknown_table", "venue \(venueID) has no table \(tableID)")
            }
        }
        if let tournamentID = terms.tournamentID, try await storage.existingIDs(in: "tournaments", [tournamentID]).isEmpty {
            throw DomainError(.invalid, "match.unknown_tournament", "tournament \(tournamentID) does not exist")
        }
        return try await matchCommand(request, context, .create(terms), commandID: body.commandId, id: id, principal: principal, status: .created)
    }

    private func matchCommand(
        _ request: Request,
        _ context: AppRequestContext,
        _ command: Match.Command,
        commandID: String?,
        id: String? = nil,
        principal: Principal? = nil,
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let principal = if let principal { principal } else { try await authentication.principal(request) }
        let id = try id ?? context.parameters.require("id")
        let command = try await runtime.authorize(command, match: id, principal: principal)
        return try await send(command, to: runtime.matches, request, context, commandID: commandID, id: id, principal: principal, status: status) {
            CommandView(result: $0, eventType: Match.eventType, match: $0.state.view)
        }
    }

    /// Sends a command for the entity in the path (or `id`) as the authenticated principal, and
    /// answers with its result (200 for a duplicate, else `status`).
    private func send<A: Aggregate>(
        _ command: A.Command,
        to directory: EntityDirectory<A>,
        _ request: Request,
        _ context: AppRequestContext,
        commandID: String?,
        id: String?,
        principal: Principal?,
        status: HTTPResponse.Status,
        view: (CommandResult<A>) -> CommandView
    ) async throws -> Response {
        let principal = if let principal { principal } else { try await authentication.principal(request) }
        let id = try id ?? context.parameters.require("id")
        let result = try await directory.send(
            id,
            command,
            context: CommandContext(principal: principal, now: Timestamp(Date())),
            commandID: try Self.commandID(request, body: commandID)
        )
        return try Response.json(result.duplicate ? .ok : status, view(result))
    }

    // MARK: Venues

    private func createVenue(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let principal = try await authentication.principal(request)
        let body = try await JSONBody.decode(CreateVenueBody.self, request, context)
        let id = body.id ?? Self.newID()
        let owner = body.ownerId ?? principal.userID
        if let owner, try await storage.existingIDs(in: "users", [owner]).isEmpty {
            throw DomainError(.invalid, "venue.unknown_user", "user \(owner) does not exist")
        }
        let command = Venue.Command.register(name: body.name, location: .init(lat: body.lat, lng: body.lng), address: body.address, ownerID: owner)
        return try await venueCommand(request, context, command, commandID: body.commandId, id: id, principal: principal, status: .created)
    }

    private func venueCommand(
        _ request: Request,
        _ context: AppRequestContext,
        _ command: Venue.Command,
        commandID: String?,
        id: String? = nil,
        principal: Principal? = nil,
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let command = try await runtime.authorize(command)
        return try await send(command, to: runtime.venues, request, context, commandID: commandID, id: id, principal: principal, status: status) {
            CommandView(result: $0, eventType: Venue.eventType, venue: $0.state.view)
        }
    }

    // MARK: Helpers

    /// An integer query parameter within a range, or `invalid_query`.
    private static func queryInteger(_ request: Request, _ name: String, default value: Int, in range: ClosedRange<Int>) throws -> Int {
        try Query.integer(request, name, default: value, in: range)
    }

    /// The command's id: the `Idempotency-Key` header, else the body's `commandId`; both are
    /// checked when both are sent (the header wins).
    static func commandID(_ request: Request, body: String?) throws -> String? {
        let header = request.headers[idempotencyHeader]
        for id in [header, body].compactMap({ $0 }) {
            do throws(DomainError) { try CommandID.validate(id) } catch {
                throw APIError(.badRequest, code: error.code, message: error.message)
            }
        }
        return header ?? body
    }

    /// A new entity id: 32 lowercase hex digits.
    static func newID() -> String {
        UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
    }
}

// MARK: Bodies

// MARK: Views
