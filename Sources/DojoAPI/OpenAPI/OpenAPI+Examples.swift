extension OpenAPI {
    /// Request bodies as clients send them, by `METHOD path` (schemathesis sends them too).
    static var examples: [String: Node] {
        [
            "POST /v1/auth/register": ["email": "ana@example.com", "username": "ana", "password": "correct horse battery"],
            "POST /v1/auth/login": ["login": "ana", "password": "correct horse battery"],
            "POST /v1/matches": ["playerA": "ana", "playerB": "ben", "gameType": "9-ball", "raceTo": 5, "venueId": "hall-1", "tableId": "t3"],
            "POST /v1/matches/{id}/shots": [
                "shotId": "t3-000412", "firstContact": 1, "pocketed": [["ball": 9, "pocket": 3]], "railAfterContact": true,
            ],
            "POST /v1/matches/{id}/racks": ["winner": "A", "breaker": "B"],
            "POST /v1/venues": ["name": "The Corner Pocket", "lat": 51.5072, "lng": -0.1276, "address": "1 Cue Lane"],
            "POST /v1/venues/{id}/tables": ["id": "t3", "name": "Table 3"],
            "POST /v1/clans": ["name": "Corner Pocket Crew", "description": "Tuesdays at the Corner Pocket"],
            "POST /v1/challenges": ["defenderId": "ben", "stakeCoins": 50, "gameType": "8-ball", "raceTo": 3],
            "POST /v1/tournaments": [
                "name": "Friday 9-ball", "venueId": "hall-1", "format": "double_elimination", "gameType": "9-ball", "raceTo": 5,
                "maxParticipants": 16,
            ],
            "POST /v1/referee/rulings": [
                "game": "9ball", "shot": ["firstContact": 1, "pocketed": [["ball": 9, "pocket": 3]], "railAfterContact": true],
            ],
            "PATCH /v1/me/profile": ["displayName": "Ana Cue", "bio": "Nine-ball, mostly.", "avatarUrl": "https://example.com/ana.png"],
        ]
    }
}
