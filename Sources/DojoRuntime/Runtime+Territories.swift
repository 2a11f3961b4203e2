public import DojoDomain
import DojoStorage
import Foundation

extension Runtime {
    /// Puts a venue on the map: the venue's staff (or ADMIN) create its one territory, at the
    /// venue's location (`territory.venue` claim: one territory per venue).
    public func createTerritory(
        _ id: String,
        venueID: String,
        name: String?,
        context: CommandContext,
        commandID: String?
    ) async throws
        -> CommandResult<Territory>
    {
        guard EntityKey.isValidID(venueID) else {
            throw DomainError(.invalid, "territory.unknown_venue", "venue \(venueID.prefix(64)) does not exist")
        }
        let (venue, _) = try await venues.read(venueID)
        guard venue.exists else { throw DomainError(.invalid, "territory.unknown_venue", "venue \(venueID) does not exist") }
        try AccessPolicy.check(context.principal, .administerVenue(venue))
        let command = Territory.Command.create(name: name ?? venue.name, venueID: venueID, location: venue.location)
        // Validate before reserving the venue, so a malformed request holds nothing.
        _ = try Territory.decide(Territory.initialState(id: id), command, context)
        let taken = try await claim(
            "territory.venue",
            venueID,
            for: id,
            conflict: "territory.venue_taken",
            "venue \(venueID) has its territory already",
            stillOwned: { owner in
                try await self.territories.read(owner).state.venueID == venueID
            }
        )
        do {
            return try await territories.send(id, command, context: context, commandID: commandID)
        } catch {
            if taken { try? await environment.storage.releaseClaim("territory.venue", venueID, owner: id) }
            throw error
        }
    }

    /// Sends a territory command, the one way every transport does: a challenge carries the
    /// challenger's clan and names an existing opponent; an accepted challenge schedules its match
    /// at the venue (created as the accepting player; a match that cannot be created abandons the
    /// contest). A repeat of the accept finishes what a crash interrupted: the match is created if
    /// it is missing.
    public func sendTerritory(
        _ id: String,
        _ command: Territory.Command,
        context: CommandContext,
        commandID: String?
    ) async throws
        -> CommandResult<Territory>
    {
        var command = command
        if case .challenge(let opponent, _) = command {
            if let opponent, EntityKey.isValidID(opponent), try await environment.storage.existingIDs(in: "users", [opponent]).isEmpty {
                throw DomainError(.invalid, "territory.unknown_user", "user \(opponent) does not exist")
            }
            var clan: String?
            if let user = context.principal.userID { clan = try await Runtime.clan(of: user, storage: environment.storage, clans: clans) }
            command = .challenge(opponentID: opponent, clanID: clan)
        }
        let result = try await territories.send(id, command, context: context, commandID: commandID)
        if case .respond(true, _, let gameType, let raceTo) = command, let contest = result.state.contest, let matchID = contest.matchID {
            try await scheduleContestMatch(result.state, contest: contest, matchID: matchID, gameType: gameType, raceTo: raceTo, context: context)
        }
        return result
    }

    private func scheduleContestMatch(
        _ territory: Territory.State,
        contest: Territory.Contest,
        matchID: String,
        gameType: Match.GameType,
        raceTo: Int,
        context: CommandContext
    ) async throws {
        guard try await !matches.read(matchID).state.exists else { return }
        let terms = Match.Terms(
            playerA: contest.opponentID,
            playerB: contest.challengerID,
            gameType: gameType,
            raceTo: raceTo,
            venueID: territory.venueID,
            territoryID: territory.id
        )
        do {
            _ = try await matches.send(matchID, .create(terms), context: context, commandID: "territory-\(territory.id)")
        } catch {
            _ = try? await territories.send(territory.id, .abandon(matchID: matchID), context: CommandContext(principal: .system, now: context.now))
            throw error
        }
    }
}

extension EntityRegistration {
    /// Territories: a ``TerritoryCommandBody`` (challenge, accept, decline, withdraw); every command
    /// goes through ``Runtime/sendTerritory(_:_:context:commandID:)``. Creation is REST's
    /// `POST /v1/territories`; results come only from matches.
    static func territory(_ directory: EntityDirectory<Territory>, runtime: Runtime) -> EntityRegistration {
        EntityRegistration(
            directory: directory,
            collection: "territories",
            exists: { $0.exists },
            view: { $0.view },
            decode: { body, _ in
                let decoded = try JSONDecoder().decode(TerritoryCommandBody.self, from: body)
                return (try decoded.request().command, decoded.commandId)
            },
            deliver: { [weak runtime] id, command, context, commandID in
                guard let runtime else { throw RuntimeError(.shuttingDown, "the runtime is gone") }
                return try await runtime.sendTerritory(id, command, context: context, commandID: commandID)
            }
        )
    }
}

extension TerritoryCommandBody.Request {
    /// The territory command for this request (an accepted challenge gets a new match id).
    public var command: Territory.Command {
        switch self {
        case .challenge(let opponent): .challenge(opponentID: opponent, clanID: nil)
        case .accept(let gameType, let raceTo):
            .respond(
                accept: true,
                matchID: UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: ""),
                gameType: gameType,
                raceTo: raceTo
            )
        case .decline: .respond(accept: false, matchID: "declined", gameType: .eightBall, raceTo: 1)
        case .withdraw: .withdraw
        }
    }
}
