import Foundation

extension Tournament {
    // MARK: decide

    public static func decide(_ state: State, _ command: Command, _ context: CommandContext) throws(DomainError) -> [Event] {
        let now = context.now
        let principal = context.principal
        if case .create(let terms, let staff) = command {
            guard !state.exists else { throw DomainError(.conflict, "tournament.already_exists", "tournament \(state.id) already exists") }
            try validate(terms, id: state.id, now: now)
            guard principal.isAdmin || (staff && terms.venueID != nil) else {
                throw DomainError(.forbidden, "forbidden", "a tournament is created by its venue's owner or admins, or by an admin")
            }
            return [.created(terms, directorID: principal.userID ?? "system", at: now)]
        }
        guard state.exists, let terms = state.terms else {
            throw DomainError(.notFound, "tournament.not_found", "tournament \(state.id) does not exist")
        }
        func director(_ staff: Bool) throws(DomainError) {
            guard state.isDirector(principal, staff: staff) else {
                throw DomainError(.forbidden, "forbidden", "only the tournament's director, its venue's staff or an admin may do this")
            }
        }
        func upcoming() throws(DomainError) {
            guard state.status == .upcoming else {
                throw DomainError(.conflict, "tournament.not_upcoming", "tournament \(state.id) is \(state.status.rawValue); registration is closed")
            }
        }
        func live() throws(DomainError) {
            guard state.status == .live else {
                throw DomainError(.conflict, "tournament.not_live", "tournament \(state.id) is \(state.status.rawValue), not LIVE")
            }
        }

        switch command {
        case .create:
            preconditionFailure("handled above")

        case .register(let userID, let staff):
            if principal.userID != userID { try director(staff) }
            try upcoming()
            guard EntityKey.isValidID(userID) else { throw DomainError(.invalid, "tournament.invalid_id", "userId is not an id") }
            guard state.participant(userID) == nil else {
                throw DomainError(.conflict, "tournament.already_registered", "\(userID) is registered already")
            }
            guard state.participants.count < terms.maxParticipants else {
                throw DomainError(.conflict, "tournament.full", "tournament \(state.id) is full (\(terms.maxParticipants) players)")
            }
            let attempt = (state.entryAttempts[userID] ?? 0) + 1
            return [.registered(userID: userID, attempt: attempt, paid: terms.entryFee == 0, at: now)]

        case .unregister(let userID, let staff):
            if principal.userID != userID { try director(staff) }
            try upcoming()
            guard let participant = state.participant(userID) else {
                throw DomainError(.conflict, "tournament.not_registered", "\(userID) is not registered")
            }
            let refund = participant.paid && terms.entryFee > 0 ? Refund(userID: userID, attempt: participant.attempt) : nil
            return [.unregistered(userID: userID, refund: refund, at: now)]

        case .checkIn(let userID):
            guard principal.userID == userID || principal.isAdmin else {
                throw DomainError(.forbidden, "forbidden", "players check in for themselves")
            }
            try upcoming()
            guard let participant = state.participant(userID) else {
                throw DomainError(.conflict, "tournament.not_registered", "\(userID) is not registered")
            }
            guard terms.checkInMinutes > 0 else { throw DomainError(.conflict, "tournament.no_check_in", "this tournament has no check-in") }
            if let startsAt = terms.startsAt, now.millisecondsSince1970 < startsAt.millisecondsSince1970 - Int64(terms.checkInMinutes) * 60_000 {
                throw DomainError(.conflict, "tournament.check_in_closed", "check-in opens \(terms.checkInMinutes) minutes before the start")
            }
            return participant.checkedIn ? [] : [.checkedIn(userID: userID, at: now)]

        case .entryResult(let userID, let attempt, let paid):
            guard principal.isSystem else { throw DomainError(.forbidden, "forbidden", "only the ledger reports an entry fee") }
            if let participant = state.participant(userID), participant.attempt == attempt, state.status == .upcoming {
                guard !participant.paid else { return [] }
                return [paid ? .entryPaid(userID: userID, at: now) : .entryFailed(userID: userID, at: now)]
            }
            // The registration is gone (left, removed at the start, cancelled): a paid fee goes back.
            return paid ? [.entryReturned(Refund(userID: userID, attempt: attempt), at: now)] : []

        case .start(let order, let ratings, let randomSeed, let staff):
            if principal.isSystem, state.status != .upcoming { return [] }  // a late timer
            if !principal.isSystem { try director(staff) }
            try upcoming()
            let eligible = state.participants.filter { $0.paid && (terms.checkInMinutes == 0 || $0.checkedIn) }.map(\.userID)
            let removed = state.participants.map(\.userID).filter { !eligible.contains($0) }
            if eligible.count < 2 {
                guard principal.isSystem else {
                    throw DomainError(.conflict, "tournament.too_few_players", "\(eligible.count) player(s) can play; a tournament needs 2")
                }
                return [cancellation(state, reason: "fewer than 2 players at the start", at: now)]
            }
            if let error = Bracket.validate(format: terms.format, options: terms.options, players: eligible.count) { throw error }
            var seeds = eligible
            switch terms.seeding {
            case .rating:
                let position = Dictionary(uniqueKeysWithValues: eligible.enumerated().map { ($1, $0) })
                seeds.sort { (ratings[$0] ?? 0, position[$1]!) > (ratings[$1] ?? 0, position[$0]!) }
            case .manual:
                if let order {
                    guard order.count == eligible.count, Set(order) == Set(eligible) else {
                        throw DomainError(
                            .invalid,
                            "tournament.invalid_order",
                            "order lists every player who can play, once: \(eligible.joined(separator: ", "))"
                        )
                    }
                    seeds = order
                }
            case .random:
                var generator = SplitMix64(seed: randomSeed)
                seeds.shuffle(using: &generator)
            }
            var events: [Event] = [
                .started(seeds: seeds, removed: removed, seeding: terms.seeding, randomSeed: terms.seeding == .random ? randomSeed : nil, at: now)
            ]
            events += followUps(replay(events, from: state), at: now)
            return events

        case .matchEnded(let matchID, let winnerID, let scoreA, let scoreB):
            guard principal.isSystem else { throw DomainError(.forbidden, "forbidden", "only the match reports its end") }
            guard let assignment = state.assignments.last(where: { $0.matchID == matchID }), assignment.live else { return [] }
            var events: [Event]
            if let winnerID {
                guard winnerID == assignment.playerA || winnerID == assignment.playerB else {
                    throw DomainError(.invalid, "tournament.wrong_winner", "\(winnerID) is not a player of match \(matchID)")
                }
                let side: Match.Side = winnerID == assignment.playerA ? .a : .b
                events = [
                    .resultRecorded(
                        slot: assignment.slot,
                        winner: side,
                        winnerID: winnerID,
                        scoreA: scoreA,
                        scoreB: scoreB,
                        walkover: false,
                        by: nil,
                        override: false,
                        at: now
                    )
                ]
            } else {
                events = [.matchReplaced(slot: assignment.slot, matchID: matchID, at: now)]
            }
            events += followUps(replay(events, from: state), at: now)
            return events

        case .score(let matchID, let scoreA, let scoreB):
            guard principal.isSystem else { throw DomainError(.forbidden, "forbidden", "only the match reports its score") }
            guard let assignment = state.assignments.last(where: { $0.matchID == matchID }), assignment.live,
                assignment.scoreA != scoreA || assignment.scoreB != scoreB
            else { return [] }
            return [.scoreChanged(slot: assignment.slot, scoreA: scoreA, scoreB: scoreB, at: now)]

        case .tablesChanged(let unavailable):
            guard principal.isSystem else { throw DomainError(.forbidden, "forbidden", "only the venue reports its tables") }
            let mine = unavailable.filter { terms.tables.contains($0) }.sorted()
            guard mine != state.unavailableTables, state.status == .upcoming || state.status == .live else { return [] }
            var events: [Event] = [.tablesChanged(unavailable: mine, at: now)]
            events += followUps(replay(events, from: state), at: now)
            return events

        case .report(let slot, let winnerID, let scoreA, let scoreB, let staff):
            try director(staff)
            return try record(state, slot: slot, winnerID: winnerID, scoreA: scoreA, scoreB: scoreB, walkover: false, by: principal, at: now)

        case .walkover(let slot, let winnerID, let staff):
            try director(staff)
            return try record(state, slot: slot, winnerID: winnerID, scoreA: 0, scoreB: 0, walkover: true, by: principal, at: now)

        case .disqualify(let userID, let staff):
            try director(staff)
            try live()
            guard let bracket = state.bracket, bracket.seeds.contains(userID) else {
                throw DomainError(.invalid, "tournament.not_a_player", "\(userID) does not play in this tournament")
            }
            guard !state.disqualified.contains(userID) else { return [] }
            var events: [Event] = [.disqualified(userID: userID, at: now)]
            events += followUps(replay(events, from: state), at: now)
            return events

        case .cancel(let reason, let staff):
            try director(staff)
            guard state.status == .upcoming || state.status == .live else {
                throw DomainError(.conflict, "tournament.finished", "tournament \(state.id) is \(state.status.rawValue) already")
            }
            if let reason, reason.isEmpty || reason.count > Match.maximumTextLength || hasControlCharacters(reason) {
                throw DomainError(
                    .invalid,
                    "tournament.invalid_reason",
                    "a reason is 1–\(Match.maximumTextLength) characters without control characters"
                )
            }
            return [cancellation(state, reason: reason, at: now)]
        }
    }

    private static func cancellation(_ state: State, reason: String?, at now: Timestamp) -> Event {
        let refunds =
            (state.terms?.entryFee ?? 0) > 0
            ? state.participants.filter(\.paid).map { Refund(userID: $0.userID, attempt: $0.attempt) } : []
        return .cancelled(reason: reason, refunds: refunds, liveMatches: state.assignments.filter(\.live).map(\.matchID), at: now)
    }

    /// A result the director reports (or a walkover): the slot's two players must be known; an
    /// existing result may be replaced only while no slot that follows from it has a match or a
    /// result.
    private static func record(
        _ state: State,
        slot: Int,
        winnerID: String,
        scoreA: Int,
        scoreB: Int,
        walkover: Bool,
        by principal: Principal,
        at now: Timestamp
    ) throws(DomainError) -> [Event] {
        guard state.status == .live, let bracket = state.bracket else {
            throw DomainError(.conflict, "tournament.not_live", "tournament \(state.id) is \(state.status.rawValue), not LIVE")
        }
        guard bracket.slots.indices.contains(slot) else {
            throw DomainError(.invalid, "tournament.unknown_slot", "slot \(slot) is not in the bracket")
        }
        let resolved = bracket.resolve()[slot]
        guard let playerA = resolved.a.player, let playerB = resolved.b.player else {
            throw DomainError(.conflict, "tournament.slot_not_ready", "slot \(slot)'s players are not both known")
        }
        guard winnerID == playerA || winnerID == playerB else {
            throw DomainError(.invalid, "tournament.wrong_winner", "\(winnerID) does not play in slot \(slot)")
        }
        let side: Match.Side = winnerID == playerA ? .a : .b
        guard (0...Match.maximumRace).contains(scoreA), (0...Match.maximumRace).contains(scoreB),
            walkover || (side == .a ? scoreA > scoreB : scoreB > scoreA)
        else {
            throw DomainError(.invalid, "tournament.invalid_score", "scores are 0–\(Match.maximumRace) and the winner has more racks")
        }
        let override = bracket.results[slot] != nil
        if let existing = bracket.results[slot] {
            if existing == Bracket.Result(winner: side, scoreA: scoreA, scoreB: scoreB, walkover: walkover) { return [] }
            for dependent in bracket.dependents(of: slot)
            where bracket.results[dependent] != nil || state.assignments.contains(where: { $0.slot == dependent }) {
                throw DomainError(
                    .conflict,
                    "tournament.result_locked",
                    "slot \(slot)'s result cannot change: slot \(dependent), which follows from it, has started"
                )
            }
        }
        var events: [Event] = [
            .resultRecorded(
                slot: slot,
                winner: side,
                winnerID: winnerID,
                scoreA: scoreA,
                scoreB: scoreB,
                walkover: walkover,
                by: principal.userID ?? "system",
                override: override,
                at: now
            )
        ]
        events += followUps(replay(events, from: state), at: now)
        return events
    }

    /// What follows from the bracket as it stands: walkovers for disqualified players, then the
    /// completion (placings and prizes) or the next matches, each on a free table of the tournament
    /// (slots in bracket order; without tables every ready slot gets its match).
    static func followUps(_ state: State, at now: Timestamp) -> [Event] {
        guard state.status == .live, var bracket = state.bracket, let terms = state.terms else { return [] }
        var events: [Event] = []
        var resolved = bracket.resolve()
        // Walkovers until none is left (one can make the next slot ready).
        while let slot = resolved.indices.first(where: { index in
            resolved[index].isReady && [resolved[index].a, resolved[index].b].contains { state.disqualified.contains($0.player ?? "") }
        }) {
            let aOut = state.disqualified.contains(resolved[slot].a.player ?? "")
            let winner: Match.Side = aOut && !state.disqualified.contains(resolved[slot].b.player ?? "") ? .b : .a
            let result = Bracket.Result(winner: winner, scoreA: 0, scoreB: 0, walkover: true)
            bracket.results[slot] = result
            events.append(
                .resultRecorded(
                    slot: slot,
                    winner: winner,
                    winnerID: resolved[slot].player(winner) ?? "",
                    scoreA: 0,
                    scoreB: 0,
                    walkover: true,
                    by: nil,
                    override: false,
                    at: now
                )
            )
            resolved = bracket.resolve()
        }
        if bracket.champion(resolved) != nil, let placings = bracket.placings() {
            events.append(.completed(placings: placings, prizes: prizes(placings, pot: state.pot, split: terms.prizeSplit), at: now))
            return events
        }
        var free = state.freeTables
        let useTables = !terms.tables.isEmpty
        for (slot, item) in resolved.enumerated() where item.isReady && state.liveAssignment(slot: slot) == nil {
            guard let playerA = item.a.player, let playerB = item.b.player else { continue }
            if useTables && free.isEmpty { break }
            let table = useTables ? free.removeFirst() : nil
            let attempt = state.assignments.filter { $0.slot == slot }.count + 1
            let assignment = Assignment(
                slot: slot,
                matchID: matchID(tournament: state.id, slot: slot, attempt: attempt),
                tableID: table,
                raceTo: bracket.isFinal(slot) ? terms.finalRaceTo ?? terms.raceTo : terms.raceTo,
                playerA: playerA,
                playerB: playerB
            )
            events.append(.matchAssigned(assignment, at: now))
        }
        return events
    }

    /// The pot shared by place: players sharing places share those places' prizes equally (what
    /// cannot be split evenly, and places nobody reached, stay with the house).
    public static func prizes(_ placings: [[String]], pot: Int64, split: [Int]) -> [Prize] {
        guard pot > 0 else { return [] }
        var prizes: [Prize] = []
        var place = 0
        for group in placings {
            let end = min(place + group.count, split.count)
            if place < end {
                let places = place..<end
                let share = Int64(split[places].reduce(0, +)) * pot / 10_000 / Int64(group.count)
                if share > 0 { prizes += group.map { Prize(userID: $0, place: place + 1, amount: share) } }
            }
            place += group.count
        }
        return prizes
    }

    private static func hasControlCharacters(_ text: String) -> Bool {
        text.unicodeScalars.contains { $0.properties.generalCategory == .control }
    }

    private static func validate(_ terms: Terms, id: String, now: Timestamp) throws(DomainError) {
        guard EntityKey.isValidID(id), id.utf8.count <= maximumIDLength else {
            throw DomainError(.invalid, "tournament.invalid_id", "a tournament id is 1–\(maximumIDLength) characters of A–Z a–z 0–9 - _")
        }
        let name = terms.name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty, name.count <= maximumNameLength, name == terms.name, !hasControlCharacters(name) else {
            throw DomainError(
                .invalid,
                "tournament.invalid_name",
                "the name is 1–\(maximumNameLength) characters, without leading or trailing spaces"
            )
        }
        for id in [terms.venueID].compactMap({ $0 }) + terms.tables where !EntityKey.isValidID(id) {
            throw DomainError(.invalid, "tournament.invalid_id", "venueId and tables are ids")
        }
        guard terms.tables.count <= maximumTables, Set(terms.tables).count == terms.tables.count else {
            throw DomainError(.invalid, "tournament.invalid_tables", "tables lists at most \(maximumTables) distinct tables")
        }
        guard terms.tables.isEmpty || terms.venueID != nil else {
            throw DomainError(.invalid, "tournament.invalid_tables", "tables are given only with the venue")
        }
        guard (1...Match.maximumRace).contains(terms.raceTo), (1...Match.maximumRace).contains(terms.finalRaceTo ?? 1) else {
            throw DomainError(.invalid, "match.invalid_race", "the race must be 1–\(Match.maximumRace) racks")
        }
        guard (2...terms.format.maximumPlayers).contains(terms.maxParticipants) else {
            throw DomainError(
                .invalid,
                "tournament.invalid_max_participants",
                "maxParticipants is 2–\(terms.format.maximumPlayers) for \(terms.format.rawValue)"
            )
        }
        guard (2...16).contains(terms.options.groupSize), (1...terms.options.groupSize).contains(terms.options.advancePerGroup) else {
            throw DomainError(.invalid, "tournament.invalid_groups", "groupSize is 2–16 and advancePerGroup 1–groupSize")
        }
        // The pot of a full tournament is paid out in transfers of at most the ledger's largest.
        guard terms.entryFee >= 0, terms.entryFee <= Account.maximumAmount / Int64(terms.maxParticipants) else {
            throw DomainError(
                .invalid,
                "tournament.invalid_fee",
                "entryFee is 0–\(Account.maximumAmount / Int64(terms.maxParticipants)) coins for \(terms.maxParticipants) players"
            )
        }
        // Each share bounded before the sum: a client's `Int.max` must not overflow it.
        guard terms.prizeSplit.count <= maximumPrizePlaces, terms.prizeSplit.allSatisfy({ (0...10_000).contains($0) }),
            terms.prizeSplit.reduce(0, +) <= 10_000
        else {
            throw DomainError(
                .invalid,
                "tournament.invalid_prize_split",
                "prizeSplit is at most \(maximumPrizePlaces) shares in basis points, summing to at most 10000"
            )
        }
        guard (0...maximumCheckInMinutes).contains(terms.checkInMinutes) else {
            throw DomainError(.invalid, "tournament.invalid_check_in", "checkInMinutes is 0–\(maximumCheckInMinutes)")
        }
        if let startsAt = terms.startsAt,
            startsAt <= now || startsAt.millisecondsSince1970 - now.millisecondsSince1970 > maximumStartAheadMilliseconds
        {
            throw DomainError(.invalid, "tournament.invalid_start", "startsAt is in the future, at most 366 days ahead")
        }
        if let rewards = terms.rewards, rewards.depth > maximumRewardsDepth || rewards.approximateSize > maximumRewardsSize {
            throw DomainError(
                .invalid,
                "tournament.invalid_rewards",
                "rewards is at most \(maximumRewardsSize) bytes, nested at most \(maximumRewardsDepth) deep"
            )
        }
    }

    // MARK: apply

    public static func apply(_ state: inout State, _ event: Event) {
        switch event {
        case .created(let terms, let directorID, let at):
            state.exists = true
            state.terms = terms
            state.directorID = directorID
            state.status = .upcoming
            state.createdAt = at
            state.updatedAt = at
        case .registered(let userID, let attempt, let paid, let at):
            state.participants.append(Participant(userID: userID, attempt: attempt, paid: paid, registeredAt: at))
            state.entryAttempts[userID] = attempt
            state.updatedAt = at
        case .unregistered(let userID, _, let at), .entryFailed(let userID, let at):
            state.participants.removeAll { $0.userID == userID }
            state.updatedAt = at
        case .checkedIn(let userID, let at):
            if let index = state.participants.firstIndex(where: { $0.userID == userID }) { state.participants[index].checkedIn = true }
            state.updatedAt = at
        case .entryPaid(let userID, let at):
            if let index = state.participants.firstIndex(where: { $0.userID == userID }) { state.participants[index].paid = true }
            state.updatedAt = at
        case .entryReturned(_, let at):
            state.updatedAt = at
        case .started(let seeds, let removed, _, let randomSeed, let at):
            guard let terms = state.terms else { return }
            state.status = .live
            state.bracket = Bracket(format: terms.format, options: terms.options, seeds: seeds)
            state.removedAtStart = removed
            state.participants.removeAll { removed.contains($0.userID) }
            state.randomSeed = randomSeed
            state.startedAt = at
            state.updatedAt = at
        case .matchAssigned(let assignment, let at):
            state.assignments.append(assignment)
            state.updatedAt = at
        case .tablesChanged(let unavailable, let at):
            state.unavailableTables = unavailable
            state.updatedAt = at
        case .scoreChanged(let slot, let scoreA, let scoreB, let at):
            if let index = state.assignments.lastIndex(where: { $0.slot == slot && $0.live }) {
                state.assignments[index].scoreA = scoreA
                state.assignments[index].scoreB = scoreB
            }
            state.updatedAt = at
        case .resultRecorded(let slot, let winner, _, let scoreA, let scoreB, let walkover, _, _, let at):
            state.bracket?.results[slot] = Bracket.Result(winner: winner, scoreA: scoreA, scoreB: scoreB, walkover: walkover)
            for index in state.assignments.indices where state.assignments[index].slot == slot && state.assignments[index].live {
                state.assignments[index].live = false
                state.assignments[index].scoreA = scoreA
                state.assignments[index].scoreB = scoreB
            }
            state.updatedAt = at
        case .matchReplaced(let slot, let matchID, let at):
            for index in state.assignments.indices where state.assignments[index].slot == slot && state.assignments[index].matchID == matchID {
                state.assignments[index].live = false
            }
            state.updatedAt = at
        case .disqualified(let userID, let at):
            state.disqualified.append(userID)
            state.updatedAt = at
        case .completed(let placings, let prizes, let at):
            state.status = .completed
            state.placings = placings
            state.prizes = prizes
            state.endedAt = at
            state.updatedAt = at
        case .cancelled(let reason, _, _, let at):
            state.status = .cancelled
            state.cancelReason = reason
            for index in state.assignments.indices { state.assignments[index].live = false }
            state.endedAt = at
            state.updatedAt = at
        }
    }
}
