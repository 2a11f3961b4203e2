import Foundation

/// A territory: the venue as a prize on the city's map (seed §5 `Territory`, `TerritoryEvent`).
/// One per venue, created by the venue's staff. It changes hands only through **match results**:
/// a player challenges the holder, the holder accepts, a match is scheduled at the venue, and its
/// completion decides — the challenger wins: LOSE for the old holder and CLAIM for the new; the
/// holder wins: DEFEND (defence score up) and every ``defencesPerLevel`` defences an UPGRADE, up to
/// ``maximumLevel``. A territory is contested by one challenge (one match) at a time.
public enum Territory: Aggregate {
    public static let kind = EntityKind.territory
    public static let stateFormatVersion = 1

    /// The highest level.
    public static let maximumLevel = 5
    /// Defences won for each level gained.
    public static let defencesPerLevel = 3
    /// The longest name.
    public static let maximumNameLength = 80

    /// An open challenge: who challenges, whom, and the match once the holder accepted.
    public struct Contest: Sendable, Codable, Equatable {
        public var challengerID: String
        /// The challenger's clan when the challenge was made (a capture counts for it).
        public var challengerClanID: String?
        /// The holder, or the player named to play for an unclaimed territory.
        public var opponentID: String
        public var matchID: String?
        public var since: Timestamp
    }

    public struct State: Sendable, Codable, Equatable {
        public var id: String
        public var exists = false
        public var name = ""
        public var venueID = ""
        public var location = Venue.Location(lat: 0, lng: 0)
        public var ownerID: String?
        public var clanID: String?
        public var level = 1
        public var defenseScore = 0
        public var contest: Contest?
        public var claimedAt: Timestamp?
        public var createdAt: Timestamp?

        public init(id: String) { self.id = id }

        public var view: View {
            View(
                id: id,
                exists: exists,
                name: name,
                venueId: venueID,
                location: location,
                ownerId: ownerID,
                clanId: clanID,
                level: level,
                defenseScore: defenseScore,
                contest: contest,
                claimedAt: claimedAt,
                createdAt: createdAt
            )
        }

        public struct View: Sendable, Encodable, Equatable {
            public var id: String
            public var exists: Bool
            public var name: String
            public var venueId: String
            public var location: Venue.Location
            public var ownerId: String?
            public var clanId: String?
            public var level: Int
            public var defenseScore: Int
            public var contest: Contest?
            public var claimedAt: Timestamp?
            public var createdAt: Timestamp?
        }
    }

    public enum Command: Sendable, Equatable, Codable {
        /// The venue's staff put the venue on the map (the runtime checks the staff and fills the
        /// venue's location).
        case create(name: String, venueID: String, location: Venue.Location)
        /// The sender challenges the holder (`opponentID` nil), or names an opponent to play for
        /// an unclaimed territory. `clanID`: the sender's clan, filled by the runtime.
        case challenge(opponentID: String?, clanID: String?)
        /// The opponent accepts (`matchID`: the match the runtime then schedules with this game and
        /// race) or declines.
        case respond(accept: Bool, matchID: String, gameType: Match.GameType, raceTo: Int)
        /// The challenger withdraws before a match is scheduled.
        case withdraw
        /// Reaction: the contest's match completed with this winner (and the winner's clan).
        case resolve(matchID: String, winnerID: String, winnerClanID: String?)
        /// Reaction: the contest's match was cancelled, or its scheduling failed.
        case abandon(matchID: String)
        /// The legacy import (system only): a holder, clan, level and defence score carried over
        /// from the old platform, once, onto a territory never held here. Recorded as the events a
        /// match would have left (CLAIM, then DEFEND with the score) under the match id `legacy`.
        case restore(ownerID: String, clanID: String?, level: Int, defenseScore: Int)
    }

    /// The match id of a holding carried over by the legacy import.
    public static let restoredMatchID = "legacy"

    public enum Event: Sendable, Codable, Equatable {
        case created(name: String, venueID: String, location: Venue.Location, at: Timestamp)
        case challenged(challengerID: String, clanID: String?, opponentID: String, at: Timestamp)
        case challengeDeclined(by: String?, at: Timestamp)
        case challengeWithdrawn(at: Timestamp)
        case matchScheduled(matchID: String, at: Timestamp)
        /// CLAIM: the winner holds the territory at `level`.
        case claimed(ownerID: String, clanID: String?, matchID: String, level: Int, at: Timestamp)
        /// LOSE: the holder lost it in `matchID`.
        case lost(ownerID: String, clanID: String?, matchID: String, at: Timestamp)
        /// DEFEND: the holder won `matchID`; the defence score after it.
        case defended(ownerID: String, matchID: String, defenseScore: Int, at: Timestamp)
        /// UPGRADE: the level after it.
        case upgraded(level: Int, at: Timestamp)
        /// The contest ended without a result (its match was cancelled).
        case contestAbandoned(matchID: String, at: Timestamp)
    }

    public static func initialState(id: String) -> State { State(id: id) }

    public static func eventType(_ event: Event) -> String {
        switch event {
        case .created: "territory.created"
        case .challenged: "territory.challenged"
        case .challengeDeclined: "territory.challenge_declined"
        case .challengeWithdrawn: "territory.challenge_withdrawn"
        case .matchScheduled: "territory.match_scheduled"
        case .claimed: "territory.claimed"
        case .lost: "territory.lost"
        case .defended: "territory.defended"
        case .upgraded: "territory.upgraded"
        case .contestAbandoned: "territory.contest_abandoned"
        }
    }

    // MARK: decide

    public static func decide(_ state: State, _ command: Command, _ context: CommandContext) throws(DomainError) -> [Event] {
        let now = context.now
        let principal = context.principal
        if case .create(let name, let venueID, let location) = command {
            guard !state.exists else { throw DomainError(.conflict, "territory.already_exists", "territory \(state.id) already exists") }
            let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !trimmed.isEmpty, trimmed.count <= maximumNameLength,
                !trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
            else {
                throw DomainError(
                    .invalid,
                    "territory.invalid_name",
                    "a territory's name is 1–\(maximumNameLength) characters, no control characters"
                )
            }
            guard EntityKey.isValidID(venueID) else { throw DomainError(.invalid, "territory.invalid_id", "venueId is not an id") }
            return [.created(name: trimmed, venueID: venueID, location: location, at: now)]
        }
        guard state.exists else { throw DomainError(.notFound, "territory.not_found", "territory \(state.id) does not exist") }

        switch command {
        case .create:
            preconditionFailure("handled above")

        case .challenge(let named, let clanID):
            guard let challenger = principal.userID else { throw DomainError(.forbidden, "forbidden", "a player challenges for themselves") }
            if let contest = state.contest {
                if contest.challengerID == challenger, contest.matchID == nil, named == nil || named == contest.opponentID { return [] }
                throw DomainError(.conflict, "territory.contested", "territory \(state.id) is already contested; one challenge at a time")
            }
            let opponent: String
            if let owner = state.ownerID {
                guard named == nil || named == owner else {
                    throw DomainError(.invalid, "territory.wrong_opponent", "a held territory is contested against its holder \(owner)")
                }
                guard challenger != owner else { throw DomainError(.conflict, "territory.own_territory", "you hold this territory") }
                if let clanID, clanID == state.clanID {
                    throw DomainError(.conflict, "territory.same_clan", "your clan holds this territory")
                }
                opponent = owner
            } else {
                guard let named else {
                    throw DomainError(.invalid, "territory.opponent_required", "an unclaimed territory is played for: name an opponent (opponentId)")
                }
                guard EntityKey.isValidID(named) else { throw DomainError(.invalid, "territory.invalid_id", "opponentId is not an id") }
                guard named != challenger else { throw DomainError(.invalid, "territory.wrong_opponent", "a player cannot play themself") }
                opponent = named
            }
            return [.challenged(challengerID: challenger, clanID: clanID, opponentID: opponent, at: now)]

        case .respond(let accept, let matchID, _, let raceTo):
            guard let contest = state.contest, contest.matchID == nil else {
                if accept, state.contest?.matchID == matchID { return [] }
                throw DomainError(.conflict, "territory.no_challenge", "territory \(state.id) has no challenge waiting for an answer")
            }
            guard principal.userID == contest.opponentID || principal.isAdmin else {
                throw DomainError(.forbidden, "forbidden", "only \(contest.opponentID), the challenged player, answers this challenge")
            }
            guard EntityKey.isValidID(matchID) else { throw DomainError(.invalid, "territory.invalid_id", "matchId is not an id") }
            guard (1...Match.maximumRace).contains(raceTo) else {
                throw DomainError(.invalid, "match.invalid_race", "the race must be 1–\(Match.maximumRace) racks")
            }
            return [accept ? .matchScheduled(matchID: matchID, at: now) : .challengeDeclined(by: principal.userID, at: now)]

        case .withdraw:
            guard let contest = state.contest else { return [] }
            guard principal.userID == contest.challengerID || principal.isAdmin else {
                throw DomainError(.forbidden, "forbidden", "only the challenger withdraws a challenge")
            }
            guard contest.matchID == nil else {
                throw DomainError(.conflict, "territory.match_scheduled", "the match is scheduled: play it, or have the venue cancel it")
            }
            return [.challengeWithdrawn(at: now)]

        case .resolve(let matchID, let winner, let winnerClanID):
            try requireSystem(principal)
            // A result for another (or an earlier) contest changes nothing: reactions are redelivered.
            guard let contest = state.contest, contest.matchID == matchID else { return [] }
            if let owner = state.ownerID, winner == owner {
                let score = state.defenseScore + 1
                var events: [Event] = [.defended(ownerID: owner, matchID: matchID, defenseScore: score, at: now)]
                if score % defencesPerLevel == 0, state.level < maximumLevel {
                    events.append(.upgraded(level: state.level + 1, at: now))
                }
                return events
            }
            guard winner == contest.challengerID || winner == contest.opponentID else {
                return [.contestAbandoned(matchID: matchID, at: now)]
            }
            var events: [Event] = []
            if let owner = state.ownerID {
                events.append(.lost(ownerID: owner, clanID: state.clanID, matchID: matchID, at: now))
            }
            // A captured territory drops a level; a first claim starts at 1.
            let level = state.ownerID == nil ? state.level : max(1, state.level - 1)
            events.append(.claimed(ownerID: winner, clanID: winnerClanID, matchID: matchID, level: level, at: now))
            return events

        case .abandon(let matchID):
            try requireSystem(principal)
            guard state.contest?.matchID == matchID else { return [] }
            return [.contestAbandoned(matchID: matchID, at: now)]

        case .restore(let owner, let clanID, let level, let defenseScore):
            try requireSystem(principal)
            // A repeat of the same restore changes nothing; a territory with a history here is not overwritten.
            if state.ownerID == owner, state.claimedAt != nil, state.level == level, state.defenseScore == defenseScore { return [] }
            guard state.ownerID == nil, state.claimedAt == nil, state.contest == nil else {
                throw DomainError(
                    .conflict,
                    "territory.has_history",
                    "territory \(state.id) has been held here already; a restore only fills a new one"
                )
            }
            guard EntityKey.isValidID(owner), clanID.map(EntityKey.isValidID) ?? true else {
                throw DomainError(.invalid, "territory.invalid_id", "ownerId and clanId are ids")
            }
            guard (1...maximumLevel).contains(level) else {
                throw DomainError(.invalid, "territory.invalid_level", "a territory's level is 1–\(maximumLevel)")
            }
            guard (0...1_000_000).contains(defenseScore) else {
                throw DomainError(.invalid, "territory.invalid_defense_score", "a defence score is 0–1,000,000")
            }
            var events: [Event] = [.claimed(ownerID: owner, clanID: clanID, matchID: restoredMatchID, level: level, at: now)]
            if defenseScore > 0 { events.append(.defended(ownerID: owner, matchID: restoredMatchID, defenseScore: defenseScore, at: now)) }
            return events
        }
    }

    private static func requireSystem(_ principal: Principal) throws(DomainError) {
        guard principal.isSystem else {
            throw DomainError(.forbidden, "forbidden", "a territory changes hands only through the result of its match")
        }
    }

    // MARK: apply

    public static func apply(_ state: inout State, _ event: Event) {
        switch event {
        case .created(let name, let venueID, let location, let at):
            state.exists = true
            state.name = name
            state.venueID = venueID
            state.location = location
            state.createdAt = at
        case .challenged(let challenger, let clanID, let opponent, let at):
            state.contest = Contest(challengerID: challenger, challengerClanID: clanID, opponentID: opponent, matchID: nil, since: at)
        case .challengeDeclined, .challengeWithdrawn, .contestAbandoned:
            state.contest = nil
        case .matchScheduled(let matchID, _):
            state.contest?.matchID = matchID
        case .claimed(let owner, let clanID, _, let level, let at):
            state.ownerID = owner
            state.clanID = clanID
            state.level = level
            state.defenseScore = 0
            state.claimedAt = at
            state.contest = nil
        case .lost:
            state.ownerID = nil
            state.clanID = nil
        case .defended(_, _, let score, _):
            state.defenseScore = score
            state.contest = nil
        case .upgraded(let level, _):
            state.level = level
        }
    }
}

extension Territory.Event {
    public var at: Timestamp {
        switch self {
        case .created(_, _, _, let at), .challenged(_, _, _, let at), .challengeDeclined(_, let at), .challengeWithdrawn(let at),
            .matchScheduled(_, let at), .claimed(_, _, _, _, let at), .lost(_, _, _, let at), .defended(_, _, _, let at), .upgraded(_, let at),
            .contestAbandoned(_, let at):
            at
        }
    }
}
