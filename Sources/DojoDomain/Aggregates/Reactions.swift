/// How one entity's events drive commands to another (ARCHITECTURE §1; the runtime delivers them at
/// least once and the target applies each exactly once, keyed by the source event).
///
/// Pure: given a source event and the source's state after it, the commands to send. The runtime
/// calls these for every event in the log of a source kind, in order.
public enum Reactions {
    /// A command for a venue, caused by a match event.
    public struct VenueCommand: Sendable, Equatable {
        public var venueID: String
        public var command: Venue.Command

        public init(venueID: String, command: Venue.Command) {
            self.venueID = venueID
            self.command = command
        }
    }

    /// What a match event makes happen elsewhere: a match going live occupies its table; a match
    /// that completes or is cancelled after going live frees it. (Later: brackets, stakes,
    /// territories.)
    public static func onMatchEvent(_ event: Match.Event, state: Match.State) -> [VenueCommand] {
        guard let venueID = state.venueID, let tableID = state.tableID else { return [] }
        switch event {
        case .started:
            return [VenueCommand(venueID: venueID, command: .occupyTable(tableID: tableID, matchID: state.id))]
        case .completed, .cancelled:
            guard state.startedAt != nil else { return [] }
            return [VenueCommand(venueID: venueID, command: .releaseTable(tableID: tableID, matchID: state.id))]
        case .tableMoved(let from, let to, _):
            // Only a live match holds a table: it leaves the old one and takes the new one.
            guard state.status == .live else { return [] }
            return [VenueCommand(venueID: venueID, command: .transferMatch(matchID: state.id, from: from, to: to))]
        default:
            return []
        }
    }

    /// A command for a territory, caused by a match event.
    public struct TerritoryCommand: Sendable, Equatable {
        public var territoryID: String
        public var command: Territory.Command
    }

    /// What a territory match's end does to its territory: a completion resolves the contest with
    /// the winner (the runtime adds the winner's clan), a cancellation abandons it.
    public static func onTerritoryMatchEvent(_ event: Match.Event, state: Match.State) -> TerritoryCommand? {
        guard let territoryID = state.territoryID else { return nil }
        switch event {
        case .completed(let winner, _, _, _, _):
            return TerritoryCommand(
                territoryID: territoryID,
                command: .resolve(matchID: state.id, winnerID: state.player(winner), winnerClanID: nil)
            )
        case .cancelled:
            return TerritoryCommand(territoryID: territoryID, command: .abandon(matchID: state.id))
        default:
            return nil
        }
    }

    /// A challenge's match ended: completed pays its winner, cancelled refunds both stakes.
    public static func onChallengeMatchEvent(_ event: Match.Event, state: Match.State) -> (challengeID: String, command: Challenge.Command)? {
        guard let challengeID = state.challengeID else { return nil }
        switch event {
        case .completed(let winner, _, _, _, _):
            return (challengeID, .matchEnded(matchID: state.id, winnerID: state.player(winner)))
        case .cancelled:
            return (challengeID, .matchEnded(matchID: state.id, winnerID: nil))
        default:
            return nil
        }
    }

    /// A tournament's match ended (completed: its result; cancelled: the slot gets a new match) or
    /// a rack of it ended (the live score on the bracket).
    public static func onTournamentMatchEvent(_ event: Match.Event, state: Match.State) -> (tournamentID: String, command: Tournament.Command)? {
        guard let tournamentID = state.tournamentID else { return nil }
        switch event {
        case .completed(let winner, let scoreA, let scoreB, _, _):
            return (tournamentID, .matchEnded(matchID: state.id, winnerID: state.player(winner), scoreA: scoreA, scoreB: scoreB))
        case .cancelled:
            return (tournamentID, .matchEnded(matchID: state.id, winnerID: nil, scoreA: state.scoreA, scoreB: state.scoreB))
        case .rackEnded(_, _, let scoreA, let scoreB, _):
            return (tournamentID, .score(matchID: state.id, scoreA: scoreA, scoreB: scoreB))
        default:
            return nil
        }
    }

    /// A command for a clan, caused by another entity's event.
    public struct ClanCommand: Sendable, Equatable {
        public var clanID: String
        public var command: Clan.Command
    }

    /// A clan that declared war tells the clan it declared war on.
    public static func onClanEvent(_ event: Clan.Event, clanID: String) -> [ClanCommand] {
        guard case .warStarted(let war, _) = event, war.declaredBy == clanID else { return [] }
        return [ClanCommand(clanID: war.defenderID, command: .warDeclaredAgainst(war.terms(for: war.defenderID)))]
    }

    /// A completed match between members of two clans at war counts for the war, in both clans.
    /// `clanA`/`clanB`: the clans of player A and B now; `war`: clan A's active war against clan B.
    public static func onWarMatch(_ event: Match.Event, state: Match.State, clanA: String?, clanB: String?, war: Clan.War?) -> [ClanCommand] {
        guard case .completed(let winner, _, _, _, let at) = event, let clanA, let clanB, clanA != clanB, let war, war.status == .active else {
            return []
        }
        let winnerClan = winner == .a ? clanA : clanB
        return [clanA, clanB].map { clan in
            ClanCommand(clanID: clan, command: .recordWarMatch(war: war.terms(for: clan), matchID: state.id, winnerClanID: winnerClan, at: at))
        }
    }
}
