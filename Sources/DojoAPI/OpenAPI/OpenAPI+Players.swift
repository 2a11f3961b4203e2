import DojoDomain
import DojoGateway

extension OpenAPI {
    static var economyOperations: [Operation] {
        let answer = ref("ChallengeAnswer")
        let refusals: [Int: [String]] = [403: ["forbidden"], 409: ["conflict"], 503: ["busy", "shutting_down"]]
        let collectible = object(
            [
                "id": string, "contract": string, "tokenId": string, "chain": string, "name": string, "imageUrl": string,
                "rarity": oneOf(["common", "rare", "epic", "legendary"]), "priceCoins": integer, "acquiredAt": timestamp,
            ],
            required: ["id", "name", "rarity"]
        )
        let ownership = object(
            ["collectible": collectible, "userId": string, "given": boolean, "pricePaid": integer],
            required: ["collectible", "userId", "given"]
        )
        let wallet = object(
            ["id": string, "chain": string, "address": string, "verified": boolean],
            required: ["id", "chain", "address", "verified"]
        )
        let walletBody = object(
            ["chain": oneOf(["solana", "ethereum", "polygon", "bitcoin"]), "address": string, "nonce": string, "signature": string("base58")],
            required: ["chain", "address"]
        )
        return [
            Operation(
                method: "GET",
                path: "/v1/me/balance",
                tag: "economy",
                summary: "My coins: available and escrowed in challenges",
                response: object(
                    ["available": integer, "escrowed": integer, "currency": oneOf(["DOJO"])],
                    required: ["available", "escrowed", "currency"]
                )
            ),
            Operation(
                method: "GET",
                path: "/v1/me/transactions",
                tag: "economy",
                summary: "My ledger legs, newest first",
                query: [offset, limit(1...200, default: 50)],
                response: object(
                    [
                        "transactions": array(
                            object(
                                [
                                    "id": string, "amount": integer, "currency": string, "type": string, "transferId": string, "reference": string,
                                    "at": timestamp,
                                ],
                                required: ["id", "amount", "currency", "type", "at"]
                            )
                        ),
                        "next": integer,
                    ],
                    required: ["transactions"]
                )
            ),
            Operation(
                method: "POST",
                path: "/v1/challenges",
                tag: "economy",
                summary: "Challenge a player, with a stake in coins",
                idempotencyKey: true,
                body: object(
                    [
                        "id": ref("Id"), "defenderId": ref("Id"), "stakeCoins": integer(0...1_000_000_000), "venueId": ref("Id"),
                        "tableId": ref("Id"),
                        "gameType": ref("GameType"), "raceTo": integer(1...99), "expiresAt": timestamp, "commandId": ref("CommandId"),
                    ],
                    required: ["defenderId"]
                ),
                status: 201,
                response: answer,
                errors: refusals,
                areas: ["challenge", "ledger"],
                creates: "challenge"
            ),
            Operation(
                method: "GET",
                path: "/v1/challenges",
                tag: "economy",
                summary: "My challenges",
                query: [
                    Parameter(name: "role", schema: oneOf(["challenger", "defender"]), description: "mine as"),
                    Parameter(name: "status", schema: list(of: ChallengeStatus.allCases.map(\.rawValue)), description: "statuses to list"), offset,
                    limit(1...100, default: 50),
                ],
                response: object(["challenges": array(ref("Challenge")), "next": integer], required: ["challenges"])
            ),
            Operation(
                method: "GET",
                path: "/v1/challenges/{id}",
                tag: "economy",
                summary: "A challenge (its players)",
                response: ref("ChallengeRead"),
                errors: [403: ["forbidden"], 404: ["challenge.not_found"]]
            ),
            Operation(
                method: "POST",
                path: "/v1/challenges/{id}/commands",
                tag: "economy",
                summary: "Any challenge command",
                idempotencyKey: true,
                body: ref("Command"),
                response: answer,
                errors: refusals.merging([400: ["invalid_command"]]) { $0 + $1 },
                areas: ["challenge", "ledger"]
            ),
        ]
            + [("accept", "Accept: both stakes escrowed, the match created"), ("decline", "Decline"), ("withdraw", "Withdraw (the challenger)")].map {
                action,
                summary in
                Operation(
                    method: "POST",
                    path: "/v1/challenges/{id}/\(action)",
                    tag: "economy",
                    summary: summary,
                    idempotencyKey: true,
                    body: object(["commandId": ref("CommandId")]),
                    bodyRequired: false,
                    response: answer,
                    errors: refusals,
                    areas: ["challenge", "ledger"]
                )
            }
            + [
                Operation(
                    method: "GET",
                    path: "/v1/me/wallets",
                    tag: "economy",
                    summary: "My linked chain addresses",
                    response: object(["wallets": array(wallet)], required: ["wallets"])
                ),
                Operation(
                    method: "POST",
                    path: "/v1/me/wallets/nonce",
                    tag: "economy",
                    summary: "A nonce to sign to prove an address (Solana)",
                    body: walletBody,
                    response: object(["nonce": string, "message": string, "expiresIn": integer], required: ["nonce", "message", "expiresIn"]),
                    errors: [422: ["wallet.invalid_address", "wallet.unknown_chain"]]
                ),
                Operation(
                    method: "POST",
                    path: "/v1/me/wallets",
                    tag: "economy",
                    summary: "Link an address (Solana with a signed nonce)",
                    body: walletBody,
                    status: 201,
                    response: object(["wallet": wallet, "note": string], required: ["wallet"]),
                    errors: [
                        409: ["wallet.taken"],
                        422: ["wallet.invalid_address", "wallet.unknown_chain", "wallet.proof_required", "wallet.proof_invalid"],
                    ]
                ),
                Operation(
                    method: "DELETE",
                    path: "/v1/me/wallets/{id}",
                    tag: "economy",
                    summary: "Unlink an address",
                    status: 204,
                    errors: [404: ["wallet.not_found"]]
                ),
                Operation(
                    method: "GET",
                    path: "/v1/collectibles",
                    tag: "economy",
                    summary: "The collectibles' catalog",
                    access: .open,
                    response: object(["collectibles": array(collectible)], required: ["collectibles"])
                ),
                Operation(
                    method: "POST",
                    path: "/v1/collectibles/{id}/purchase",
                    tag: "economy",
                    summary: "Buy a collectible with coins",
                    response: ownership,
                    errors: [404: ["collectible.not_found"]],
                    areas: ["collectible", "ledger"]
                ),
                Operation(
                    method: "GET",
                    path: "/v1/users/{id}/collectibles",
                    tag: "economy",
                    summary: "What a player owns",
                    access: .open,
                    response: object(["collectibles": array(collectible)], required: ["collectibles"]),
                    errors: [403: ["user.private"], 404: ["user.not_found"]]
                ),
            ]
    }

    static var playerOperations: [Operation] {
        let profile = object(
            [
                "userId": string, "username": string, "private": boolean, "displayName": string, "bio": string, "avatarUrl": string,
                "location": string, "skillRating": integer, "clan": object(["id": string, "name": string, "role": string], required: ["id"]),
                "memberSince": timestamp,
            ],
            required: ["userId", "username", "private"]
        )
        let settings = object(
            [
                "notifications": object(["email": boolean, "push": boolean]), "darkMode": boolean,
                "language": string("BCP 47"), "timezone": string("IANA"), "privacy": oneOf(["public", "private"]),
            ],
            required: ["notifications", "language", "timezone", "privacy"]
        )
        let statsLine = object(
            [
                "gameType": string, "matches": integer, "wins": integer, "losses": integer, "winRate": number, "racksWon": integer,
                "racksLost": integer, "breaks": integer, "breakAndRuns": integer, "goldenBreaks": integer, "fouls": integer,
                "foulsPerRack": number, "averageRun": number,
            ],
            required: ["matches", "wins", "losses"]
        )
        let achievement = object(
            ["key": string, "name": string, "description": string, "points": integer, "earnedAt": timestamp],
            required: ["key", "name", "points"]
        )
        let notifications = object(
            [
                "notifications": array(
                    object(
                        ["id": string, "type": string, "payload": map(string, "the notice's details"), "read": boolean, "createdAt": timestamp],
                        required: ["id", "type", "read"]
                    )
                ),
                "unread": integer, "next": integer,
            ],
            required: ["notifications", "unread"]
        )
        let privateOrMissing: [Int: [String]] = [403: ["user.private"], 404: ["user.not_found"]]
        return [
            Operation(
                method: "GET",
                path: "/v1/me/profile",
                tag: "players",
                summary: "My profile",
                response: profile,
                errors: [404: ["user.not_found"]]
            ),
            Operation(
                method: "PATCH",
                path: "/v1/me/profile",
                tag: "players",
                summary: "Edit my profile (null clears a member)",
                body: object([
                    "displayName": nullable(string), "bio": nullable(string), "avatarUrl": nullable(string("https only")),
                    "location": nullable(string),
                ]),
                response: profile,
                errors: [
                    404: ["user.not_found"],
                    422: ["profile.invalid_display_name", "profile.invalid_bio", "profile.invalid_avatar_url", "profile.invalid_location"],
                ]
            ),
            Operation(method: "GET", path: "/v1/me/settings", tag: "players", summary: "My settings", response: settings),
            Operation(
                method: "PATCH",
                path: "/v1/me/settings",
                tag: "players",
                summary: "Change my settings",
                body: object([
                    "notifications": object(["email": boolean, "push": boolean]), "darkMode": boolean, "language": string("BCP 47"),
                    "timezone": string("IANA"), "privacy": oneOf(["public", "private"]),
                ]),
                response: settings,
                areas: ["settings"]
            ),
            Operation(
                method: "DELETE",
                path: "/v1/me",
                tag: "players",
                summary: "Delete my account: personal data removed, history kept without a name",
                body: object(["confirm": ["const": true]], required: ["confirm"]),
                bodyRequired: false,
                response: object(["userId": string, "deleted": boolean], required: ["userId", "deleted"]),
                errors: [400: ["account.confirm_required"], 404: ["user.not_found"]]
            ),
            Operation(
                method: "GET",
                path: "/v1/users/{id}",
                tag: "players",
                summary: "A player's profile (a private one shows the username only)",
                access: .open,
                response: profile,
                errors: [404: ["user.not_found"]]
            ),
            Operation(
                method: "GET",
                path: "/v1/users",
                tag: "players",
                summary: "Search players by the start of a username or display name",
                access: .open,
                query: [Parameter(name: "q", schema: text(2...50), description: "the start of a name", required: true), limit(1...20, default: 10)],
                response: object(["users": array(profile)], required: ["users"])
            ),
            Operation(
                method: "GET",
                path: "/v1/users/{id}/rating",
                tag: "players",
                summary: "A player's Glicko-2 rating and latest rated games",
                access: .open,
                query: [limit(1...100, default: 20)],
                response: object(
                    [
                        "userId": string, "rating": number, "deviation": number, "volatility": number, "games": integer, "provisional": boolean,
                        "history": array(
                            object(
                                [
                                    "matchId": string, "opponentId": string, "result": oneOf(["WIN", "LOSS"]), "ratingBefore": number,
                                    "rating": number, "deviation": number, "at": timestamp,
                                ],
                                required: ["matchId", "opponentId", "result", "rating"]
                            )
                        ),
                    ],
                    required: ["userId", "rating", "deviation", "games", "provisional", "history"]
                ),
                errors: privateOrMissing
            ),
            Operation(
                method: "GET",
                path: "/v1/users/{id}/stats",
                tag: "players",
                summary: "A player's totals per game type",
                access: .open,
                response: object(["userId": string, "byGameType": array(statsLine)], required: ["userId", "byGameType"]),
                errors: privateOrMissing
            ),
            Operation(
                method: "GET",
                path: "/v1/users/{id}/head-to-head/{opponent}",
                tag: "players",
                summary: "A player's totals against one opponent",
                access: .open,
                response: object(["userId": string, "opponentId": string, "totals": statsLine], required: ["userId", "opponentId", "totals"]),
                errors: privateOrMissing
            ),
            Operation(
                method: "GET",
                path: "/v1/achievements",
                tag: "players",
                summary: "The achievements' catalog",
                access: .open,
                response: object(["achievements": array(achievement)], required: ["achievements"])
            ),
            Operation(
                method: "GET",
                path: "/v1/users/{id}/achievements",
                tag: "players",
                summary: "A player's achievements, in the order earned",
                access: .open,
                response: object(["userId": string, "points": integer, "achievements": array(achievement)], required: ["achievements"]),
                errors: privateOrMissing
            ),
            Operation(
                method: "GET",
                path: "/v1/me/notifications",
                tag: "players",
                summary: "My notifications, newest first, with the unread count",
                query: [offset, limit(1...100, default: 20)],
                response: notifications
            ),
            Operation(method: "POST", path: "/v1/me/notifications/read-all", tag: "players", summary: "Mark them all read", response: notifications),
            Operation(
                method: "POST",
                path: "/v1/me/notifications/{id}/read",
                tag: "players",
                summary: "Mark one read",
                response: notifications,
                errors: [404: ["notification.not_found"]]
            ),
        ]
    }

    static var adminOperations: [Operation] {
        let partner = object(
            ["id": string, "name": string, "url": string, "events": array(string), "createdAt": timestamp, "disabled": boolean, "format": string],
            required: ["id", "name", "url", "events", "disabled"]
        )
        let collectible = object(["id": string, "name": string, "rarity": string], required: ["id", "name"])
        return [
            Operation(
                method: "GET",
                path: "/v1/admin/audit",
                tag: "admin",
                summary: "The audit log, newest first",
                access: .admin,
                query: [
                    limit(1...500, default: 50),
                    Parameter(name: "before", schema: string("the `next` of a previous page", pattern: "^[0-9]{1,15}_.+$"), description: "cursor"),
                    Parameter(name: "action", schema: string, description: "one action (`auth.login`, …)"),
                ],
                response: object(
                    [
                        "entries": array(
                            object(
                                [
                                    "id": string, "action": string, "actor": string, "target": string, "metadata": freeObject("request id, ip, …"),
                                    "at": string("ISO 8601"),
                                ],
                                required: ["id", "action", "at"]
                            )
                        ),
                        "next": string,
                    ],
                    required: ["entries"]
                )
            ),
            Operation(
                method: "POST",
                path: "/v1/admin/users/{id}/role",
                tag: "admin",
                summary: "Change a user's role",
                access: .admin,
                body: object(["role": oneOf(["USER", "VENUE_ADMIN", "ADMIN"])], required: ["role"]),
                response: object(["user": string, "role": string, "previousRole": string], required: ["user", "role"]),
                errors: [404: ["user.not_found"]]
            ),
            Operation(
                method: "POST",
                path: "/v1/admin/grants",
                tag: "admin",
                summary: "Grant coins (an Idempotency-Key is required)",
                access: .admin,
                idempotencyKey: true,
                body: object(
                    ["userId": ref("Id"), "amount": integer(1...1_000_000_000), "reason": text(1...200)],
                    required: ["userId", "amount", "reason"]
                ),
                status: 201,
                response: object(["duplicate": boolean, "transfer": freeObject("the transfer")], required: ["duplicate"]),
                errors: [400: ["ledger.idempotency_key_required"]],
                areas: ["ledger"]
            ),
            Operation(
                method: "POST",
                path: "/v1/admin/partners",
                tag: "admin",
                summary: "Register a partner that receives events as signed webhooks",
                access: .admin,
                body: object(
                    [
                        "id": ref("Id"), "name": text(1...80), "url": string("https", format: "uri"), "secret": text(32...256),
                        "events": ["type": "array", "items": text(1...64), "minItems": 1, "maxItems": 50],
                    ],
                    required: ["name", "url", "secret", "events"]
                ),
                status: 201,
                response: object(["partner": partner], required: ["partner"]),
                errors: [400: ["invalid_partner"]],
                areas: ["partner"]
            ),
            Operation(
                method: "GET",
                path: "/v1/admin/partners",
                tag: "admin",
                summary: "The partners",
                access: .admin,
                response: object(["partners": array(partner)], required: ["partners"])
            ),
            Operation(
                method: "DELETE",
                path: "/v1/admin/partners/{id}",
                tag: "admin",
                summary: "Disable a partner",
                access: .admin,
                status: 204,
                errors: [404: ["partner.not_found"]]
            ),
            Operation(
                method: "GET",
                path: "/v1/admin/partners/{id}/deliveries",
                tag: "admin",
                summary: "A partner's deliveries",
                access: .admin,
                query: [
                    Parameter(name: "state", schema: oneOf(["pending", "delivered", "dead"]), description: "only these"), limit(1...500, default: 50),
                ],
                response: object(
                    [
                        "deliveries": array(
                            object(
                                [
                                    "id": string, "stream": string, "seq": integer, "type": string, "state": string, "attempts": integer,
                                    "problem": string,
                                ],
                                required: ["id", "state"]
                            )
                        )
                    ],
                    required: ["deliveries"]
                ),
                errors: [404: ["partner.not_found"]]
            ),
            Operation(
                method: "POST",
                path: "/v1/admin/partners/{id}/replay",
                tag: "admin",
                summary: "Send a partner's dead deliveries again",
                access: .admin,
                response: object(["replayed": integer], required: ["replayed"]),
                errors: [404: ["partner.not_found"]]
            ),
            Operation(
                method: "GET",
                path: "/v1/cluster",
                tag: "admin",
                summary: "The platform's nodes, as Redis lists them",
                access: .admin,
                response: object(
                    [
                        "cluster": string, "mode": string, "node": string,
                        "nodes": array(
                            object(
                                [
                                    "id": string, "advertise": string, "startedAt": integer, "heartbeatAt": integer, "connections": integer,
                                    "version": string, "this": boolean,
                                ],
                                required: ["id", "this"]
                            )
                        ),
                    ],
                    required: ["cluster", "mode", "node", "nodes"]
                ),
                errors: [503: ["unavailable"]]
            ),
            Operation(
                method: "POST",
                path: "/v1/admin/collectibles",
                tag: "admin",
                summary: "Add a collectible to the catalog",
                access: .admin,
                body: object(
                    [
                        "id": ref("Id"), "contract": string, "tokenId": string, "chain": string, "name": string, "imageUrl": string("https"),
                        "rarity": oneOf(["common", "rare", "epic", "legendary"]), "priceCoins": integer,
                    ],
                    required: ["contract", "tokenId", "chain", "name", "imageUrl", "rarity"]
                ),
                status: 201,
                response: collectible,
                errors: [
                    409: ["collectible.exists"],
                    422: ["collectible.invalid_contract", "collectible.invalid_tokenId", "collectible.invalid_chain", "collectible.invalid_name"],
                ],
                areas: ["collectible"]
            ),
            Operation(
                method: "POST",
                path: "/v1/admin/collectibles/{id}/awards",
                tag: "admin",
                summary: "Award a collectible to a player",
                access: .admin,
                body: object(["userId": ref("Id")], required: ["userId"]),
                response: object(["collectible": collectible, "userId": string, "given": boolean], required: ["collectible", "userId", "given"]),
                errors: [404: ["collectible.not_found"]],
                areas: ["collectible"]
            ),
        ]
    }

    static var socketIOOperations: [Operation] {
        let engineIOError = object(
            ["code": integer(0...5, "0 transport unknown, 1 session id unknown, 3 bad request, 5 unsupported protocol version"), "message": string],
            required: ["code", "message"]
        )
        let query = [
            Parameter(name: "EIO", schema: oneOf(["4"]), description: "the Engine.IO protocol version", required: true),
            Parameter(name: "transport", schema: oneOf(["polling"]), description: "this path's HTTP transport", required: true),
            Parameter(name: "sid", schema: string("the session id of the open packet"), description: "the session (absent: a handshake)"),
            Parameter(name: "t", schema: string, description: "a cache buster, ignored"),
        ]
        return [
            Operation(
                method: "GET",
                path: Gateway.socketIOPath,
                tag: "realtime",
                summary: "Engine.IO long-polling: the handshake (the open packet), or a poll for the session's packets",
                access: .open,
                query: query,
                response: string("Engine.IO packets joined by U+001E"),
                responseType: "text/plain",
                errors: [400: ["0", "1", "3", "5"]],
                errorSchema: engineIOError
            ),
            Operation(
                method: "POST",
                path: Gateway.socketIOPath,
                tag: "realtime",
                summary: "Engine.IO long-polling: the client's packets, joined by U+001E",
                access: .open,
                query: query,
                response: string("ok"),
                responseType: "text/html",
                errors: [400: ["0", "1", "3", "5"], 413: ["3"]],
                errorSchema: engineIOError
            ),
        ]
    }

    static var watchOperations: [Operation] {
        let html = string("an HTML page")
        return [
            Operation(
                method: "GET",
                path: "/watch",
                tag: "watch",
                summary: "Live matches and tournaments",
                access: .open,
                response: html,
                responseType: "text/html"
            ),
            Operation(
                method: "GET",
                path: "/watch/match/{id}",
                tag: "watch",
                summary: "A match, live",
                access: .open,
                response: html,
                responseType: "text/html",
                errors: [404: ["match.not_found"]]
            ),
            Operation(
                method: "GET",
                path: "/watch/venue/{id}",
                tag: "watch",
                summary: "A venue's tables, live",
                access: .open,
                response: html,
                responseType: "text/html",
                errors: [404: ["venue.not_found"]]
            ),
            Operation(
                method: "GET",
                path: "/watch/tournament/{id}",
                tag: "watch",
                summary: "A tournament's bracket, live",
                access: .open,
                response: html,
                responseType: "text/html",
                errors: [404: ["tournament.not_found"]]
            ),
            Operation(
                method: "GET",
                path: "/watch/assets/{name}",
                tag: "watch",
                summary: "The pages' scripts, style and icon",
                access: .open,
                response: string("a script, a style sheet or an SVG"),
                responseType: "*/*",
                errors: [404: ["not_found"]],
                pathSchemas: ["name": string("a file name", maxLength: 64)]
            ),
        ]
    }
}
