/// The domain's refusals by area (the code's prefix) and status: every `DomainError` the sources
/// throw with a literal code (also the referee's `refuse(kind, code)` and the claims' `conflict:`).
/// `OpenAPITests` extracts them from the sources again and fails when this table and the sources
/// differ, so a new refusal joins the contract with its code. (Made by the same extraction; codes
/// the sources compute are in `derivedRefusals`.)
extension OpenAPI {
    static let domainRefusals: [String: [Int: [String]]] = [
        "account": [409: ["account.clan_leader"]],
        "challenge": [
            404: ["challenge.not_found"], 409: ["challenge.already_exists", "challenge.expired", "challenge.not_pending", "challenge.too_many_open"],
            422: [
                "challenge.invalid_expiry", "challenge.invalid_fee", "challenge.invalid_id", "challenge.invalid_stake", "challenge.self",
                "challenge.table_without_venue", "challenge.unknown_table", "challenge.unknown_user", "challenge.unknown_venue",
                "challenge.wrong_winner",
            ],
        ],
        "clan": [
            404: ["clan.not_found", "clan.not_member"],
            409: [
                "clan.already_exists", "clan.already_member", "clan.disbanded", "clan.full", "clan.kick_self", "clan.leader_must_transfer",
                "clan.leader_role", "clan.member_elsewhere", "clan.name_taken", "clan.no_invitation", "clan.no_request", "clan.not_member",
                "clan.too_many_pending", "clan.too_many_wars", "clan.war_exists",
            ],
            422: [
                "clan.invalid_description", "clan.invalid_id", "clan.invalid_name", "clan.invalid_war", "clan.unknown_opponent", "clan.unknown_user",
                "clan.war_self",
            ],
        ],
        "collectible": [
            409: ["collectible.not_for_sale", "collectible.owned"],
            422: ["collectible.invalid_id", "collectible.invalid_image_url", "collectible.invalid_price", "collectible.unknown_user"],
        ],
        "detections": [422: ["detections.invalid_frame", "detections.invalid_radius", "detections.invalid_threshold", "detections.too_many_frames"]],
        "device": [404: ["device.not_found"], 409: ["device.key_taken"]],
        "ledger": [
            409: ["ledger.duplicate_transfer", "ledger.insufficient_funds", "ledger.overflow"],
            422: [
                "ledger.invalid_amount", "ledger.invalid_transfer", "ledger.reason_required", "ledger.same_account", "ledger.unknown_user",
                "ledger.wrong_account",
            ],
        ],
        "match": [
            403: ["match.not_player", "match.not_referee", "match.not_scorer", "match.wrong_table"], 404: ["match.no_frames", "match.not_found"],
            409: [
                "match.already_exists", "match.finished", "match.no_rack", "match.no_review", "match.no_venue", "match.not_auto",
                "match.nothing_to_correct", "match.rack_in_progress", "match.under_review",
            ],
            422: [
                "match.invalid_id", "match.invalid_race", "match.invalid_text", "match.no_scorer", "match.same_players", "match.table_without_venue",
                "match.territory_without_venue", "match.unknown_table", "match.unknown_tournament", "match.unknown_user", "match.unknown_venue",
            ],
        ],
        "partner": [404: ["partner.not_found"], 409: ["partner.exists"]],
        "profile": [422: ["profile.invalid_avatar_url"]],
        "referee": [
            403: ["referee.not_your_decision"],
            409: [
                "referee.decision_awaited", "referee.duplicate_shot", "referee.no_decision_awaited", "referee.no_live_match",
                "referee.push_out_not_available", "referee.rack_over", "referee.rack_too_long", "referee.wrong_match",
            ],
            422: [
                "referee.ball_not_on_table", "referee.duplicate_ball", "referee.impossible_shot", "referee.invalid_ball", "referee.invalid_pocket",
                "referee.invalid_rack", "referee.invalid_request", "referee.invalid_shot", "referee.option_not_offered", "referee.unknown_game",
            ],
        ],
        "room": [404: ["room.not_found"]],
        "settings": [422: ["settings.invalid_language", "settings.invalid_privacy", "settings.invalid_timezone"]],
        "territory": [
            404: ["territory.not_found"],
            409: [
                "territory.already_exists", "territory.contested", "territory.has_history", "territory.match_scheduled", "territory.no_challenge",
                "territory.own_territory", "territory.same_clan", "territory.venue_taken",
            ],
            422: [
                "territory.invalid_defense_score", "territory.invalid_id", "territory.invalid_level", "territory.invalid_name",
                "territory.opponent_required", "territory.unknown_user", "territory.unknown_venue", "territory.wrong_opponent",
            ],
        ],
        "tournament": [
            404: ["tournament.not_found"],
            409: [
                "tournament.already_exists", "tournament.already_registered", "tournament.check_in_closed", "tournament.finished", "tournament.full",
                "tournament.no_check_in", "tournament.not_live", "tournament.not_registered", "tournament.not_upcoming", "tournament.result_locked",
                "tournament.slot_not_ready", "tournament.too_few_players",
            ],
            422: [
                "tournament.invalid_check_in", "tournament.invalid_fee", "tournament.invalid_groups", "tournament.invalid_id",
                "tournament.invalid_max_participants", "tournament.invalid_name", "tournament.invalid_order", "tournament.invalid_prize_split",
                "tournament.invalid_reason", "tournament.invalid_rewards", "tournament.invalid_score", "tournament.invalid_start",
                "tournament.invalid_tables", "tournament.not_a_player", "tournament.too_many_players", "tournament.unknown_slot",
                "tournament.unknown_table", "tournament.unknown_user", "tournament.unknown_venue", "tournament.wrong_winner",
            ],
        ],
        "user": [404: ["user.not_found"]],
        "venue": [
            404: ["venue.not_found", "venue.unknown_table"],
            409: [
                "venue.already_exists", "venue.table_exists", "venue.table_maintenance", "venue.table_occupied", "venue.too_many_admins",
                "venue.too_many_tables",
            ], 422: ["venue.invalid_id", "venue.invalid_location", "venue.invalid_text", "venue.unknown_table", "venue.unknown_user"],
        ],
    ]

    /// Codes the sources compute rather than write whole: a match command in the wrong status
    /// (`Match.notInStatus`).
    static let derivedRefusals: [String: [Int: [String]]] = [
        "match": [409: ["match.not_live", "match.already_started"]]
    ]
}
