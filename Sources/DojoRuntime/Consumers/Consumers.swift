import DojoDomain
import DojoStorage
import Foundation
import Logging

/// Sends the commands ``Reactions`` derives from match events to the venues (a match going live
/// occupies its table; ending frees it) and to territories (a territory match's result claims or
/// defends it). Each command carries its source event as its cause, so its target applies it once
/// however often it is delivered.
struct MatchReactions: EventConsumer {
    static let relevant: Set<String> = ["match.started", "match.completed", "match.cancelled", "match.table_moved", "match.rack_ended"]
    let name = "reactions.match"
    let kinds = [EntityKind.match]
    let matches: EntityDirectory<Match>
    let venues: EntityDirectory<Venue>
    let territories: EntityDirectory<Territory>
    let clans: EntityDirectory<Clan>
    let challenges: EntityDirectory<Challenge>
    let tournaments: EntityDirectory<Tournament>
    /// The clan a player is in now (a capture counts for it, a win counts for its wars).
    let clanOf: @Sendable (String) async throws -> String?
    let logger: Logger
    let now: @Sendable () -> Date

    func handle(stream: String, events: [RecordedEvent]) async throws {
        let relevant = events.filter { Self.relevant.contains($0.type) }
        guard !relevant.isEmpty, let key = EntityKey(stream) else { return }
        // The venue never changes after creation; the table may (a move by the staff): the state
        // now tells the current one, and a move's event names both tables.
        let (state, _) = try await matches.read(key.id)
        let decoder = JSONDecoder()
        let system = CommandContext(principal: .system, now: Timestamp(now()))
        for recorded in relevant {
            let event = try decoder.decode(EventEnvelope<Match.Event>.self, from: Data(recorded.payload.utf8)).event
            let cause = Cause(stream: stream, seq: recorded.sequence)
            for reaction in Reactions.onMatchEvent(event, state: state) {
                try await refusalLogged(cause, target: "venue:\(reaction.venueID)") {
                    _ = try await venues.send(reaction.venueID, reaction.command, context: system, cause: cause)
                }
            }
            if var reaction = Reactions.onTerritoryMatchEvent(event, state: state) {
                if case .resolve(let match, let winner, _) = reaction.command {
                    reaction.command = .resolve(matchID: match, winnerID: winner, winnerClanID: try await clanOf(winner))
                }
                try await refusalLogged(cause, target: "territory:\(reaction.territoryID)") {
                    _ = try await territories.send(reaction.territoryID, reaction.command, context: system, cause: cause)
                }
            }
            if let (challengeID, command) = Reactions.onChallengeMatchEvent(event, state: state) {
                try await refusalLogged(cause, target: "challenge:\(challengeID)") {
                    _ = try await challenges.send(challengeID, command, context: system, cause: cause)
                }
            }
            if let (tournamentID, command) = Reactions.onTournamentMatchEvent(event, state: state) {
                try await refusalLogged(cause, target: "tournament:\(tournamentID)") {
                    _ = try await tournaments.send(tournamentID, command, context: system, cause: cause)
                }
            }
            if case .completed = event {
                // A match between members of two clans at war counts for the war, in both clans.
                let (clanA, clanB) = (try await clanOf(state.playerA), try await clanOf(state.playerB))
                var war: Clan.War?
                if let clanA, let clanB, clanA != clanB {
                    // The declaring clan has the war from the start; the other may not have heard yet.
                    war = try await clans.read(clanA).state.activeWar(against: clanB)
                    if war == nil { war = try await clans.read(clanB).state.activeWar(against: clanA)?.terms(for: clanA) }
                }
                for reaction in Reactions.onWarMatch(event, state: state, clanA: clanA, clanB: clanB, war: war) {
                    try await refusalLogged(cause, target: "clan:\(reaction.clanID)") {
                        _ = try await clans.send(reaction.clanID, reaction.command, context: system, cause: cause)
                    }
                }
            }
        }
    }
}

/// Credits the payee of every debit, once per debit event: the second leg of a transfer.
struct LedgerReactions: EventConsumer {
    let name = "reactions.ledger"
    let kinds = [EntityKind.account]
    let accounts: EntityDirectory<Account>
    let logger: Logger
    let now: @Sendable () -> Date

    /// Payer streams of a round 64 at a time: credits to different accounts commute, and each
    /// payer's debits stay in order.
    func handle(batch: [(stream: String, events: [RecordedEvent])]) async throws {
        try await handleConcurrently(batch, limit: 64)
    }

    func handle(stream: String, events: [RecordedEvent]) async throws {
        let decoder = JSONDecoder()
        for recorded in events where recorded.type == "account.debited" {
            guard case .debited(let transfer, _, _) = try decoder.decode(EventEnvelope<Account.Event>.self, from: Data(recorded.payload.utf8)).event
            else {
                continue
            }
            let cause = Cause(stream: stream, seq: recorded.sequence)
            try await refusalLogged(cause, target: "account:\(transfer.to)", logger: logger) {
                _ = try await accounts.send(
                    transfer.to,
                    .credit(transfer),
                    context: CommandContext(principal: .system, now: Timestamp(now())),
                    cause: cause
                )
            }
        }
    }
}

/// Tells the clan a war was declared on (the declaring clan's `clan.war_started`), once per
/// source event.
struct ClanReactions: EventConsumer {
    let name = "reactions.clan"
    let kinds = [EntityKind.clan]
    let clans: EntityDirectory<Clan>
    let logger: Logger
    let now: @Sendable () -> Date

    func handle(stream: String, events: [RecordedEvent]) async throws {
        guard let key = EntityKey(stream) else { return }
        let decoder = JSONDecoder()
        for recorded in events where recorded.type == "clan.war_started" {
            let event = try decoder.decode(EventEnvelope<Clan.Event>.self, from: Data(recorded.payload.utf8)).event
            let cause = Cause(stream: stream, seq: recorded.sequence)
            for reaction in Reactions.onClanEvent(event, clanID: key.id) {
                try await refusalLogged(cause, target: "clan:\(reaction.clanID)", logger: logger) {
                    _ = try await clans.send(
                        reaction.clanID,
                        reaction.command,
                        context: CommandContext(principal: .system, now: Timestamp(now())),
                        cause: cause
                    )
                }
            }
        }
    }
}

extension MatchReactions {
    private func refusalLogged(_ cause: Cause, target: String, _ body: () async throws -> Void) async rethrows {
        try await DojoRuntime.refusalLogged(cause, target: target, logger: logger, body)
    }
}

/// Runs a reaction; a rule's refusal (the target or its table does not exist) is logged, not
/// retried: retrying cannot help. Other errors propagate and the round is retried.
func refusalLogged(_ cause: Cause, target: String, logger: Logger, _ body: () async throws -> Void) async rethrows {
    do {
        try await body()
    } catch let error as DomainError {
        logger.warning(
            "reaction refused by its target",
            metadata: ["source": "\(cause.stream)@\(cause.seq)", "target": "\(target)", "code": "\(error.code)"]
        )
    }
}

/// Keeps the seed's records tables (`matches`, `match_events`, `venues`, `venue_tables`,
/// `check_ins`, `clans`, `clan_members`, `territories`, `territory_events`, `transactions`,
/// `challenges`, `tournaments`, `tournament_participants`) up to date from the log, so REST reads and
/// reports see them.
struct RecordsProjection: EventConsumer {
    let name = "projection.records"
    let kinds = [EntityKind.match, .venue, .clan, .territory, .account, .challenge, .tournament]
    let storage: any Storage

    /// Venues, clans and tournaments first: matches and territories refer to them.
    func order(of kind: EntityKind) -> Int {
        switch kind {
        case .venue, .clan, .tournament: 0
        case .match, .territory, .table, .user, .account, .challenge: 1
        }
    }
    let venues: EntityDirectory<Venue>
    let territories: EntityDirectory<Territory>
    let clans: EntityDirectory<Clan>
    let challenges: EntityDirectory<Challenge>
    let tournaments: EntityDirectory<Tournament>

    func handle(stream: String, events: [RecordedEvent]) async throws {
        try await storage.apply(Self.ordered(try await changes(stream: stream, events: events)))
    }

    /// Every stream of the round in one transaction.
    func handle(batch: [(stream: String, events: [RecordedEvent])]) async throws {
        var changes: [RecordChange] = []
        for (stream, events) in batch { changes += try await self.changes(stream: stream, events: events) }
        try await storage.apply(Self.ordered(changes))
    }

    /// Rows before the rows that refer to them (venues, tables, matches, then events and updates);
    /// otherwise the order of the log.
    static func ordered(_ changes: [RecordChange]) -> [RecordChange] {
        func rank(_ change: RecordChange) -> Int {
            switch change {
            case .insertVenue: 0
            case .insertVenueTable, .insertClan, .insertTerritory, .putTournament: 1
            case .insertMatch: 2
            case .insertMatchEvent: 3
            case .insertCheckIn: 4
            case .updateMatch, .updateMatchStatus, .updateMatchTable, .updateVenueTable: 5
            // In the order of the log: a clan's members after its row, a disbanding after both.
            case .updateClanDescription, .updateClanLeader, .deleteClan, .putClanMember, .updateClanMemberRole, .deleteClanMember: 5
            case .updateTerritory, .insertTerritoryEvent, .setClanWarWins, .insertTransaction, .putChallenge: 5
            }
        }
        return changes.enumerated().sorted { (rank($0.element), $0.offset) < (rank($1.element), $1.offset) }.map(\.element)
    }

    private func changes(stream: String, events: [RecordedEvent]) async throws -> [RecordChange] {
        guard let key = EntityKey(stream) else { return [] }
        let decoder = JSONDecoder()
        var changes: [RecordChange] = []
        switch key.kind {
        case .match:
            for recorded in events {
                // Shots, rack starts and commentary only add a match_events row: no need to decode them.
                if let seedType = Self.rowOnlyTypes[recorded.type] {
                    changes.append(
                        .insertMatchEvent(
                            id: "\(key.id)-\(recorded.sequence)",
                            matchID: key.id,
                            type: seedType.rawValue,
                            payload: recorded.payload,
                            at: recorded.recordedAt
                        )
                    )
                    continue
                }
                let event = try decoder.decode(EventEnvelope<Match.Event>.self, from: Data(recorded.payload.utf8)).event
                changes += Self.changes(match: key.id, event, recorded)
            }
        case .venue:
            var statusChanged = Set<String>()
            for recorded in events {
                let event = try decoder.decode(EventEnvelope<Venue.Event>.self, from: Data(recorded.payload.utf8)).event
                let at = event.timestamp.date
                switch event {
                case .registered(let name, let location, let address, let ownerID, _):
                    changes.append(
                        .insertVenue(id: key.id, name: name, lat: location.lat, lng: location.lng, address: address, ownerID: ownerID, at: at)
                    )
                case .tableAdded(let tableID, let name, _):
                    changes.append(.insertVenueTable(id: tableID, venueID: key.id, name: name, at: at))
                case .maintenanceChanged(let tableID, _, _), .tableOccupied(let tableID, _, _), .tableReleased(let tableID, _, _):
                    statusChanged.insert(tableID)
                case .checkedIn(let userID, let method, _):
                    changes.append(
                        .insertCheckIn(id: "\(key.id)-\(recorded.sequence)", userID: userID, venueID: key.id, via: method.rawValue, at: at)
                    )
                case .adminGranted, .adminRevoked, .openTablesChanged:
                    break
                }
            }
            if !statusChanged.isEmpty {
                // The status combines maintenance and occupancy: write the venue's current view.
                let (state, _) = try await venues.read(key.id)
                for table in state.tables where statusChanged.contains(table.id) {
                    changes.append(.updateVenueTable(id: table.id, status: table.status.rawValue, at: Date()))
                }
            }
        case .clan:
            var wins: Int?
            for recorded in events {
                let event = try decoder.decode(EventEnvelope<Clan.Event>.self, from: Data(recorded.payload.utf8)).event
                for change in Self.changes(clan: key.id, event) {
                    guard case .setClanWarWins = change else {
                        changes.append(change)
                        continue
                    }
                    // War wins as the clan counts them now (idempotent on redelivery).
                    if wins == nil { wins = try await clans.read(key.id).state.warWins }
                    changes.append(.setClanWarWins(id: key.id, wins: wins!))
                }
            }
        case .territory:
            var changed = false
            for recorded in events {
                let event = try decoder.decode(EventEnvelope<Territory.Event>.self, from: Data(recorded.payload.utf8)).event
                let type: TerritoryEventType?
                switch event {
                case .created(let name, let venueID, _, let at):
                    changes.append(.insertTerritory(id: key.id, venueID: venueID, name: name, at: at.date))
                    type = nil
                case .claimed: type = .claim
                case .lost: type = .lose
                case .defended: type = .defend
                case .upgraded: type = .upgrade
                case .challenged, .challengeDeclined, .challengeWithdrawn, .matchScheduled, .contestAbandoned: type = nil
                }
                if let type {
                    changed = true
                    changes.append(
                        .insertTerritoryEvent(
                            id: "\(key.id)-\(recorded.sequence)",
                            territoryID: key.id,
                            type: type.rawValue,
                            metadata: recorded.payload,
                            at: event.at.date
                        )
                    )
                }
            }
            if changed {
                // Holder and standing as the territory has them now (idempotent on redelivery).
                let (state, _) = try await territories.read(key.id)
                changes.append(
                    .updateTerritory(
                        id: key.id,
                        ownerID: state.ownerID,
                        clanID: state.clanID,
                        level: state.level,
                        defenseScore: state.defenseScore,
                        at: Date()
                    )
                )
            }
        case .account:
            // The seed's `transactions`: one row per user-side leg, signed (+ credit, − debit).
            guard key.id.hasPrefix("user-") else { return [] }
            let user = String(key.id.dropFirst("user-".count))
            for recorded in events {
                let event = try decoder.decode(EventEnvelope<Account.Event>.self, from: Data(recorded.payload.utf8)).event
                switch event {
                case .debited(let transfer, _, let at):
                    changes.append(
                        .insertTransaction(
                            id: "\(key.id)-\(recorded.sequence)",
                            userID: user,
                            amount: -transfer.amount,
                            type: transfer.type.rawValue,
                            metadata: recorded.payload,
                            at: at.date
                        )
                    )
                case .credited(let transfer, _, let at):
                    changes.append(
                        .insertTransaction(
                            id: "\(key.id)-\(recorded.sequence)",
                            userID: user,
                            amount: transfer.amount,
                            type: transfer.type.rawValue,
                            metadata: recorded.payload,
                            at: at.date
                        )
                    )
                }
            }
        case .challenge:
            // The row as the challenge has it now (written whole: idempotent).
            guard !events.isEmpty, let row = try await challenges.read(key.id).state.row else { return [] }
            changes.append(.putChallenge(row))
        case .tournament:
            // The row and its participants as the tournament has them now (written whole).
            guard !events.isEmpty, let row = try await tournaments.read(key.id).state.row else { return [] }
            changes.append(.putTournament(row))
        case .table, .user:
            return []
        }
        return changes
    }

    static func changes(clan id: String, _ event: Clan.Event) -> [RecordChange] {
        let at = event.at.date
        switch event {
        case .created(let name, let description, let leaderID, _):
            return [
                .insertClan(id: id, name: name, description: description, leaderID: leaderID, at: at),
                .putClanMember(clanID: id, userID: leaderID, role: ClanRole.coleader.rawValue, joinedAt: at),
            ]
        case .described(let description, _, _):
            return [.updateClanDescription(id: id, description: description, at: at)]
        case .joined(let user, let role, _):
            return [.putClanMember(clanID: id, userID: user, role: role.rawValue, joinedAt: at)]
        case .left(let user, _), .kicked(let user, _, _):
            return [.deleteClanMember(clanID: id, userID: user)]
        case .roleChanged(let user, let role, _, _):
            return [.updateClanMemberRole(clanID: id, userID: user, role: role.rawValue)]
        case .leadershipTransferred(_, let to, _):
            return [.updateClanLeader(id: id, leaderID: to, at: at), .updateClanMemberRole(clanID: id, userID: to, role: ClanRole.coleader.rawValue)]
        case .disbanded:
            return [.deleteClan(id: id)]
        case .invited, .requested, .declined, .warStarted, .warScored:
            return []
        case .warEnded(_, let result, _, _, _, _):
            // The total is the clan's (read by the caller); nothing to write for a loss or a draw.
            return result == .won ? [.setClanWarWins(id: id, wins: -1)] : []
        }
    }

    /// Match event types that change no column of `matches`, with their seed type.
    static let rowOnlyTypes: [String: MatchEventType] = [
        "match.shot": .shot, "match.foul": .foul, "match.decision": .system, "match.rack_started": .rackStart, "match.commentary": .commentary,
        "match.mode_set": .system, "match.declared": .system, "match.review_opened": .system, "match.review_proposed": .system,
        "match.review_resolved": .system,
    ]

    static func changes(match id: String, _ event: Match.Event, _ recorded: RecordedEvent) -> [RecordChange] {
        let at = event.at.date
        var changes: [RecordChange] = []
        switch event {
        case .created(let terms, _, _, _):
            changes.append(
                .insertMatch(
                    id: id,
                    tournamentID: terms.tournamentID,
                    venueID: terms.venueID,
                    tableID: terms.tableID,
                    playerA: terms.playerA,
                    playerB: terms.playerB,
                    at: at
                )
            )
        case .started:
            changes.append(.updateMatch(id: id, status: MatchStatus.live.rawValue, scoreA: 0, scoreB: 0, startedAt: at, endedAt: nil, at: at))
        case .rackEnded(_, _, let scoreA, let scoreB, _):
            changes.append(
                .updateMatch(id: id, status: MatchStatus.live.rawValue, scoreA: scoreA, scoreB: scoreB, startedAt: nil, endedAt: nil, at: at)
            )
        case .completed(_, let scoreA, let scoreB, _, _):
            changes.append(
                .updateMatch(id: id, status: MatchStatus.completed.rawValue, scoreA: scoreA, scoreB: scoreB, startedAt: nil, endedAt: at, at: at)
            )
        case .cancelled:
            changes.append(.updateMatchStatus(id: id, status: MatchStatus.cancelled.rawValue, endedAt: at))
        case .tableMoved(_, let to, _):
            changes.append(.updateMatchTable(id: id, tableID: to, at: at))
        case .corrected(_, _, _, _, let restored, _):
            // A corrected rack-ending shot gives the score back.
            changes.append(
                .updateMatch(
                    id: id,
                    status: MatchStatus.live.rawValue,
                    scoreA: restored.scoreA,
                    scoreB: restored.scoreB,
                    startedAt: nil,
                    endedAt: nil,
                    at: at
                )
            )
        case .rackStarted, .shot, .shotRuled, .decided, .commentary, .modeSet, .declared, .reviewOpened, .reviewProposed, .reviewResolved:
            break
        }
        changes.append(
            .insertMatchEvent(id: "\(id)-\(recorded.sequence)", matchID: id, type: event.seedType.rawValue, payload: recorded.payload, at: at)
        )
        return changes
    }
}

extension Venue.Event {
    var timestamp: Timestamp {
        switch self {
        case .registered(_, _, _, _, let at), .tableAdded(_, _, let at), .maintenanceChanged(_, _, let at),
            .adminGranted(_, let at), .adminRevoked(_, let at), .checkedIn(_, _, let at), .openTablesChanged(_, let at),
            .tableOccupied(_, _, let at), .tableReleased(_, _, let at):
            at
        }
    }
}
