public import DojoDomain
import DojoStorage
import Foundation

extension Runtime {
    /// The one way every transport sends a tournament command (``EntityRegistration/tournament``):
    /// it adds what the tournament cannot know itself — whether the sender is on the venue's staff,
    /// the venue's tables (all of them when the director names none), that a player registered by
    /// the director exists, the players' ratings and a random seed for the start — and schedules
    /// the start timer of a tournament created with a start time.
    public func sendTournament(
        _ id: String,
        _ command: Tournament.Command,
        context: CommandContext,
        commandID: String?
    ) async throws -> CommandResult<Tournament> {
        let storage = environment.storage
        let user = context.principal.userID
        if case .create(var terms, _) = command {
            var staff = false
            if let venueID = terms.venueID {
                guard EntityKey.isValidID(venueID) else { throw DomainError(.invalid, "tournament.unknown_venue", "venueId is not an id") }
                let venue = try await venues.read(venueID).state
                guard venue.exists else { throw DomainError(.invalid, "tournament.unknown_venue", "venue \(venueID) does not exist") }
                staff = venue.isVenueAdmin(user)
                if terms.tables.isEmpty {
                    terms.tables = venue.tables.map(\.id)
                } else if let unknown = terms.tables.first(where: { venue.table($0) == nil }) {
                    throw DomainError(.invalid, "tournament.unknown_table", "table \(unknown.prefix(64)) is not a table of venue \(venueID)")
                }
            }
            let create = Tournament.Command.create(terms, staff: staff)
            let result = try await tournaments.send(id, create, context: context, commandID: commandID)
            if let startsAt = terms.startsAt {
                try await scheduleTimer(
                    id: "tournament-\(id)-start",
                    for: EntityKey(kind: .tournament, id: id)!,
                    command: #"{"type":"start"}"#,
                    at: startsAt.date
                )
            }
            return result
        }
        let state = try await tournaments.read(id).state
        var staff = false
        if let venueID = state.terms?.venueID { staff = try await venues.read(venueID).state.isVenueAdmin(user) }
        var command = command.staff(staff)
        switch command {
        case .register(let player, _) where player != user:
            guard EntityKey.isValidID(player), try await !storage.existingIDs(in: "users", [player]).isEmpty else {
                throw DomainError(.invalid, "tournament.unknown_user", "user \(player.prefix(64)) does not exist")
            }
        case .start(let order, _, _, _) where state.status == .upcoming:
            // The venue's tables as they are now (the venue reaction keeps them current after).
            if let venueID = state.terms?.venueID {
                let unavailable = TournamentTableReactions.unavailable(try await venues.read(venueID).state, for: state)
                _ = try await tournaments.send(
                    id,
                    .tablesChanged(unavailable: unavailable),
                    context: CommandContext(principal: .system, now: context.now)
                )
            }
            let ratings = try await storage.skillRatings(of: state.participants.map(\.userID))
            command = .start(order: order, ratings: ratings, randomSeed: UInt64.random(in: 1...UInt64.max), staff: staff)
        default:
            break
        }
        return try await tournaments.send(id, command, context: context, commandID: commandID)
    }

    /// Tournaments newest first, by venue and status (the records' order), each read from its actor.
    public func tournaments(venueID: String?, statuses: [TournamentStatus], offset: Int, limit: Int) async throws -> [Tournament.State] {
        let ids = try await environment.storage.tournamentIDs(venueID: venueID, statuses: statuses.map(\.rawValue), offset: offset, limit: limit)
        var states: [Tournament.State] = []
        for id in ids {
            let state = try await tournaments.read(id).state
            if state.exists { states.append(state) }
        }
        return states
    }
}

extension EntityRegistration {
    /// Tournaments: a ``TournamentCommandBody``; every command goes through
    /// ``Runtime/sendTournament(_:_:context:commandID:)``.
    static func tournament(_ directory: EntityDirectory<Tournament>, runtime: Runtime) -> EntityRegistration {
        EntityRegistration(
            directory: directory,
            collection: "tournaments",
            exists: { $0.exists },
            view: { $0.view },
            decode: { body, principal in
                let decoded = try JSONDecoder().decode(TournamentCommandBody.self, from: body)
                return (try decoded.command(sender: principal.userID), decoded.commandId)
            },
            deliver: { [weak runtime] id, command, context, commandID in
                guard let runtime else { throw RuntimeError(.shuttingDown, "the runtime is gone") }
                return try await runtime.sendTournament(id, command, context: context, commandID: commandID)
            }
        )
    }
}

extension Tournament.State {
    /// The `tournaments` row and its participants (nil before it exists).
    var row: TournamentRow? {
        guard exists, let terms, let createdAt else { return nil }
        let seeds = bracket?.seeds ?? []
        return TournamentRow(
            id: id,
            venueID: terms.venueID,
            name: terms.name,
            status: status.rawValue,
            startTime: (startedAt ?? terms.startsAt ?? createdAt).date,
            endTime: endedAt?.date,
            rewards: terms.rewards.flatMap { try? String(decoding: JSONEncoder().encode($0), as: UTF8.self) },
            participants: participants.map { ($0.userID, seeds.firstIndex(of: $0.userID).map { $0 + 1 }) },
            createdAt: createdAt.date,
            updatedAt: (updatedAt ?? createdAt).date
        )
    }
}
