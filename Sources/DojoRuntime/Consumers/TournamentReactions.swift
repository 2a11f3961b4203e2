import DojoDomain
import DojoStorage
import Foundation
import Logging

/// Does what a tournament's events ask of other entities, following the tournament streams
/// (docs/tournaments.md). Every step has an id derived from the event, so a redelivery repeats
/// nothing:
///
/// - `registered` with a fee: the fee from the player to the pool (`tournament-{id}-entry-{user}-{n}`),
///   then the outcome to the tournament (`entryResult`, which turns a payment for a registration
///   that is gone into `entry_returned`).
/// - `unregistered` with a refund, `entry_returned`, `cancelled`: the fees back
///   (`tournament-{id}-refund-{user}-{n}`).
/// - `match_assigned`: the match, created with the slot's players, race and table (its id is the
///   slot's); the players and the venue hear where they play.
/// - `result_recorded` by the director, `cancelled`: the slot's match still on is cancelled.
/// - `completed`: the prizes (`tournament-{id}-prize-{user}`), the rest of the pot to the house.
struct TournamentReactions: EventConsumer {
    let name = "reactions.tournament"
    let kinds = [EntityKind.tournament]
    let tournaments: EntityDirectory<Tournament>
    let accounts: EntityDirectory<Account>
    let matches: EntityDirectory<Match>
    /// Tells rooms (`user:`, `venue:`) about the tournament's state.
    let notice: @Sendable (_ rooms: [String], _ state: Tournament.State, _ eventType: String) -> Void
    let logger: Logger
    let now: @Sendable () -> Date

    /// Tournaments of a round 64 at a time: each tournament's events stay in order.
    func handle(batch: [(stream: String, events: [RecordedEvent])]) async throws {
        try await handleConcurrently(batch, limit: 64)
    }

    func handle(stream: String, events: [RecordedEvent]) async throws {
        guard let key = EntityKey(stream) else { return }
        let id = key.id
        let decoder = JSONDecoder()
        let pool = Tournament.poolAccount(id)
        for recorded in events {
            let event = try decoder.decode(EventEnvelope<Tournament.Event>.self, from: Data(recorded.payload.utf8)).event
            let state = try await tournaments.read(id).state
            guard let terms = state.terms else { continue }
            let cause = Cause(stream: stream, seq: recorded.sequence)
            switch event {
            case .registered(let user, let attempt, let paid, _):
                guard !paid, terms.entryFee > 0 else { break }
                // Collected whatever the registration's state now: the tournament turns a payment
                // it no longer wants into `entry_returned`, so no coin is left in the pool.
                let transfer = Account.Transfer(
                    id: "tournament-\(id)-entry-\(user)-\(attempt)",
                    from: Account.user(user),
                    to: pool,
                    amount: terms.entryFee,
                    type: .debit,
                    reference: "tournament:\(id)"
                )
                let refusal = try await escrow.collect(transfer)
                try await refusalLogged(cause, target: "tournament:\(id)", logger: logger) {
                    _ = try await tournaments.send(
                        id,
                        .entryResult(userID: user, attempt: attempt, paid: refusal == nil),
                        context: system,
                        cause: cause
                    )
                }
            case .unregistered(_, let refund, _):
                if let refund { try await give(refund, id: id, fee: terms.entryFee) }
            case .entryReturned(let refund, _):
                try await give(refund, id: id, fee: terms.entryFee)
            case .matchAssigned(let assignment, _):
                try await createMatch(assignment, id: id, terms: terms, director: state.directorID, cause: cause)
                var rooms = ["user:\(assignment.playerA)", "user:\(assignment.playerB)"]
                if let venue = terms.venueID { rooms.append("venue:\(venue)") }
                notice(rooms, state, recorded.type)
            case .resultRecorded(let slot, _, _, _, _, _, let by, _, _):
                guard by != nil, let assignment = state.assignments.last(where: { $0.slot == slot }) else { break }
                try await cancelMatch(assignment.matchID, reason: "the tournament's director recorded the result", cause: cause)
            case .cancelled(_, let refunds, let liveMatches, _):
                for match in liveMatches { try await cancelMatch(match, reason: "the tournament was cancelled", cause: cause) }
                for refund in refunds { try await give(refund, id: id, fee: terms.entryFee) }
            case .completed(_, let prizes, _):
                for prize in prizes {
                    try await escrow.pay(
                        "tournament-\(id)-prize-\(prize.userID)",
                        from: pool,
                        to: Account.user(prize.userID),
                        prize.amount,
                        .prize,
                        reference: "tournament:\(id)"
                    )
                }
                let rest = state.pot - prizes.reduce(0) { $0 + $1.amount }
                try await escrow.pay("tournament-\(id)-house", from: pool, to: Account.house, rest, .fee, reference: "tournament:\(id)")
                notice(state.placings?.flatMap { $0 }.map { "user:\($0)" } ?? [], state, recorded.type)
            case .created, .checkedIn, .entryPaid, .entryFailed, .started, .scoreChanged, .tablesChanged, .matchReplaced, .disqualified:
                break
            }
        }
    }

    private var system: CommandContext { CommandContext(principal: .system, now: Timestamp(now())) }
    private var escrow: Escrow { Escrow(accounts: accounts, now: now) }

    private func give(_ refund: Tournament.Refund, id: String, fee: Int64) async throws {
        try await escrow.pay(
            "tournament-\(id)-refund-\(refund.userID)-\(refund.attempt)",
            from: Tournament.poolAccount(id),
            to: Account.user(refund.userID),
            fee,
            .credit,
            reference: "tournament:\(id)"
        )
    }

    /// The slot's match, created once (its id is the slot's), scored by the director.
    private func createMatch(_ assignment: Tournament.Assignment, id: String, terms: Tournament.Terms, director: String?, cause: Cause) async throws {
        let match = Match.Terms(
            playerA: assignment.playerA,
            playerB: assignment.playerB,
            gameType: terms.gameType,
            raceTo: assignment.raceTo,
            venueID: terms.venueID,
            tableID: assignment.tableID,
            tournamentID: id,
            scorer: director.flatMap { $0 == "system" ? nil : $0 } ?? assignment.playerA
        )
        do {
            _ = try await matches.send(assignment.matchID, .create(match), context: system, commandID: "tournament-\(assignment.matchID)")
        } catch let error as DomainError where error.code == "match.already_exists" {
            return
        } catch let error as DomainError {
            // The tournament checked the players and tables; a refusal now cannot be retried. The
            // director sees the slot waiting and reports it by hand.
            logger.error(
                "a tournament's match could not be created",
                metadata: ["source": "\(cause.stream)@\(cause.seq)", "match": "\(assignment.matchID)", "code": "\(error.code)"]
            )
        }
    }

    private func cancelMatch(_ matchID: String, reason: String, cause: Cause) async throws {
        do {
            _ = try await matches.send(matchID, .cancel(reason: reason, venueAdmin: true), context: system, cause: cause)
        } catch is DomainError {
            // Finished already (or never created): nothing to stop.
        }
    }
}

/// Tells a venue's tournaments (UPCOMING or LIVE, as the records list them) which of its tables
/// other matches hold or maintenance keeps, after every change of a table's state: a tournament puts
/// its next match only on a table that is free.
struct TournamentTableReactions: EventConsumer {
    static let relevant: Set<String> = ["venue.table_occupied", "venue.table_released", "venue.maintenance_changed"]
    let name = "reactions.tournament_tables"
    let kinds = [EntityKind.venue]
    let venues: EntityDirectory<Venue>
    let tournaments: EntityDirectory<Tournament>
    let storage: any Storage
    let logger: Logger
    let now: @Sendable () -> Date

    func handle(stream: String, events: [RecordedEvent]) async throws {
        guard let last = events.last(where: { Self.relevant.contains($0.type) }), let key = EntityKey(stream) else { return }
        let ids = try await storage.tournamentIDs(
            venueID: key.id,
            statuses: [TournamentStatus.upcoming.rawValue, TournamentStatus.live.rawValue],
            offset: 0,
            limit: 100
        )
        guard !ids.isEmpty else { return }
        let venue = try await venues.read(key.id).state
        let cause = Cause(stream: stream, seq: last.sequence)
        for id in ids {
            let unavailable = Self.unavailable(venue, for: try await tournaments.read(id).state)
            try await refusalLogged(cause, target: "tournament:\(id)", logger: logger) {
                _ = try await tournaments.send(
                    id,
                    .tablesChanged(unavailable: unavailable),
                    context: CommandContext(principal: .system, now: Timestamp(now())),
                    cause: cause
                )
            }
        }
    }

    /// The venue's tables a tournament may not use now: in maintenance, or holding a live match
    /// that is not one of the tournament's.
    static func unavailable(_ venue: Venue.State, for tournament: Tournament.State) -> [String] {
        let own = Set(tournament.assignments.map(\.matchID))
        return venue.tables.filter { table in table.maintenance || table.liveMatches.contains { !own.contains($0) } }.map(\.id)
    }
}
