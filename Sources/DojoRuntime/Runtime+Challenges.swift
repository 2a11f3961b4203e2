public import DojoDomain
public import DojoStorage
public import Foundation

extension Runtime {
    /// Creates a challenge for the signed-in player: checks what the challenge cannot know (the
    /// defender, venue and table exist, the challenger can cover the stake now, and has a free place
    /// among their ``RuntimeConfiguration/challengeMaximumOpen`` open challenges), fixes the fee and
    /// the expiry within the configured bounds, and schedules the expiry timer.
    /// `requested` is the client's terms (``command(for:challenger:now:)`` filled the default
    /// expiry): the challenger is the sender and the fee the server's.
    public func createChallenge(
        _ id: String,
        _ requested: Challenge.Terms,
        context: CommandContext,
        commandID: String?
    ) async throws -> CommandResult<Challenge> {
        guard let challenger = context.principal.userID else {
            throw DomainError(.forbidden, "forbidden", "a player challenges for themselves")
        }
        let now = context.now.date
        let expiry = requested.expiresAt.date
        let earliest = now.addingTimeInterval(configuration.challengeMinimumExpiry.seconds)
        let latest = now.addingTimeInterval(configuration.challengeMaximumExpiry.seconds)
        guard expiry >= earliest.addingTimeInterval(-1), expiry <= latest.addingTimeInterval(1) else {
            throw DomainError(
                .invalid,
                "challenge.invalid_expiry",
                "expiresAt must be \(Int(configuration.challengeMinimumExpiry.seconds)) s to \(Int(configuration.challengeMaximumExpiry.seconds)) s from now"
            )
        }
        var terms = requested
        terms.challengerID = challenger
        terms.feeBasisPoints = configuration.challengeFeeBasisPoints
        terms.expiresAt = Timestamp(expiry)
        let (defender, venueID, tableID, stake) = (terms.defenderID, terms.venueID, terms.tableID, terms.stake)
        let command = Challenge.Command.create(terms)
        // The challenge's own rules first: a malformed request reads and holds nothing.
        _ = try Challenge.decide(Challenge.initialState(id: id), command, context)
        let storage = environment.storage
        guard try await !storage.existingIDs(in: "users", [defender]).isEmpty else {
            throw DomainError(.invalid, "challenge.unknown_user", "user \(defender) does not exist")
        }
        if let venueID {
            let venue = try await venues.read(venueID).state
            guard venue.exists else { throw DomainError(.invalid, "challenge.unknown_venue", "venue \(venueID) does not exist") }
            if let tableID, !venue.tables.contains(where: { $0.id == tableID }) {
                throw DomainError(.invalid, "challenge.unknown_table", "table \(tableID) is not a table of venue \(venueID)")
            }
        }
        if stake > 0 {
            let available = try await accounts.read(Account.user(challenger)).state.balance
            guard available >= stake else {
                throw DomainError(.conflict, "ledger.insufficient_funds", "you hold \(available) coins; the stake is \(stake)")
            }
        }
        let slot = try await takeOpenSlot(challenger, for: id)
        let result: CommandResult<Challenge>
        do {
            result = try await challenges.send(id, command, context: context, commandID: commandID)
        } catch {
            if let slot { try? await storage.releaseClaim("challenge.open", slot, owner: id) }
            throw error
        }
        try await scheduleTimer(
            id: "challenge-\(id)-expiry",
            for: EntityKey(kind: .challenge, id: id)!,
            command: #"{"type":"expire"}"#,
            at: terms.expiresAt.date
        )
        return result
    }

    /// The one way every transport sends a challenge command (``EntityRegistration/challenge``):
    /// a create goes through ``createChallenge(_:_:context:commandID:)``; an accept waits (up to
    /// ``RuntimeConfiguration/challengeAcceptWait``) for its stakes to be escrowed, and answers the
    /// escrow's refusal (`ledger.insufficient_funds`) when it failed.
    public func sendChallenge(
        _ id: String,
        _ command: Challenge.Command,
        context: CommandContext,
        commandID: String?
    ) async throws -> CommandResult<Challenge> {
        if case .create(let terms) = command { return try await createChallenge(id, terms, context: context, commandID: commandID) }
        var result = try await challenges.send(id, command, context: context, commandID: commandID)
        if case .accept = command, result.state.status == .accepting {
            result = try await awaitEscrow(id, attempt: result.state.attempt, result: result)
        }
        return result
    }

    /// Waits for the ledger reaction to decide an accept: ACCEPTED answers the result, a failed
    /// escrow its refusal; still ACCEPTING after the wait answers the ACCEPTING state (202).
    private func awaitEscrow(_ id: String, attempt: Int, result: CommandResult<Challenge>) async throws -> CommandResult<Challenge> {
        let clock = ContinuousClock()
        let deadline = clock.now + configuration.challengeAcceptWait
        var result = result
        while clock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
            let (state, sequence) = try await challenges.read(id)
            result.state = state
            result.sequence = sequence
            if state.status == .accepting, state.attempt == attempt { continue }
            if state.attempt == attempt, state.status != .accepted, let failure = state.lastFailure {
                throw DomainError(.conflict, failure.code, failure.message)
            }
            return result
        }
        return result
    }

    /// Takes one of the challenger's open-challenge places (`challenge.open` claims, one per
    /// place): the limit holds across nodes. A place held by a challenge that is no longer open is
    /// taken over; nil when the challenge holds one already (a repeat).
    private func takeOpenSlot(_ user: String, for id: String) async throws -> String? {
        let limit = configuration.challengeMaximumOpen
        for index in 0..<limit {
            let slot = "\(user)#\(index)"
            do {
                let taken = try await claim(
                    "challenge.open",
                    slot,
                    for: id,
                    conflict: "challenge.too_many_open",
                    "you have \(limit) open challenges; wait for one to end",
                    stillOwned: { owner in try await self.challenges.read(owner).state.isOpen }
                )
                return taken ? slot : nil
            } catch let error as DomainError where error.code == "challenge.too_many_open" {
                continue
            }
        }
        throw DomainError(.conflict, "challenge.too_many_open", "you have \(limit) open challenges; wait for one to end")
    }

    /// Frees the open-challenge place a finished challenge held (best effort: a place left behind
    /// is taken over once its challenge is seen finished).
    func releaseOpenSlot(_ state: Challenge.State) async {
        guard let challenger = state.terms?.challengerID else { return }
        for index in 0..<configuration.challengeMaximumOpen {
            try? await environment.storage.releaseClaim("challenge.open", "\(challenger)#\(index)", owner: state.id)
        }
    }

    /// A user's challenges, newest first (the records' order, each read from its actor).
    public func challenges(
        of user: String,
        side: ChallengeSide,
        statuses: [ChallengeStatus],
        offset: Int,
        limit: Int
    ) async throws
        -> [Challenge.State]
    {
        let ids = try await environment.storage.challengeIDs(of: user, side: side, statuses: statuses.map(\.rawValue), offset: offset, limit: limit)
        var states: [Challenge.State] = []
        for id in ids {
            let state = try await challenges.read(id).state
            if state.exists { states.append(state) }
        }
        return states
    }

    /// Whether a user may follow a challenge's room: its two players (and admins, checked by the
    /// caller's policy).
    public func isChallengePlayer(challenge id: String, user: String) async throws -> Bool {
        guard let terms = try await challenges.read(id).state.terms else { return false }
        return terms.challengerID == user || terms.defenderID == user
    }
}

extension EntityRegistration {
    /// Challenges: a ``ChallengeCommandBody`` (create, accept, decline, withdraw); every command
    /// goes through ``Runtime/sendChallenge(_:_:context:commandID:)``.
    static func challenge(_ directory: EntityDirectory<Challenge>, runtime: Runtime) -> EntityRegistration {
        EntityRegistration(
            directory: directory,
            collection: "challenges",
            exists: { $0.exists },
            view: { $0.view },
            decode: { [weak runtime] body, principal in
                guard let runtime else { throw RuntimeError(.shuttingDown, "the runtime is gone") }
                let decoded = try JSONDecoder().decode(ChallengeCommandBody.self, from: body)
                return (runtime.command(for: try decoded.request(), challenger: principal.userID), decoded.commandId)
            },
            deliver: { [weak runtime] id, command, context, commandID in
                guard let runtime else { throw RuntimeError(.shuttingDown, "the runtime is gone") }
                return try await runtime.sendChallenge(id, command, context: context, commandID: commandID)
            },
            // A challenge's room is its two players' (and the platform's admins').
            follow: { [weak runtime] id, principal in
                guard let runtime else { throw RuntimeError(.shuttingDown, "the runtime is gone") }
                var player = false
                if let user = principal.userID { player = try await runtime.isChallengePlayer(challenge: id, user: user) }
                try AccessPolicy.check(principal, .followChallengeRoom(isPlayer: player))
            }
        )
    }
}

extension Runtime {
    /// The challenge command for a client's request, before the runtime checks the rest: a create
    /// without `expiresAt` expires after ``RuntimeConfiguration/challengeDefaultExpiry``; an accept
    /// gets a new match id.
    public func command(for request: ChallengeCommandBody.Request, challenger: String?, now: Date = Date()) -> Challenge.Command {
        switch request {
        case .create(let defender, let venueID, let tableID, let gameType, let raceTo, let stake, let expiresAt):
            .create(
                Challenge.Terms(
                    challengerID: challenger ?? "",
                    defenderID: defender,
                    venueID: venueID,
                    tableID: tableID,
                    gameType: gameType,
                    raceTo: raceTo,
                    stake: stake,
                    expiresAt: expiresAt ?? Timestamp(now.addingTimeInterval(configuration.challengeDefaultExpiry.seconds))
                )
            )
        case .accept: .accept(matchID: UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: ""))
        case .decline: .decline
        case .withdraw: .withdraw
        case .expire: .expire
        }
    }
}

extension Duration {
    /// The duration in seconds.
    public var seconds: TimeInterval {
        let (seconds, attoseconds) = components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}

extension Challenge.State {
    /// The `challenges` row of the state (nil before it exists).
    var row: ChallengeRow? {
        guard exists, let terms, let createdAt else { return nil }
        return ChallengeRow(
            id: id,
            challengerID: terms.challengerID,
            defenderID: terms.defenderID,
            venueID: terms.venueID,
            tableID: terms.tableID,
            status: status.rawValue,
            stake: terms.stake,
            gameType: terms.gameType.rawValue,
            raceTo: terms.raceTo,
            expiresAt: terms.expiresAt.date,
            matchID: status == .accepting ? nil : matchID,
            winnerID: winnerID,
            createdAt: createdAt.date,
            updatedAt: (updatedAt ?? createdAt).date
        )
    }
}
