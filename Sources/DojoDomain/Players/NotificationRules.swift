/// A notification to store and deliver: for whom, what (`type`), and its details.
public struct NotificationDraft: Sendable, Equatable {
    public var userID: String
    public var type: String
    public var payload: [String: String]

    public init(userID: String, type: String, payload: [String: String]) {
        self.userID = userID
        self.type = type
        self.payload = payload
    }
}

/// Which events notify whom (docs/notifications.md). Pure: the notifications projection gives the
/// event and the entity's state after it, and stores what comes back.
public enum NotificationRules {
    /// A challenge received (the defender), accepted or declined (the challenger).
    public static func onChallenge(_ event: Challenge.Event, state: Challenge.State) -> [NotificationDraft] {
        guard let terms = state.terms else { return [] }
        let base = ["challengeId": state.id]
        switch event {
        case .created:
            return [
                NotificationDraft(
                    userID: terms.defenderID,
                    type: "challenge.received",
                    payload: base.merging(["from": terms.challengerID, "stakeCoins": String(terms.stake)]) { $1 }
                )
            ]
        case .accepted(let matchID, _):
            return [
                NotificationDraft(
                    userID: terms.challengerID,
                    type: "challenge.accepted",
                    payload: base.merging(["by": terms.defenderID, "matchId": matchID]) { $1 }
                )
            ]
        case .declined:
            return [NotificationDraft(userID: terms.challengerID, type: "challenge.declined", payload: base.merging(["by": terms.defenderID]) { $1 })]
        default:
            return []
        }
    }

    /// A tournament match ready for its two players (with its table), and each player's place when
    /// the tournament ends.
    public static func onTournament(_ event: Tournament.Event, state: Tournament.State) -> [NotificationDraft] {
        let base = ["tournamentId": state.id, "tournamentName": state.terms?.name ?? ""]
        switch event {
        case .matchAssigned(let assignment, _):
            return [(assignment.playerA, assignment.playerB), (assignment.playerB, assignment.playerA)].map { player, opponent in
                var payload = base.merging(["matchId": assignment.matchID, "opponentId": opponent]) { $1 }
                if let table = assignment.tableID { payload["tableId"] = table }
                return NotificationDraft(userID: player, type: "tournament.match_ready", payload: payload)
            }
        case .completed(let placings, _, _):
            var drafts: [NotificationDraft] = []
            var place = 1
            for group in placings {
                for player in group {
                    drafts.append(
                        NotificationDraft(userID: player, type: "tournament.finished", payload: base.merging(["place": String(place)]) { $1 })
                    )
                }
                place += group.count
            }
            return drafts
        default:
            return []
        }
    }

    /// A territory challenged (the player challenged) or lost: its former holder (`territory.lost`),
    /// and every other member of the clan that held it (`clan.territory_lost`; `clanMembers`: the
    /// clan's members now).
    public static func onTerritory(_ event: Territory.Event, territoryID: String, name: String, clanMembers: [String] = []) -> [NotificationDraft] {
        let base = ["territoryId": territoryID, "territoryName": name]
        switch event {
        case .challenged(let challenger, _, let opponent, _):
            return [NotificationDraft(userID: opponent, type: "territory.challenged", payload: base.merging(["by": challenger]) { $1 })]
        case .lost(let owner, let clanID, let matchID, _):
            var payload = base.merging(["matchId": matchID, "holderId": owner]) { $1 }
            if let clanID { payload["clanId"] = clanID }
            return [NotificationDraft(userID: owner, type: "territory.lost", payload: payload)]
                + clanMembers.filter { $0 != owner }.sorted().map { NotificationDraft(userID: $0, type: "clan.territory_lost", payload: payload) }
        default:
            return []
        }
    }

    /// A match put at a table ("your match starts at table 3"): both players, but the one who
    /// created it, when it is created at a table or moved to another. Tournament matches are told
    /// by their tournament (`tournament.match_ready`).
    public static func onMatch(_ event: Match.Event) -> [NotificationDraft] {
        switch event {
        case .created(let terms, _, let createdBy, _):
            guard let table = terms.tableID, terms.tournamentID == nil else { return [] }
            return ready(players: (terms.playerA, terms.playerB), venue: terms.venueID, table: table, except: createdBy)
        default:
            return []
        }
    }

    /// A match moved to another table (`state`: the match after the move): both players.
    public static func onMatchMoved(to table: String, state: Match.State) -> [NotificationDraft] {
        guard state.tournamentID == nil else { return [] }
        return ready(players: (state.playerA, state.playerB), venue: state.venueID, table: table, except: nil)
    }

    private static func ready(players: (String, String), venue: String?, table: String, except creator: String?) -> [NotificationDraft] {
        [(players.0, players.1), (players.1, players.0)].filter { $0.0 != creator }.map { player, opponent in
            var payload = ["tableId": table, "opponentId": opponent]
            if let venue { payload["venueId"] = venue }
            return NotificationDraft(userID: player, type: "match.ready", payload: payload)
        }
    }

    /// An achievement earned.
    public static func onAchievement(_ achievement: Achievement, userID: String) -> NotificationDraft {
        NotificationDraft(
            userID: userID,
            type: "achievement.earned",
            payload: ["achievement": achievement.rawValue, "name": achievement.name, "points": String(achievement.points)]
        )
    }
}
