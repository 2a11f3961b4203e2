import DojoDomain

extension OpenAPI {
    static var clanOperations: [Operation] {
        let answer = ref("ClanAnswer")
        let refusals: [Int: [String]] = [403: ["forbidden"], 409: ["conflict"], 503: ["busy", "shutting_down"]]
        let commandOnly = object(["commandId": ref("CommandId")])
        func command(
            _ method: String,
            _ path: String,
            _ summary: String,
            body: Node?,
            bodyRequired: Bool = true,
            status: Int = 200,
            errors: [Int: [String]] = [:]
        ) -> Operation {
            Operation(
                method: method,
                path: "/v1/clans/{id}\(path)",
                tag: "clans",
                summary: summary,
                idempotencyKey: true,
                body: body,
                bodyRequired: bodyRequired,
                status: status,
                response: answer,
                errors: refusals.merging(errors) { $0 + $1 },
                areas: ["clan", "account"]
            )
        }
        let userBody = object(["userId": ref("Id"), "commandId": ref("CommandId")], required: ["userId"])
        let war = object(
            [
                "id": string, "opponentId": string, "declaredBy": string, "target": integer, "startsAt": timestamp, "endsAt": timestamp,
                "ours": integer, "theirs": integer, "status": string, "endedAt": timestamp,
            ],
            required: ["id", "opponentId", "target", "status"]
        )
        let application = object(["userId": string, "at": timestamp], required: ["userId", "at"])
        return [
            Operation(
                method: "POST",
                path: "/v1/clans",
                tag: "clans",
                summary: "Found a clan (you lead it)",
                idempotencyKey: true,
                body: object(
                    [
                        "id": ref("Id"),
                        "name": string("3–32 characters: letters, digits, spaces and - _ ' . &", pattern: "^[\\p{L}\\p{N} _'.&-]{3,32}$"),
                        "description": text(0...500), "commandId": ref("CommandId"),
                    ],
                    required: ["name"]
                ),
                status: 201,
                response: answer,
                errors: refusals.merging([409: ["clan.name_taken", "clan.member_elsewhere"]]) { $0 + $1 },
                areas: ["clan"],
                creates: "clan"
            ),
            Operation(
                method: "GET",
                path: "/v1/clans",
                tag: "clans",
                summary: "Clans from the records, by id; `q` filters by name",
                access: .open,
                query: [
                    Parameter(name: "q", schema: string("at most 64 characters"), description: "part of the name"),
                    after, limit(1...200, default: 50),
                ],
                response: object(["clans": array(freeObject("a clan's record")), "next": string], required: ["clans"])
            ),
            Operation(
                method: "GET",
                path: "/v1/clans/{id}",
                tag: "clans",
                summary: "A clan",
                access: .open,
                response: ref("ClanRead"),
                errors: [404: ["clan.not_found"]]
            ),
            command("PATCH", "", "Describe the clan (the leader)", body: object(["description": nullable(string), "commandId": ref("CommandId")])),
            command("DELETE", "", "Disband the clan (the leader)", body: nil),
            Operation(
                method: "POST",
                path: "/v1/clans/{id}/commands",
                tag: "clans",
                summary: "Any clan command",
                idempotencyKey: true,
                body: ref("Command"),
                response: answer,
                errors: refusals.merging([400: ["invalid_command"]]) { $0 + $1 },
                areas: ["clan"]
            ),
            Operation(
                method: "GET",
                path: "/v1/clans/{id}/members",
                tag: "clans",
                summary: "The clan's members, live",
                access: .open,
                query: [
                    after, limit(1...500, default: 100),
                ],
                response: object(
                    [
                        "members": array(
                            object(
                                ["userId": string, "role": oneOf(["MEMBER", "OFFICER", "COLEADER"]), "leader": boolean, "joinedAt": timestamp],
                                required: ["userId", "role"]
                            )
                        ), "next": string,
                    ],
                    required: ["members"]
                ),
                errors: [404: ["clan.not_found"]]
            ),
            command(
                "POST",
                "/members",
                "Accept an invitation (yourself) or a request to join (an officer)",
                body: object(["userId": ref("Id"), "commandId": ref("CommandId")]),
                bodyRequired: false
            ),
            command(
                "PATCH",
                "/members/{user}",
                "Change a member's role",
                body: object(["role": oneOf(["MEMBER", "OFFICER", "COLEADER"]), "commandId": ref("CommandId")], required: ["role"])
            ),
            command("DELETE", "/members/{user}", "Leave (yourself) or remove a member (by rank)", body: nil),
            command("POST", "/leader", "Hand the leadership over", body: userBody),
            command("POST", "/invitations", "Invite a player", body: userBody),
            command("DELETE", "/invitations/{user}", "Withdraw or decline an invitation", body: nil),
            command("POST", "/requests", "Ask to join", body: commandOnly, bodyRequired: false),
            command("DELETE", "/requests/{user}", "Decline a request to join", body: nil),
            Operation(
                method: "GET",
                path: "/v1/clans/{id}/applications",
                tag: "clans",
                summary: "Open invitations and requests (officers)",
                response: object(["invitations": array(application), "requests": array(application)], required: ["invitations", "requests"]),
                errors: [403: ["forbidden"], 404: ["clan.not_found"]]
            ),
            command(
                "POST",
                "/wars",
                "Declare war on another clan",
                body: object(
                    [
                        "opponentId": ref("Id"), "target": integer(1...100), "hours": integer(1...720), "warId": ref("Id"),
                        "commandId": ref("CommandId"),
                    ],
                    required: ["opponentId", "target"]
                ),
                status: 201
            ),
            Operation(
                method: "GET",
                path: "/v1/clans/{id}/wars",
                tag: "clans",
                summary: "A clan's wars, newest first",
                access: .open,
                response: object(["wars": array(war)], required: ["wars"]),
                errors: [404: ["clan.not_found"]]
            ),
        ]
    }

    static var territoryOperations: [Operation] {
        let answer = ref("TerritoryAnswer")
        let refusals: [Int: [String]] = [403: ["forbidden"], 409: ["conflict"], 503: ["busy", "shutting_down"]]
        func command(_ method: String, _ path: String, _ summary: String, body: Node?) -> Operation {
            Operation(
                method: method,
                path: "/v1/territories/{id}\(path)",
                tag: "territories",
                summary: summary,
                idempotencyKey: true,
                body: body,
                bodyRequired: false,
                response: answer,
                errors: refusals,
                areas: ["territory", "match"]
            )
        }
        return [
            Operation(
                method: "POST",
                path: "/v1/territories",
                tag: "territories",
                summary: "Put a venue on the map (its staff)",
                idempotencyKey: true,
                body: object(["id": ref("Id"), "venueId": ref("Id"), "name": string, "commandId": ref("CommandId")], required: ["venueId"]),
                status: 201,
                response: answer,
                errors: refusals,
                areas: ["territory"],
                creates: "territory"
            ),
            Operation(
                method: "GET",
                path: "/v1/territories",
                tag: "territories",
                summary: "The map: in a box, or near a point",
                access: .open,
                query: [
                    Parameter(
                        name: "bbox",
                        schema: string("south,west,north,east", pattern: "^-?[0-9]+(\\.[0-9]+)?(,-?[0-9]+(\\.[0-9]+)?){3}$"),
                        description: "a box (sides ≤ 10°)"
                    ),
                    Parameter(
                        name: "near",
                        schema: string("lat,lng", pattern: "^-?[0-9]+(\\.[0-9]+)?,-?[0-9]+(\\.[0-9]+)?$"),
                        description: "a point"
                    ),
                    Parameter(
                        name: "radiusKm",
                        schema: ["type": "number", "exclusiveMinimum": 0, "maximum": 500],
                        description: "around `near` (default 10)"
                    ),
                    after, limit(1...500, default: 200),
                ],
                response: object(["territories": array(freeObject("a territory's record")), "next": string], required: ["territories"])
            ),
            Operation(
                method: "GET",
                path: "/v1/territories/{id}",
                tag: "territories",
                summary: "A territory",
                access: .open,
                response: ref("TerritoryRead"),
                errors: [404: ["territory.not_found"]]
            ),
            Operation(
                method: "POST",
                path: "/v1/territories/{id}/commands",
                tag: "territories",
                summary: "Any territory command",
                idempotencyKey: true,
                body: ref("Command"),
                response: answer,
                errors: refusals.merging([400: ["invalid_command"]]) { $0 + $1 },
                areas: ["territory"]
            ),
            command("POST", "/challenges", "Challenge the holder", body: object(["opponentId": ref("Id"), "commandId": ref("CommandId")])),
            command(
                "POST",
                "/challenges/accept",
                "Accept the challenge (a match at the venue is scheduled)",
                body: object(["gameType": ref("GameType"), "raceTo": integer(1...99), "commandId": ref("CommandId")])
            ),
            command("POST", "/challenges/decline", "Decline the challenge", body: nil),
            command("DELETE", "/challenges", "Withdraw the challenge", body: nil),
            Operation(
                method: "GET",
                path: "/v1/leaderboards/{kind}",
                tag: "territories",
                summary: "Clans or players by territories held, or clans by wars won",
                access: .open,
                query: [
                    Parameter(name: "by", schema: oneOf(["territories", "wars"]), description: "what ranks"), offset, limit(1...200, default: 50),
                ],
                response: object(
                    [
                        "kind": string, "by": string,
                        "rows": array(object(["rank": integer, "id": string, "territories": integer, "wars": integer], required: ["rank", "id"])),
                        "next": integer,
                    ],
                    required: ["kind", "by", "rows"]
                ),
                errors: [404: ["leaderboard.not_found"]],
                pathSchemas: ["kind": oneOf(["clans", "players"])]
            ),
        ]
    }

    static var tournamentOperations: [Operation] {
        let answer = ref("TournamentAnswer")
        let refusals: [Int: [String]] = [403: ["forbidden"], 409: ["conflict"], 503: ["busy", "shutting_down"]]
        func action(_ path: String, _ summary: String, body: Node = object(["commandId": ref("CommandId")]), status: Int = 200) -> Operation {
            Operation(
                method: "POST",
                path: "/v1/tournaments/{id}/\(path)",
                tag: "tournaments",
                summary: summary,
                idempotencyKey: true,
                body: body,
                bodyRequired: false,
                status: status,
                response: answer,
                errors: refusals,
                areas: ["tournament", "ledger"]
            )
        }
        return [
            Operation(
                method: "POST",
                path: "/v1/tournaments",
                tag: "tournaments",
                summary: "Create a tournament (the venue's staff or ADMIN)",
                idempotencyKey: true,
                body: object(
                    [
                        "id": ref("Id"), "name": string, "venueId": ref("Id"),
                        "format": oneOf(["single_elimination", "double_elimination", "round_robin", "groups_single_elimination"]),
                        "gameType": ref("GameType"), "raceTo": integer, "finalRaceTo": integer, "maxParticipants": integer, "entryFee": integer,
                        "prizeSplit": array(integer), "startsAt": timestamp, "checkInMinutes": integer,
                        "seeding": oneOf(["rating", "manual", "random"]),
                        "groupSize": integer, "advancePerGroup": integer, "bracketReset": boolean, "tables": array(ref("Id")),
                        "rewards": freeObject("what the placings win (`collectibleId` for the champion)"), "commandId": ref("CommandId"),
                    ],
                    required: ["name", "format"]
                ),
                status: 201,
                response: answer,
                errors: refusals,
                areas: ["tournament"],
                creates: "tournament"
            ),
            Operation(
                method: "GET",
                path: "/v1/tournaments",
                tag: "tournaments",
                summary: "Tournaments, by venue and status",
                access: .open,
                query: [
                    Parameter(name: "venueId", schema: ref("Id"), description: "one venue's"),
                    Parameter(name: "status", schema: list(of: TournamentStatus.allCases.map(\.rawValue)), description: "statuses to list"), offset,
                    limit(1...100, default: 20),
                ],
                response: object(["tournaments": array(ref("Tournament")), "next": integer], required: ["tournaments"])
            ),
            Operation(
                method: "GET",
                path: "/v1/tournaments/{id}",
                tag: "tournaments",
                summary: "A tournament with its bracket and standings",
                access: .open,
                response: ref("TournamentRead"),
                errors: [404: ["tournament.not_found"]]
            ),
            Operation(
                method: "POST",
                path: "/v1/tournaments/{id}/commands",
                tag: "tournaments",
                summary: "Any tournament command",
                idempotencyKey: true,
                body: ref("Command"),
                response: answer,
                errors: refusals.merging([400: ["invalid_command"]]) { $0 + $1 },
                areas: ["tournament", "ledger"]
            ),
            action(
                "registrations",
                "Register (yourself, or a player by the director); the fee through the ledger",
                body: object(["userId": ref("Id"), "commandId": ref("CommandId")]),
                status: 201
            ),
            Operation(
                method: "DELETE",
                path: "/v1/tournaments/{id}/registrations/{user}",
                tag: "tournaments",
                summary: "Leave (or be removed) before the start",
                idempotencyKey: true,
                response: answer,
                errors: refusals,
                areas: ["tournament", "ledger"]
            ),
            action("check-in", "Check in before the start"),
            action("start", "Start: seed and draw the bracket", body: object(["order": array(ref("Id")), "commandId": ref("CommandId")])),
            action(
                "results",
                "Report or override a result",
                body: object([
                    "slot": integer(0...10_000), "winnerId": ref("Id"), "scoreA": integer(0...99), "scoreB": integer(0...99),
                    "commandId": ref("CommandId"),
                ])
            ),
            action(
                "walkovers",
                "Give a walkover",
                body: object(["slot": integer(0...10_000), "winnerId": ref("Id"), "commandId": ref("CommandId")])
            ),
            action("disqualifications", "Disqualify a player", body: object(["userId": ref("Id"), "reason": string, "commandId": ref("CommandId")])),
            action("cancel", "Cancel (fees refunded)", body: object(["reason": string, "commandId": ref("CommandId")])),
        ]
    }
}
