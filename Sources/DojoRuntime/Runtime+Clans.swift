public import DojoDomain
import DojoStorage
import Foundation
import Synchronization

extension Runtime {
    /// How long a fresh claim is respected even when its owner does not (yet) agree: the owner's
    /// command may still be on its way to the log. Older claims whose owner disagrees are stale
    /// (a crash between the claim and the append, a release that never ran) and are taken over.
    static let claimGrace: Int64 = 30_000

    /// Sends a clan command, the one way every transport does (REST routes, the generic commands
    /// route, the socket): it checks the users the command names, reserves what no single clan can
    /// decide — the name among all clans, the joining player's one clan — sends the command, then
    /// frees the reservations it no longer needs and tells the gateway who lost the clan's room.
    public func sendClan(_ id: String, _ command: Clan.Command, context: CommandContext, commandID: String?) async throws -> CommandResult<Clan> {
        let storage = environment.storage
        switch command {
        case .invite(let user), .accept(let user):
            guard EntityKey.isValidID(user), try await !storage.existingIDs(in: "users", [user]).isEmpty else {
                throw DomainError(.invalid, "clan.unknown_user", "user \(user.prefix(64)) does not exist")
            }
        case .declareWar(let warID, let opponent, _, let hours):
            guard EntityKey.isValidID(opponent), opponent != id else { break }  // the clan's own rules answer
            let (other, _) = try await clans.read(opponent)
            guard other.exists, !other.disbanded else {
                throw DomainError(.invalid, "clan.unknown_opponent", "clan \(opponent) does not exist")
            }
            // The deadline is a durable timer for each clan, scheduled before the war exists: a
            // timer for a war that was refused finds no war and changes nothing.
            guard EntityKey.isValidID(warID), Clan.warHours.contains(hours) else { break }
            let due = context.now.date.addingTimeInterval(Double(hours) * 3_600)
            for clan in [id, opponent] {
                try await scheduleTimer(
                    id: "war-\(warID)-\(clan)",
                    for: EntityKey(kind: .clan, id: clan)!,
                    command: #"{"type":"endWar","warId":"\#(warID)"}"#,
                    at: due
                )
            }
        default:
            break
        }
        let (state, _) = try await clans.read(id)
        var taken: [(scope: String, key: String)] = []
        do {
            if case .create(let name, _) = command, !state.exists {
                let key = Clan.normalizedName(name)
                if try await claim(
                    "clan.name",
                    key,
                    for: id,
                    conflict: "clan.name_taken",
                    "a clan named \(name.prefix(40)) exists",
                    stillOwned: { owner in
                        let (other, _) = try await self.clans.read(owner)
                        return other.exists && !other.disbanded && Clan.normalizedName(other.name) == key
                    }
                ) {
                    taken.append(("clan.name", key))
                }
            }
            if let joiner = state.joiner(of: command, principal: context.principal) {
                if try await claim(
                    "clan.member",
                    joiner,
                    for: id,
                    conflict: "clan.member_elsewhere",
                    "\(joiner) is in another clan; a player is in one clan at a time",
                    stillOwned: { owner in
                        try await self.clans.read(owner).state.isMember(joiner)
                    }
                ) {
                    taken.append(("clan.member", joiner))
                }
            }
            let result = try await clans.send(id, command, context: context, commandID: commandID)
            await settle(id, result, before: state)
            return result
        } catch {
            // Refused or failed: free what this command reserved (a crash here leaves a stale
            // claim, taken over after the grace period).
            for claim in taken { try? await storage.releaseClaim(claim.scope, claim.key, owner: id) }
            throw error
        }
    }

    /// Whether `user` is a member of `clan` now (the clan room's rule), from the clan's actor.
    public func isClanMember(clan: String, user: String) async throws -> Bool {
        try await clans.read(clan).state.isMember(user)
    }

    /// The clan `user` is in now: the claim says which, the clan's actor confirms.
    static func clan(of user: String, storage: any Storage, clans: EntityDirectory<Clan>) async throws -> String? {
        guard let holder = try await storage.claimHolder("clan.member", user) else { return nil }
        return try await clans.read(holder.owner).state.isMember(user) ? holder.owner : nil
    }

    /// Takes a claim for `owner`; returns whether this call took it (false when `owner` held it
    /// already). Held by another owner that still agrees, or freshly: a `conflict`.
    func claim(
        _ scope: String,
        _ key: String,
        for owner: String,
        conflict code: String,
        _ message: String,
        stillOwned: (String) async throws -> Bool
    ) async throws -> Bool {
        let storage = environment.storage
        let now = environment.now()
        // A claim released between the storage's insert and its read answers `conflict`: the
        // insert is tried again (the ledger's property test found a challenge's place freed and
        // taken at that moment).
        var attempt = 0
        var holder: ClaimHolder
        while true {
            do {
                holder = try await storage.claim(scope, key, owner: owner, at: now)
                break
            } catch let error as StorageError where error.code == .conflict && attempt < 5 {
                attempt += 1
            }
        }
        if holder.owner == owner { return holder.taken }
        let age = Int64((now.timeIntervalSince1970 * 1000).rounded(.down)) - holder.claimedAt
        guard age >= Self.claimGrace, try await !stillOwned(holder.owner) else {
            throw DomainError(.conflict, code, message)
        }
        guard try await storage.takeOverClaim(scope, key, from: holder.owner, claimedAt: holder.claimedAt, to: owner, at: now) else {
            throw DomainError(.conflict, code, message)
        }
        return true
    }

    /// After a clan's command: players who left free their one clan, a disbanded clan frees its
    /// name, and the gateway hears who lost the room. Best effort: a claim left behind is stale
    /// and taken over later.
    private func settle(_ id: String, _ result: CommandResult<Clan>, before: Clan.State) async {
        guard !result.duplicate else { return }
        let storage = environment.storage
        var departed: [String] = []
        for event in result.events {
            let gone = event.departed(from: result.state)
            departed += gone
            for user in gone { try? await storage.releaseClaim("clan.member", user, owner: id) }
            if case .disbanded = event { try? await storage.releaseClaim("clan.name", Clan.normalizedName(result.state.name), owner: id) }
        }
        guard !departed.isEmpty, let key = EntityKey(kind: .clan, id: id) else { return }
        let listeners = accessListeners.withLock { $0 }
        for listener in listeners { listener(key, departed) }
    }
}

extension EntityRegistration {
    /// Clans: a ``ClanCommandBody``; every command goes through ``Runtime/sendClan(_:_:context:commandID:)``.
    static func clan(_ directory: EntityDirectory<Clan>, runtime: Runtime) -> EntityRegistration {
        EntityRegistration(
            directory: directory,
            collection: "clans",
            exists: { $0.exists },
            view: { $0.view },
            decode: { body, _ in
                let decoded = try JSONDecoder().decode(ClanCommandBody.self, from: body)
                return (try decoded.command(), decoded.commandId)
            },
            deliver: { [weak runtime] id, command, context, commandID in
                guard let runtime else { throw RuntimeError(.shuttingDown, "the runtime is gone") }
                return try await runtime.sendClan(id, command, context: context, commandID: commandID)
            },
            // A clan's room is its members' (and the platform's admins').
            follow: { [weak runtime] id, principal in
                guard let runtime else { throw RuntimeError(.shuttingDown, "the runtime is gone") }
                var member = false
                if let user = principal.userID { member = try await runtime.isClanMember(clan: id, user: user) }
                try AccessPolicy.check(principal, .followClanRoom(isMember: member))
            }
        )
    }
}

extension Runtime {
    /// Takes a player out of their clan before their account is deleted: a member leaves; a leader
    /// alone disbands; a leader with members is refused (`account.clan_leader`: hand the leadership
    /// over first).
    public func leaveClanForDeletion(_ user: String, now: Timestamp) async throws {
        guard let clan = try await Runtime.clan(of: user, storage: environment.storage, clans: clans) else { return }
        let state = try await clans.read(clan).state
        let context = CommandContext(principal: .user(user), now: now)
        if state.leaderID == user {
            guard state.members.count <= 1 else {
                throw DomainError(.conflict, "account.clan_leader", "you lead clan \(state.name): hand the leadership over (or disband it) first")
            }
            _ = try await sendClan(clan, .disband, context: context, commandID: "delete-account-\(user)")
        } else {
            _ = try await sendClan(clan, .leave, context: context, commandID: "delete-account-\(user)")
        }
    }
}
