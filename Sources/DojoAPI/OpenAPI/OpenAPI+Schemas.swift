import DojoDomain

extension OpenAPI {
    /// The shared schemas (`#/components/schemas`).
    static var schemas: Node {
        let id = string("an id", maxLength: EntityKey.maximumIDLength, pattern: "^[A-Za-z0-9_-]{1,64}$")
        let side = oneOf(["A", "B"], "a match's side: playerA or playerB")
        let gameType = oneOf(["8-ball", "9-ball", "10-ball"])
        let pocketed = object(
            ["ball": integer(1...15), "pocket": integer(1...6, "pockets clockwise from (0,0): docs/referee.md")],
            required: ["ball", "pocket"]
        )
        let commandAnswer = { (kind: String) -> Node in
            object(
                [
                    "sequence": integer, "firstSequence": integer, "duplicate": boolean,
                    "events": array(ref("Event")), kind: ref(kind.prefix(1).uppercased() + kind.dropFirst()),
                ],
                required: ["sequence", "duplicate", "events", kind],
                description: "the command's outcome: the events it appended (none for a duplicate) and the \(kind) after them"
            )
        }
        let readAnswer = { (kind: String) -> Node in
            object(["sequence": integer, kind: ref(kind.prefix(1).uppercased() + kind.dropFirst())], required: ["sequence", kind])
        }
        return [
            "Id": id,
            "CommandId": string("1–128 printable ASCII characters", maxLength: 128, pattern: "^[!-~]{1,128}$"),
            "Timestamp": timestamp,
            "Error": object(
                [
                    "error": object(
                        ["code": string("stable, machine-readable"), "message": string("for people"), "requestId": string],
                        required: ["code", "message"]
                    )
                ],
                required: ["error"],
                description: "every error answer; `Retry-After` comes with 429 and 503"
            ),
            "User": object(
                ["id": id, "email": string, "username": string, "role": oneOf(["USER", "VENUE_ADMIN", "ADMIN"])],
                required: ["id", "username", "role"]
            ),
            "Session": object(
                [
                    "user": ref("User"), "accessToken": string("EdDSA JWT"), "tokenType": oneOf(["Bearer"]), "expiresIn": integer,
                    "refreshToken": string,
                ],
                required: ["user", "accessToken", "tokenType", "expiresIn", "refreshToken"]
            ),
            "Event": object(
                [
                    "seq": integer, "type": string("`match.shot`, `venue.table_added`, …"),
                    "event": freeObject("the event's members (docs/protocol.md)"),
                ],
                required: ["seq", "type", "event"]
            ),
            "Side": side,
            "GameType": gameType,
            "PocketedBall": pocketed,
            "Shot": object(
                [
                    "shotId": ref("CommandId"), "firstContact": nullable(integer(1...15)), "pocketed": array(ref("PocketedBall"), maxItems: 16),
                    "cueBallPocketed": boolean, "offTable": array(integer(0...15), maxItems: 16), "railAfterContact": boolean,
                    "objectBallsToRail": integer(0...15), "called": ref("PocketedBall"), "safety": boolean, "pushOut": boolean,
                    "observedAt": string,
                ],
                description: "what a camera or a scorer saw of one shot (docs/referee.md); every member has a default"
            ),
            "Location": object(["lat": number, "lng": number], required: ["lat", "lng"]),
            "Match": object(
                [
                    "id": id, "exists": boolean, "status": oneOf(["SCHEDULED", "LIVE", "COMPLETED", "CANCELLED"]), "playerA": string,
                    "playerB": string, "scorer": string, "createdBy": string, "gameType": gameType, "raceTo": integer, "venueID": string,
                    "tableID": string, "tournamentID": string, "territoryID": string, "challengeID": string, "scoreA": integer,
                    "scoreB": integer, "racksPlayed": integer, "rack": freeObject("the rack being played"), "nextBreaker": side,
                    "breakRule": oneOf(["alternate", "winner"]), "referee": freeObject("the referee's view of the rack"),
                    "correctable": boolean, "lastShotId": string, "mode": oneOf(["manual", "auto"]),
                    "declared": freeObject("declared for the next shot"),
                    "review": freeObject("the shot under review"), "winner": side, "cancelReason": string, "createdAt": timestamp,
                    "startedAt": timestamp, "endedAt": timestamp,
                ],
                required: ["id", "exists", "status", "playerA", "playerB", "gameType", "raceTo", "scoreA", "scoreB"]
            ),
            "Table": object(
                ["id": id, "name": string, "maintenance": boolean, "liveMatches": array(string)],
                required: ["id", "name"]
            ),
            "Venue": object(
                [
                    "id": id, "exists": boolean, "name": string, "location": ref("Location"), "address": string, "ownerID": string,
                    "admins": array(string), "tables": array(ref("Table")), "checkIns": integer, "openTables": boolean, "createdAt": timestamp,
                ],
                required: ["id", "exists", "name", "tables"]
            ),
            "Clan": object(
                [
                    "id": id, "exists": boolean, "disbanded": boolean, "name": string, "description": string, "leaderId": string,
                    "memberCount": integer, "warWins": integer, "activeWars": integer, "createdAt": timestamp, "disbandedAt": timestamp,
                ],
                required: ["id", "exists", "name"]
            ),
            "Territory": object(
                [
                    "id": id, "exists": boolean, "name": string, "venueId": string, "location": ref("Location"), "ownerId": string,
                    "clanId": string, "level": integer, "defenseScore": integer, "contest": freeObject("the open challenge"),
                    "claimedAt": timestamp, "createdAt": timestamp,
                ],
                required: ["id", "exists", "name", "venueId"]
            ),
            "Challenge": object(
                [
                    "id": id, "exists": boolean, "status": string("PENDING, ACCEPTED, DECLINED, WITHDRAWN, EXPIRED, SETTLED, …"),
                    "challengerId": string, "defenderId": string, "venueId": string, "tableId": string, "gameType": gameType,
                    "raceTo": integer, "stakeCoins": integer, "feeBasisPoints": integer, "expiresAt": timestamp, "matchId": string,
                    "winnerId": string, "createdAt": timestamp, "updatedAt": timestamp,
                ],
                required: ["id", "exists", "status", "challengerId", "defenderId"]
            ),
            "Tournament": object(
                [
                    "id": id, "exists": boolean, "name": string, "venueId": string, "status": string, "format": string,
                    "gameType": gameType, "raceTo": integer, "finalRaceTo": integer, "maxParticipants": integer, "entryFee": integer,
                    "prizeSplit": array(integer), "pot": integer, "startsAt": timestamp, "checkInMinutes": integer,
                    "seeding": string, "tables": array(string), "participants": array(freeObject("a participant")),
                    "bracket": freeObject("rounds of slots, as a client draws them (docs/tournaments.md)"),
                    "standings": array(array(freeObject("a standing"))), "champion": string, "prizes": array(freeObject("a prize")),
                    "createdAt": timestamp, "startedAt": timestamp, "endedAt": timestamp,
                ],
                required: ["id", "exists", "name", "status"]
            ),
            "MatchAnswer": commandAnswer("match"),
            "VenueAnswer": commandAnswer("venue"),
            "ClanAnswer": commandAnswer("clan"),
            "TerritoryAnswer": commandAnswer("territory"),
            "ChallengeAnswer": commandAnswer("challenge"),
            "TournamentAnswer": commandAnswer("tournament"),
            "MatchRead": readAnswer("match"),
            "VenueRead": readAnswer("venue"),
            "ClanRead": readAnswer("clan"),
            "TerritoryRead": readAnswer("territory"),
            "ChallengeRead": readAnswer("challenge"),
            "TournamentRead": readAnswer("tournament"),
            "Command": object(
                ["type": string("the command's name (docs/protocol.md lists them per kind)"), "commandId": ref("CommandId")],
                required: ["type"],
                description: "any command of the entity's kind, with its members"
            ),
        ]
    }
}
