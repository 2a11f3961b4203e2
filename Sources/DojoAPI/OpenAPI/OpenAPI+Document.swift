import Foundation

extension OpenAPI {
    /// The document, encoded once (keys sorted, so the bytes are stable).
    static let json: [UInt8] = {
        let data = try! JSONSerialization.data(withJSONObject: document(), options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])
        return Array(data) + [UInt8(ascii: "\n")]
    }()

    /// Every operation, by area.
    static var operations: [Operation] {
        systemOperations + identityOperations + matchOperations + venueOperations + clanOperations + territoryOperations
            + economyOperations + tournamentOperations + playerOperations + adminOperations + watchOperations + socketIOOperations
    }

    static func document() -> Node {
        var paths: [String: Node] = [:]
        let all = operations
        for operation in all {
            var item = paths[operation.path] ?? [:]
            precondition(item[operation.method.lowercased()] == nil, "\(operation.method) \(operation.path) is described twice")
            item[operation.method.lowercased()] = render(operation, links: links(from: operation, to: all))
            paths[operation.path] = item
        }
        return [
            "openapi": "3.1.0",
            "info": [
                "title": "DojoPool realtime core",
                "version": DojoPoolVersion.current,
                "description": """
                The REST API of dojopool: matches refereed live, venues and their tables, clans and \
                territories, challenges and coins, tournaments, players' records. Live play and \
                spectating go through the WebSocket gateway at `/v1/ws` (docs/protocol.md), which \
                this document does not describe. Every error is the envelope `Error`, with a stable \
                `code`; the codes each operation can answer are listed with its responses.
                """,
                "license": ["name": "Proprietary"],
            ],
            "servers": [["url": "/", "description": "this server"]],
            "tags": tags.map { ["name": $0.0, "description": $0.1] },
            "paths": paths,
            "components": [
                "securitySchemes": [
                    "accessToken": [
                        "type": "http",
                        "scheme": "bearer",
                        "bearerFormat": "JWT",
                        "description": "A user's access token (`/v1/auth/*`: an EdDSA JWT, 15 minutes by default).",
                    ],
                    "serviceKey": [
                        "type": "http",
                        "scheme": "bearer",
                        "description": """
                        A trusted backend's key (`auth.service.key`) in place of a token, always with \
                        `actingUser`: the backend acts for that user (with the role in `X-Dojo-Role`, \
                        default USER).
                        """,
                    ],
                    "actingUser": [
                        "type": "apiKey", "in": "header", "name": "X-Dojo-User", "description": "the user a service-key request acts for",
                    ],
                    "deviceToken": [
                        "type": "http",
                        "scheme": "bearer",
                        "bearerFormat": "JWT",
                        "description": """
                        A camera device's token (`POST /v1/devices/token`, scope `camera`), for the realtime \
                        transports (`/v1/ws`, and the Socket.IO CONNECT's `auth.token`), where it sends frames \
                        and shots. REST refuses it (`auth.token_scope`).
                        """,
                    ],
                ] as Node,
                "schemas": schemas,
                "responses": [:] as Node,
            ] as Node,
        ]
    }

    static var tags: [(String, String)] {
        [
            ("system", "health, readiness, metrics, this document"),
            ("identity", "accounts, sign-in, tokens, devices"),
            ("matches", "matches and their referee (docs/referee.md)"),
            ("venues", "venues, tables, staff, camera devices"),
            ("clans", "clans, members and wars (docs/clans-and-territories.md)"),
            ("territories", "territories on the map and their challenges"),
            ("economy", "the coin ledger, challenges with stakes, wallets, collectibles"),
            ("tournaments", "tournaments and their brackets (docs/tournaments.md)"),
            ("players", "profiles, settings, ratings, statistics, achievements, notifications"),
            ("admin", "ADMIN only: audit, roles, partners, grants, the cluster"),
            ("watch", "the spectator pages (HTML)"),
            ("realtime", "Socket.IO's long-polling transport (the WebSocket transport is the upgrade of the same path; docs/protocol.md)"),
        ]
    }

    /// From a creation to every operation on the new entity (`/v1/matches` → `/v1/matches/{id}…`).
    static func links(from operation: Operation, to all: [Operation]) -> Node {
        guard let kind = operation.creates else { return [:] }
        let prefix = operation.path + "/{id}"
        var links: Node = [:]
        for target in all where target.path == prefix || target.path.hasPrefix(prefix + "/") {
            let id = operationID(target)
            links[id.prefix(1).uppercased() + id.dropFirst()] = ["operationId": id, "parameters": ["id": "$response.body#/\(kind)/id"]]
        }
        return links
    }

    private static func render(_ operation: Operation, links: Node) -> Node {
        var node: Node = [
            "tags": [operation.tag],
            "summary": operation.summary,
            "operationId": operationID(operation),
        ]
        switch operation.access {
        case .open: node["security"] = [] as [Any]
        case .token: node["security"] = [["accessToken": [] as [Any]]]
        case .user, .admin: node["security"] = [["accessToken": [] as [Any]], ["serviceKey": [] as [Any], "actingUser": [] as [Any]]]
        }
        var parameters: [Node] = pathParameters(operation.path).map {
            ["name": $0, "in": "path", "required": true, "schema": operation.pathSchemas[$0] ?? ref("Id")]
        }
        for parameter in operation.query {
            parameters.append([
                "name": parameter.name, "in": "query", "required": parameter.required, "schema": parameter.schema,
                "description": parameter.description,
            ])
        }
        if operation.idempotencyKey {
            parameters.append([
                "name": "Idempotency-Key", "in": "header", "required": false, "schema": ref("CommandId"),
                "description": "makes the command safe to retry: a repeat answers the first outcome with `duplicate: true`",
            ])
        }
        if !parameters.isEmpty { node["parameters"] = parameters }
        if let body = operation.body {
            var media: Node = ["schema": body]
            if let example = examples["\(operation.method) \(operation.path)"] { media["example"] = example }
            node["requestBody"] = ["required": operation.bodyRequired, "content": ["application/json": media]]
        }
        var responses: [String: Node] = [:]
        var success: Node = ["description": successDescription(operation.status)]
        if let response = operation.response {
            success["content"] = [operation.responseType: ["schema": response]]
        }
        if !links.isEmpty { success["links"] = links }
        responses[String(operation.status)] = success
        if operation.status == 201 && operation.idempotencyKey {
            var repeated = success
            repeated["description"] = "a repeat of a command already done (its Idempotency-Key or commandId): the first outcome, `duplicate: true`"
            repeated["links"] = nil
            responses["200"] = repeated
        }
        for (status, codes) in errors(operation) {
            let engineIO = operation.errorSchema != nil && codes.allSatisfy { Int($0) != nil }
            responses[String(status)] = [
                "description": engineIO
                    ? "Engine.IO's error, code \(codes.joined(separator: ", "))" : codes.map { "`\($0)`" }.joined(separator: ", "),
                "content": ["application/json": ["schema": engineIO ? operation.errorSchema! : ref("Error")]],
            ]
        }
        node["responses"] = responses
        return node
    }

    /// The errors an operation answers: its own, and those of its kind (a body can be malformed,
    /// a token missing, a query out of range; every route is rate-limited).
    static func errors(_ operation: Operation) -> [Int: [String]] {
        var errors = operation.errors
        for area in operation.areas {
            for (status, codes) in (domainRefusals[area] ?? [:]).merging(derivedRefusals[area] ?? [:], uniquingKeysWith: +) {
                errors[status, default: []].append(contentsOf: codes)
            }
        }
        func add(_ status: Int, _ codes: String...) {
            errors[status, default: []].append(contentsOf: codes)
        }
        func add(_ status: Int, _ codes: [String]) {
            errors[status, default: []].append(contentsOf: codes)
        }
        if operation.body != nil {
            add(400, "invalid_json")
            add(413, "payload_too_large")
        }
        // Engine.IO answers in its own shape: its codes are all the operation has, but the rate
        // limit of requests without a session (a handshake), answered in the envelope.
        if operation.errorSchema != nil {
            add(429, "rate_limited")
            return errors.mapValues { Array(Set($0)).sorted() }
        }
        if !operation.query.isEmpty { add(400, "invalid_query") }
        if operation.idempotencyKey {
            add(400, "invalid_command_id")
            add(422, "idempotency_key_reused")
        }
        switch operation.access {
        case .user, .token:
            add(401, unauthorized)
        case .admin:
            add(401, unauthorized)
            add(403, "forbidden")
        case .open:
            break
        }
        if !RateLimitMiddleware.exempt.contains(operation.path) { add(429, "rate_limited") }
        if operation.path.hasPrefix("/v1") { add(503, "unavailable") }
        return errors.mapValues { Array(Set($0)).sorted() }
    }

    /// A credential missing, malformed, expired, signed by an unknown key, of the wrong scope.
    static let unauthorized = [
        "auth.missing_token", "auth.invalid_token", "auth.token_malformed", "auth.token_expired", "auth.token_signature",
        "auth.token_unknown_key", "auth.token_algorithm", "auth.token_issuer", "auth.token_audience", "auth.token_scope",
        "auth.missing_user", "auth.invalid_role", "auth.required",
    ]

    private static func successDescription(_ status: Int) -> String {
        switch status {
        case 201: "created"
        case 202: "accepted"
        case 204: "done, nothing to answer"
        default: "the answer"
        }
    }

    static func pathParameters(_ path: String) -> [String] {
        path.split(separator: "/").compactMap { part in
            part.hasPrefix("{") && part.hasSuffix("}") ? String(part.dropFirst().dropLast()) : nil
        }
    }

    /// `getV1UsersIdRating`: the method and the path's words.
    static func operationID(_ operation: Operation) -> String {
        let words = operation.path.split(whereSeparator: { "/{}-._".contains($0) }).map(String.init)
        return operation.method.lowercased() + words.map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }
}
