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

    /// A territory challenged (the player challenged) or lost (its former holder).
    public static func onTerritory(_ event: Territory.Event, territoryID: String, name: String) -> [NotificationDraft] {
        let base = ["territoryId": territoryID, "territoryName": name]
        switch event {
        case .challenged(let challenger, _, let opponent, _):
            return [NotificationDraft(userID: opponent, type: "territory.challenged", payload: base.merging(["by": challenger]) { $1 })]
        case .lost(let owner, _, let matchID, _):
            return [NotificationDraft(userID: owner, type: "territory.lost", payload: base.merging(["matchId": matchID]) { $1 })]
        default:
            return []
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
