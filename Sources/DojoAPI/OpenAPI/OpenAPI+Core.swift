import DojoDomain

extension OpenAPI {
    static var systemOperations: [Operation] {
        [
            Operation(
                method: "GET",
                path: "/healthz",
                tag: "system",
                summary: "The process is up",
                access: .open,
                response: object(["status": oneOf(["ok"])], required: ["status"])
            ),
            Operation(
                method: "GET",
                path: "/readyz",
                tag: "system",
                summary: "Ready to serve: storage, Redis and the cluster checked",
                access: .open,
                response: object(
                    ["status": oneOf(["ready"]), "checks": map(object(["ok": boolean, "detail": string]), "by check")],
                    required: ["status"]
                ),
                errors: [503: ["not_ready"]]
            ),
            Operation(
                method: "GET",
                path: "/metrics",
                tag: "system",
                summary: "Prometheus metrics",
                access: .open,
                response: string("the Prometheus text format"),
                responseType: "text/plain"
            ),
            Operation(
                method: "GET",
                path: "/v1",
                tag: "system",
                summary: "The server's name, version, storage and cluster mode",
                access: .open,
                response: object(
                    ["name": string, "version": string, "storage": oneOf(["sqlite", "postgres"]), "cluster": oneOf(["in-process", "redis"])],
                    required: ["name", "version"]
                )
            ),
            Operation(
                method: "GET",
                path: "/v1/openapi.json",
                tag: "system",
                summary: "This document",
                access: .open,
                response: freeObject("an OpenAPI 3.1 document")
            ),
            Operation(
                method: "GET",
                path: "/.well-known/jwks.json",
                tag: "identity",
                summary: "The public keys access tokens are signed with",
                access: .open,
                response: object(["keys": array(freeObject("an OKP JWK (Ed25519)"))], required: ["keys"]),
                responseType: "application/jwk-set+json"
            ),
        ]
    }

    static var identityOperations: [Operation] {
        let session = ref("Session")
        return [
            Operation(
                method: "POST",
                path: "/v1/auth/register",
                tag: "identity",
                summary: "Create an account",
                access: .open,
                body: object(
                    [
                        "email": string("an email address", maxLength: 254, format: "email"),
                        "username": string("3–32 of a–z 0–9 _ -", pattern: "^[A-Za-z0-9_-]{3,32}$"), "password": text(10...256),
                    ],
                    required: ["email", "username", "password"]
                ),
                status: 201,
                response: session,
                errors: [
                    409: ["auth.email_taken", "auth.username_taken"], 422: ["auth.invalid_email", "auth.invalid_username", "auth.weak_password"],
                ]
            ),
            Operation(
                method: "POST",
                path: "/v1/auth/login",
                tag: "identity",
                summary: "Sign in with a password",
                access: .open,
                body: object(["login": string("email or username"), "password": string], required: ["login", "password"]),
                response: session,
                errors: [401: ["auth.invalid_credentials"]]
            ),
            Operation(
                method: "POST",
                path: "/v1/auth/refresh",
                tag: "identity",
                summary: "A new access token for a refresh token (which is used up)",
                access: .open,
                body: object(["refreshToken": string], required: ["refreshToken"]),
                response: session,
                errors: [401: ["auth.invalid_refresh_token", "auth.refresh_token_reused", "auth.unknown_user"]]
            ),
            Operation(
                method: "POST",
                path: "/v1/auth/logout",
                tag: "identity",
                summary: "Revoke a refresh token and those rotated from the same login",
                access: .open,
                body: object(["refreshToken": string], required: ["refreshToken"]),
                status: 204
            ),
            Operation(
                method: "POST",
                path: "/v1/auth/password",
                tag: "identity",
                summary: "Change my password (every refresh token is revoked)",
                body: object(["currentPassword": string, "newPassword": text(10...256)], required: ["currentPassword", "newPassword"]),
                status: 204,
                errors: [401: ["auth.invalid_credentials", "auth.unknown_user"], 422: ["auth.weak_password"]]
            ),
            Operation(
                method: "POST",
                path: "/v1/auth/oidc",
                tag: "identity",
                summary: "Sign in with Google or Apple",
                access: .open,
                body: object(["provider": oneOf(["google", "apple"]), "idToken": string], required: ["provider", "idToken"]),
                response: session,
                errors: [
                    401: ["auth.oidc_invalid", "auth.oidc_issuer", "auth.oidc_audience", "auth.token_expired", "auth.oidc_email_unverified"],
                    422: ["auth.oidc_provider"],
                ]
            ),
            Operation(
                method: "POST",
                path: "/v1/auth/email/code",
                tag: "identity",
                summary: "Mail a six-digit sign-in code",
                access: .open,
                body: object(["email": string("an email address", maxLength: 254, format: "email")], required: ["email"]),
                status: 202,
                response: object(["expiresIn": integer], required: ["expiresIn"]),
                errors: [422: ["auth.invalid_email"], 503: ["auth.email_unavailable"]]
            ),
            Operation(
                method: "POST",
                path: "/v1/auth/email/verify",
                tag: "identity",
                summary: "Sign in with a mailed code",
                access: .open,
                body: object(["email": string, "code": string("six digits")], required: ["email", "code"]),
                response: session,
                errors: [401: ["auth.invalid_code"]]
            ),
            Operation(
                method: "GET",
                path: "/v1/me",
                tag: "identity",
                summary: "The signed-in user",
                response: object(["user": ref("User")], required: ["user"]),
                errors: [401: ["auth.unknown_user"]]
            ),
            Operation(
                method: "POST",
                path: "/v1/devices/token",
                tag: "identity",
                summary: "A camera device signs in: a nonce, then its signature over it",
                access: .open,
                body: object(
                    ["deviceId": ref("Id"), "nonce": string, "signature": string("Ed25519 over `dojopool-device-token:` + nonce, base64url")],
                    required: ["deviceId"]
                ),
                response: object(
                    [
                        "nonce": string, "expiresIn": integer, "accessToken": string, "tokenType": string, "scope": oneOf(["camera"]),
                        "deviceId": string, "venueId": string, "tableId": string,
                    ],
                    required: ["expiresIn"]
                ),
                errors: [
                    401: ["auth.device_challenge", "auth.device_unknown", "auth.device_revoked", "auth.device_signature"], 429: ["rate_limited"],
                ]
            ),
        ]
    }

    static var matchOperations: [Operation] {
        let answer = ref("MatchAnswer")
        let refusals: [Int: [String]] = [403: ["forbidden"], 409: ["conflict"], 503: ["busy", "shutting_down"]]
        func command(_ name: String, _ summary: String, body: Node?, bodyRequired: Bool = true, errors: [Int: [String]] = [:]) -> Operation {
            Operation(
                method: "POST",
                path: "/v1/matches/{id}/\(name)",
                tag: "matches",
                summary: summary,
                idempotencyKey: true,
                body: body,
                bodyRequired: bodyRequired,
                response: answer,
                errors: refusals.merging(errors) { $0 + $1 },
                areas: ["match", "referee", "venue"]
            )
        }
        let reason = object(["reason": string, "commandId": ref("CommandId")])
        return [
            Operation(
                method: "POST",
                path: "/v1/matches",
                tag: "matches",
                summary: "Create a match",
                idempotencyKey: true,
                body: object(
                    [
                        "id": ref("Id"), "playerA": ref("Id"), "playerB": ref("Id"), "gameType": ref("GameType"), "raceTo": integer(1...99),
                        "venueId": ref("Id"), "tableId": ref("Id"), "tournamentId": ref("Id"), "scorer": ref("Id"),
                        "breakRule": oneOf(["alternate", "winner"]), "mode": oneOf(["manual", "auto"]), "commandId": ref("CommandId"),
                    ],
                    required: ["playerA", "playerB", "gameType", "raceTo"]
                ),
                status: 201,
                response: answer,
                errors: refusals,
                areas: ["match"],
                creates: "match"
            ),
            Operation(
                method: "GET",
                path: "/v1/matches",
                tag: "matches",
                summary: "Matches from the records, in id order (the spectator index)",
                access: .open,
                query: [
                    Parameter(name: "status", schema: list(of: MatchStatus.allCases.map(\.rawValue)), description: "statuses to list"),
                    Parameter(name: "venueId", schema: ref("Id"), description: "one venue's"),
                    after,
                    limit(1...200, default: 50),
                ],
                response: object(["matches": array(freeObject("a match's record")), "next": string], required: ["matches"])
            ),
            Operation(
                method: "GET",
                path: "/v1/matches/{id}",
                tag: "matches",
                summary: "A match's state, with the referee's view of the rack",
                access: .open,
                response: ref("MatchRead"),
                errors: [404: ["match.not_found"]]
            ),
            Operation(
                method: "POST",
                path: "/v1/matches/{id}/commands",
                tag: "matches",
                summary: "Any match command (docs/protocol.md)",
                idempotencyKey: true,
                body: ref("Command"),
                response: answer,
                errors: refusals.merging([400: ["invalid_command"]]) { $0 + $1 },
                areas: ["match", "referee", "venue"]
            ),
            Operation(
                method: "GET",
                path: "/v1/matches/{id}/events",
                tag: "matches",
                summary: "A match's history, oldest first",
                access: .open,
                query: [
                    Parameter(name: "after", schema: integer(0...Int(Int32.max)), description: "the last seq seen"), limit(1...500, default: 100),
                ],
                response: object(
                    [
                        "events": array(
                            object(
                                ["seq": integer, "type": string, "seedType": string, "at": timestamp, "event": freeObject("the event")],
                                required: ["seq", "type", "event"]
                            )
                        ),
                        "next": integer,
                    ],
                    required: ["events"]
                ),
                errors: [404: ["match.not_found"]]
            ),
            Operation(
                method: "GET",
                path: "/v1/matches/{id}/shots/{shot}/frames",
                tag: "matches",
                summary: "The camera frames a shot was read from (auto mode)",
                access: .open,
                response: object(
                    [
                        "matchId": string, "shotId": string,
                        "frames": array(object(["t": integer, "balls": array(array(number))], required: ["t", "balls"])),
                    ],
                    required: ["matchId", "shotId", "frames"]
                ),
                errors: [404: ["match.no_frames"]]
            ),
            command("shots", "A shot's observation, judged by the referee (the scorer)", body: ref("Shot")),
            command(
                "decisions",
                "A player's decision after a foul or a push-out",
                body: object(
                    ["decision": oneOf(Referee.Option.allCases.map(\.rawValue)), "side": ref("Side"), "commandId": ref("CommandId")],
                    required: ["decision"]
                )
            ),
            command("corrections", "Correct the last shot", body: reason, bodyRequired: false),
            command("start", "Start the match (the scorer)", body: nil),
            command(
                "racks",
                "A rack's result (completes the match at the race)",
                body: object(["winner": ref("Side"), "breaker": ref("Side"), "commandId": ref("CommandId")], required: ["winner"])
            ),
            command(
                "end",
                "End the match with a winner",
                body: object(["winner": ref("Side"), "reason": string, "commandId": ref("CommandId")], required: ["winner"])
            ),
            command("cancel", "Cancel the match", body: reason, bodyRequired: false),
            command(
                "move",
                "Move the match to another table of its venue (the staff)",
                body: object(["tableId": ref("Id"), "commandId": ref("CommandId")], required: ["tableId"])
            ),
            Operation(
                method: "POST",
                path: "/v1/referee/rulings",
                tag: "matches",
                summary: "A ruling for a shot or a decision on a rack, nothing stored",
                body: object(
                    [
                        "game": oneOf(["8ball", "9ball", "10ball"]), "rack": freeObject("a rack as a ruling returned it"),
                        "breaker": oneOf(["A", "B"]),
                        "shot": ref("Shot"), "decision": freeObject("a decision"),
                    ],
                    required: ["game"]
                ),
                response: object(
                    ["ruling": freeObject("the ruling (docs/referee.md)"), "rack": freeObject("the rack after it")],
                    required: ["ruling", "rack"]
                ),
                areas: ["referee"]
            ),
            Operation(
                method: "POST",
                path: "/v1/referee/detections",
                tag: "matches",
                summary: "The shots read from a table's camera frames, nothing stored",
                body: object(
                    [
                        "frames": array(
                            object(["t": integer, "balls": array(array(number), maxItems: 16)], required: ["t", "balls"]),
                            maxItems: 12_000
                        ),
                        "ballRadius": number, "threshold": number,
                    ],
                    required: ["frames"]
                ),
                response: object(
                    ["shots": array(freeObject("a shot read, with a confidence per member")), "frames": freeObject("frames read and ignored")],
                    required: ["shots"]
                ),
                areas: ["detections"]
            ),
        ]
    }

    static var venueOperations: [Operation] {
        let answer = ref("VenueAnswer")
        let refusals: [Int: [String]] = [403: ["forbidden"], 409: ["conflict"], 503: ["busy", "shutting_down"]]
        func command(
            _ path: String,
            _ summary: String,
            method: String = "POST",
            body: Node?,
            status: Int = 200,
            errors: [Int: [String]] = [:]
        ) -> Operation {
            Operation(
                method: method,
                path: "/v1/venues/{id}\(path)",
                tag: "venues",
                summary: summary,
                idempotencyKey: true,
                body: body,
                status: status,
                response: answer,
                errors: refusals.merging(errors) { $0 + $1 },
                areas: ["venue"]
            )
        }
        return [
            Operation(
                method: "POST",
                path: "/v1/venues",
                tag: "venues",
                summary: "Register a venue (VENUE_ADMIN or ADMIN)",
                idempotencyKey: true,
                body: object(
                    [
                        "id": ref("Id"), "name": text(1...200), "lat": ["type": "number", "minimum": -90, "maximum": 90],
                        "lng": ["type": "number", "minimum": -180, "maximum": 180], "address": text(1...200), "ownerId": ref("Id"),
                        "commandId": ref("CommandId"),
                    ],
                    required: ["name", "lat", "lng"]
                ),
                status: 201,
                response: answer,
                errors: refusals,
                areas: ["venue"],
                creates: "venue"
            ),
            Operation(
                method: "GET",
                path: "/v1/venues/{id}",
                tag: "venues",
                summary: "A venue with its tables",
                access: .open,
                response: ref("VenueRead"),
                errors: [404: ["venue.not_found"]]
            ),
            Operation(
                method: "POST",
                path: "/v1/venues/{id}/commands",
                tag: "venues",
                summary: "Any venue command (docs/protocol.md)",
                idempotencyKey: true,
                body: ref("Command"),
                response: answer,
                errors: refusals.merging([400: ["invalid_command"]]) { $0 + $1 },
                areas: ["venue"]
            ),
            command(
                "/tables",
                "Add a table",
                body: object(["id": ref("Id"), "name": text(1...200), "commandId": ref("CommandId")], required: ["id", "name"]),
                status: 201
            ),
            command(
                "/tables/{table}/maintenance",
                "Put a table in or out of maintenance",
                body: object(["on": boolean, "commandId": ref("CommandId")], required: ["on"])
            ),
            command(
                "/settings",
                "Open the tables to anyone, or keep them for the staff and players checked in",
                body: object(["openTables": boolean, "commandId": ref("CommandId")], required: ["openTables"])
            ),
            command(
                "/admins",
                "Grant a user the venue's administration",
                body: object(["userId": ref("Id"), "commandId": ref("CommandId")], required: ["userId"])
            ),
            command("/admins/{user}", "Revoke a venue admin", method: "DELETE", body: nil),
            command(
                "/check-ins",
                "Check a player in (QR, GEO, or by an admin)",
                body: object(["method": oneOf(["QR", "GEO", "ADMIN"]), "userId": ref("Id"), "commandId": ref("CommandId")], required: ["method"])
            ),
            Operation(
                method: "POST",
                path: "/v1/venues/{id}/devices",
                tag: "venues",
                summary: "Register a camera device for a table with its Ed25519 key",
                body: object(
                    ["tableId": ref("Id"), "publicKey": string("base64url of 32 bytes", pattern: "^[A-Za-z0-9_-]{43}=?$"), "name": text(1...100)],
                    required: ["tableId", "publicKey"]
                ),
                status: 201,
                response: object(
                    ["device": object(["id": string, "venueId": string, "tableId": string, "name": string, "publicKey": string], required: ["id"])],
                    required: ["device"]
                ),
                errors: [400: ["device.invalid_key", "device.invalid_name"], 403: ["forbidden"]],
                areas: ["venue", "device"]
            ),
            Operation(
                method: "DELETE",
                path: "/v1/venues/{id}/devices/{device}",
                tag: "venues",
                summary: "Revoke a camera device",
                status: 204,
                errors: [403: ["forbidden"]],
                areas: ["venue", "device"]
            ),
        ]
    }
}
