import DojoDomain
import DojoStorage
import Foundation
import Logging

/// Moves a challenge's coins and creates its match, following the challenge streams (the saga of
/// docs/challenges.md). Every movement is a transfer with an id derived from the challenge, so a
/// redelivered event moves nothing twice:
///
/// - `accept_requested` (attempt n): each stake from the player's account to the escrow
///   (`challenge-{id}-{n}-stake-{role}`), then the outcome to the challenge (`escrowResult`).
///   Nothing is moved once the attempt is decided (a redelivery after the outcome).
/// - `accept_failed`: the stakes already moved go back (`challenge-{id}-{n}-refund-{role}`).
/// - `accepted`: the match, with the challenge's terms, created as the defender.
/// - `settled`: the prize to the winner, the fee to the house. `refunded`: both stakes back.
///
/// Payouts come from the escrow account, whose credits are delivered by the ledger's own reaction:
/// a payout that finds the escrow not yet credited is retried (``Escrow/NotCredited``).
/// After each stream's events the players hear the challenge's state in their `user:` rooms (and
/// a venue's room hears of a challenge accepted there).
struct ChallengeReactions: EventConsumer {
    let name = "reactions.challenge"
    let kinds = [EntityKind.challenge]
    let challenges: EntityDirectory<Challenge>
    let accounts: EntityDirectory<Account>
    let matches: EntityDirectory<Match>
    /// Frees the challenger's place among their open challenges.
    let finished: @Sendable (Challenge.State) async -> Void
    /// Tells the rooms (`user:`, `venue:`) about the challenge's state.
    let notice: @Sendable (_ rooms: [String], _ state: Challenge.State, _ eventType: String) -> Void
    let logger: Logger
    let now: @Sendable () -> Date

    /// Challenges of a round 64 at a time: each challenge's events stay in order; the accounts and
    /// matches they touch decide each command themselves.
    func handle(batch: [(stream: String, events: [RecordedEvent])]) async throws {
        try await handleConcurrently(batch, limit: 64)
    }

    func handle(stream: String, events: [RecordedEvent]) async throws {
        guard let key = EntityKey(stream) else { return }
        let id = key.id
        let decoder = JSONDecoder()
        var last: RecordedEvent?
        for recorded in events {
            let event = try decoder.decode(EventEnvelope<Challenge.Event>.self, from: Data(recorded.payload.utf8)).event
            let state = try await challenges.read(id).state
            guard let terms = state.terms else { continue }
            let cause = Cause(stream: stream, seq: recorded.sequence)
            last = recorded
            switch event {
            case .created:
                break
            case .acceptRequested(let attempt, _, _):
                guard state.status == .accepting, state.attempt == attempt else { break }
                let failure = try await escrowStakes(id, terms, attempt: attempt)
                try await refusalLogged(cause, target: "challenge:\(id)", logger: logger) {
                    _ = try await challenges.send(id, .escrowResult(attempt: attempt, failure: failure), context: system, cause: cause)
                }
            case .acceptFailed(let attempt, let failure, _):
                for role in failure.debited {
                    try await payOut(
                        id,
                        "challenge-\(id)-\(attempt)-refund-\(role.rawValue)",
                        to: Account.user(terms.player(role)),
                        terms.stake,
                        .credit
                    )
                }
            case .accepted(let matchID, _):
                try await createMatch(id, matchID: matchID, terms, cause: cause)
            case .settled(_, let winner, let prize, let fee, _):
                try await payOut(id, "challenge-\(id)-prize", to: Account.user(winner), prize, .prize)
                try await payOut(id, "challenge-\(id)-fee", to: Account.house, fee, .fee)
                await finished(state)
            case .refunded:
                for role in Challenge.Role.allCases {
                    try await payOut(id, "challenge-\(id)-refund-\(role.rawValue)", to: Account.user(terms.player(role)), terms.stake, .credit)
                }
                await finished(state)
            case .declined, .withdrawn, .expired:
                await finished(state)
            }
        }
        // The players hear the state after the stream's events (newest wins for a slow reader);
        // when the challenge is already further, the next round tells its state.
        guard let last else { return }
        let (state, sequence) = try await challenges.read(id)
        guard let terms = state.terms, sequence == last.sequence else { return }
        var rooms = ["user:\(terms.challengerID)", "user:\(terms.defenderID)"]
        if let venue = terms.venueID, [.accepted, .settled, .refunded].contains(state.status) { rooms.append("venue:\(venue)") }
        notice(rooms, state, last.type)
    }

    private var system: CommandContext { CommandContext(principal: .system, now: Timestamp(now())) }
    private var escrow: Escrow { Escrow(accounts: accounts, now: now) }

    /// Moves both stakes into escrow; nil when both are there, else why not and whose moved.
    private func escrowStakes(_ id: String, _ terms: Challenge.Terms, attempt: Int) async throws -> Challenge.EscrowFailure? {
        var debited: [Challenge.Role] = []
        for role in Challenge.Role.allCases {
            let transfer = Account.Transfer(
                id: "challenge-\(id)-\(attempt)-stake-\(role.rawValue)",
                from: Account.user(terms.player(role)),
                to: Challenge.escrowAccount(id),
                amount: terms.stake,
                type: .debit,
                reference: "challenge:\(id)"
            )
            if let error = try await escrow.collect(transfer) {
                let who = role == .challenger ? "the challenger (\(terms.challengerID))" : "the defender (\(terms.defenderID))"
                return Challenge.EscrowFailure(
                    code: error.code,
                    message: "\(who) cannot cover the stake of \(terms.stake): \(error.message)",
                    debited: debited
                )
            }
            debited.append(role)
        }
        return nil
    }

    /// Pays `amount` out of the challenge's escrow, once (by `transferID`).
    private func payOut(_ id: String, _ transferID: String, to account: String, _ amount: Int64, _ type: TransactionType) async throws {
        try await escrow.pay(transferID, from: Challenge.escrowAccount(id), to: account, amount, type, reference: "challenge:\(id)")
    }

    /// The accepted challenge's match, created as its defender (the accepting player), once.
    private func createMatch(_ id: String, matchID: String, _ terms: Challenge.Terms, cause: Cause) async throws {
        let match = Match.Terms(
            playerA: terms.challengerID,
            playerB: terms.defenderID,
            gameType: terms.gameType,
            raceTo: terms.raceTo,
            venueID: terms.venueID,
            tableID: terms.tableID,
            challengeID: id
        )
        let context = CommandContext(principal: .user(terms.defenderID), now: Timestamp(now()))
        do {
            _ = try await matches.send(matchID, .create(match), context: context, commandID: "challenge-\(id)")
        } catch let error as DomainError where error.code == "match.already_exists" {
            return
        } catch let error as DomainError {
            // The terms were checked when the challenge was made; a refusal now cannot be retried:
            // the stakes go back (the challenge is refunded as if its match were cancelled).
            logger.error("a challenge's match could not be created; refunded", metadata: ["challenge": "\(id)", "code": "\(error.code)"])
            try await refusalLogged(cause, target: "challenge:\(id)", logger: logger) {
                _ = try await challenges.send(id, .matchEnded(matchID: matchID, winnerID: nil), context: system, cause: cause)
            }
        }
    }
}
