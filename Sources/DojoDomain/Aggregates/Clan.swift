import Foundation

/// A clan: a named group of players with a leader and ranked members (seed §5 `Clan`,
/// `ClanMember`). Who may do what follows the ranks leader > COLEADER > OFFICER > MEMBER through
/// ``AccessPolicy``; platform admins may moderate (remove members, disband).
///
/// What the clan cannot know itself is checked by the runtime before a command reaches it: the
/// invited user exists, the name is not taken by another clan (compared after
/// ``Clan/normalizedName(_:)``), a joining player is in no other clan.
public enum Clan: Aggregate {
    public static let kind = EntityKind.clan
    public static let stateFormatVersion = 1

    /// The most members one clan has.
    public static let maximumMembers = 10_000
    /// The most open invitations and join requests together.
    public static let maximumPending = 1_000
    /// A name's length in characters, after trimming.
    public static let nameLength = 3...32
    /// The longest description, in characters.
    public static let maximumDescriptionLength = 500
    /// Wars a clan fights at once.
    public static let maximumActiveWars = 5
    /// Ended wars a clan's state remembers (the log keeps them all).
    public static let rememberedWars = 20
    /// A war's target: match wins, 1–100.
    public static let warTargets = 1...100
    /// A war's window: 1 hour to 30 days.
    public static let warHours = 1...720

    /// A war between two clans for a window, to a target of match wins. Each clan keeps its own
    /// copy, from its side (`ours`, `theirs`); both copies see the same results in the same way.
    public struct War: Sendable, Codable, Equatable {
        public enum Status: String, Sendable, Codable {
            case active, won, lost, drawn
        }

        public var id: String
        /// The other clan, from this copy's side.
        public var opponentID: String
        /// The clan that declared it.
        public var declaredBy: String
        /// The clan it was declared on.
        public var defenderID: String
        public var target: Int
        public var startsAt: Timestamp
        public var endsAt: Timestamp
        public var ours = 0
        public var theirs = 0
        public var status = Status.active
        public var endedAt: Timestamp?
        /// Matches counted (a result is counted once however often it is delivered).
        public var counted: [String] = []

        public init(id: String, declaredBy: String, defenderID: String, target: Int, startsAt: Timestamp, endsAt: Timestamp, side: String) {
            self.id = id
            self.declaredBy = declaredBy
            self.defenderID = defenderID
            self.opponentID = side == declaredBy ? defenderID : declaredBy
            self.target = target
            self.startsAt = startsAt
            self.endsAt = endsAt
        }

        /// The war's terms as `clan`'s fresh copy (no match counted yet).
        public func terms(for clan: String) -> War {
            War(id: id, declaredBy: declaredBy, defenderID: defenderID, target: target, startsAt: startsAt, endsAt: endsAt, side: clan)
        }
    }

    /// A member with their rank. The leader is the member named by ``State/leaderID`` (their role
    /// is COLEADER: the seed's roles have no leader, `clans.leader_id` says who leads).
    public struct Member: Sendable, Codable, Equatable {
        public var userID: String
        public var role: ClanRole
        public var joinedAt: Timestamp
    }

    public struct State: Sendable, Codable, Equatable {
        public var id: String
        public var exists = false
        public var disbanded = false
        public var name = ""
        public var description: String?
        public var leaderID = ""
        public var members: [String: Member] = [:]
        /// Users invited and not yet answered, with when.
        public var invitations: [String: Timestamp] = [:]
        /// Users who asked to join and were not yet answered, with when.
        public var requests: [String: Timestamp] = [:]
        public var createdAt: Timestamp?
        public var disbandedAt: Timestamp?
        /// Active wars and the last ended ones, oldest first.
        public var wars: [War] = []
        public var warWins = 0

        public init(id: String) { self.id = id }

        /// The active war against `clan`, if any.
        public func activeWar(against clan: String) -> War? {
            wars.first { $0.status == .active && $0.opponentID == clan }
        }

        public func isMember(_ userID: String?) -> Bool {
            guard let userID, !disbanded else { return false }
            return members[userID] != nil
        }

        /// 3 for the leader, 2 COLEADER, 1 OFFICER, 0 MEMBER; nil for a non-member.
        public func rank(of userID: String?) -> Int? {
            guard let userID, !disbanded, let member = members[userID] else { return nil }
            if userID == leaderID { return 3 }
            return Clan.rank(member.role)
        }

        /// What everyone sees: who leads, how many members, not who is invited.
        public var view: View {
            View(
                id: id,
                exists: exists,
                disbanded: disbanded,
                name: name,
                description: description,
                leaderId: leaderID,
                memberCount: members.count,
                warWins: warWins,
                activeWars: wars.filter { $0.status == .active }.count,
                createdAt: createdAt,
                disbandedAt: disbandedAt
            )
        }

        public struct View: Sendable, Encodable, Equatable {
            public var id: String
            public var exists: Bool
            public var disbanded: Bool
            public var name: String
            public var description: String?
            public var leaderId: String
            public var memberCount: Int
            public var warWins: Int
            public var activeWars: Int
            public var createdAt: Timestamp?
            public var disbandedAt: Timestamp?
        }

        /// The member list as clients see it, sorted by user id.
        public func memberViews(after cursor: String?, limit: Int) -> [MemberView] {
            members.values.lazy
                .filter { cursor == nil || $0.userID > cursor! }
                .sorted { $0.userID < $1.userID }
                .prefix(limit)
                .map { MemberView(userId: $0.userID, role: $0.role, leader: $0.userID == leaderID, joinedAt: $0.joinedAt) }
        }

        /// Whom a command would make a member if it is accepted (the runtime reserves that user's
        /// one clan before sending it): the creator, an invited player asking to join, a
        /// requesting player invited, an accepted invitation or request.
        public func joiner(of command: Command, principal: Principal) -> String? {
            guard !disbanded else { return nil }
            switch command {
            case .create: return exists ? nil : principal.userID
            case .requestToJoin: return principal.userID.flatMap { invitations[$0] != nil ? $0 : nil }
            case .invite(let user): return requests[user] != nil ? user : nil
            case .accept(let user): return invitations[user] != nil || requests[user] != nil ? user : nil
            default: return nil
            }
        }
    }

    public struct MemberView: Sendable, Encodable, Equatable {
        public var userId: String
        public var role: ClanRole
        public var leader: Bool
        public var joinedAt: Timestamp
    }

    public enum Command: Sendable, Equatable, Codable {
        /// Founds the clan; the sender leads it.
        case create(name: String, description: String?)
        case describe(description: String?)
        /// An officer or higher invites a player (who joins at once if they had asked).
        case invite(userID: String)
        /// The sender asks to join (and joins at once if invited).
        case requestToJoin
        /// The invited player accepts their invitation (`userID` is the sender), or an officer or
        /// higher accepts a player's request.
        case accept(userID: String)
        /// The player declines their invitation or withdraws their request, or an officer or
        /// higher declines a request or withdraws an invitation.
        case decline(userID: String)
        case leave
        case kick(userID: String)
        case setRole(userID: String, role: ClanRole)
        case transferLeadership(userID: String)
        case disband
        /// The leader or a co-leader declares war on another clan (the runtime checks that it
        /// exists): `target` match wins within `hours`.
        case declareWar(warID: String, opponentID: String, target: Int, hours: Int)
        /// Reaction: another clan declared war on this one.
        case warDeclaredAgainst(War)
        /// Reaction: a match between members of the two clans completed; `winnerClanID` won it.
        /// Carries the war's terms, so a clan that has not heard of the war yet starts it here.
        case recordWarMatch(war: War, matchID: String, winnerClanID: String, at: Timestamp)
        /// The durable timer at the deadline: the war ends on the scores it has.
        case endWar(warID: String)
    }

    public enum Event: Sendable, Codable, Equatable {
        case created(name: String, description: String?, leaderID: String, at: Timestamp)
        case described(description: String?, by: String?, at: Timestamp)
        case invited(userID: String, by: String?, at: Timestamp)
        case requested(userID: String, at: Timestamp)
        case declined(userID: String, by: String?, at: Timestamp)
        case joined(userID: String, role: ClanRole, at: Timestamp)
        case left(userID: String, at: Timestamp)
        case kicked(userID: String, by: String?, at: Timestamp)
        case roleChanged(userID: String, role: ClanRole, by: String?, at: Timestamp)
        case leadershipTransferred(from: String, to: String, at: Timestamp)
        case disbanded(by: String?, at: Timestamp)
        /// A war began (declared by this clan or against it), from this clan's side.
        case warStarted(war: War, at: Timestamp)
        /// A match of the war counted: the scores after it, from this clan's side.
        case warScored(warID: String, matchID: String, won: Bool, ours: Int, theirs: Int, at: Timestamp)
        /// The war ended at its target or its deadline.
        case warEnded(warID: String, result: War.Status, ours: Int, theirs: Int, reason: String, at: Timestamp)
    }

    public static func initialState(id: String) -> State { State(id: id) }

    public static func eventType(_ event: Event) -> String {
        switch event {
        case .created: "clan.created"
        case .described: "clan.described"
        case .invited: "clan.invited"
        case .requested: "clan.join_requested"
        case .declined: "clan.declined"
        case .joined: "clan.member_joined"
        case .left: "clan.member_left"
        case .kicked: "clan.member_kicked"
        case .roleChanged: "clan.role_changed"
        case .leadershipTransferred: "clan.leadership_transferred"
        case .disbanded: "clan.disbanded"
        case .warStarted: "clan.war_started"
        case .warScored: "clan.war_scored"
        case .warEnded: "clan.war_ended"
        }
    }

    static func rank(_ role: ClanRole) -> Int {
        switch role {
        case .member: 0
        case .officer: 1
        case .coleader: 2
        }
    }

    /// The form two names are compared in: Unicode compatibility-normalised (NFKC), case-folded,
    /// inner whitespace collapsed to one space. `Ｓharks`, `sharks` and ` SHARKS ` are one name.
    public static func normalizedName(_ name: String) -> String {
        name.precomposedStringWithCompatibilityMapping
            .folding(options: [.caseInsensitive, .widthInsensitive], locale: nil)
            .split(whereSeparator: { $0.isWhitespace })
            .joined(separator: " ")
    }

    // MARK: decide

    public static func decide(_ state: State, _ command: Command, _ context: CommandContext) throws(DomainError) -> [Event] {
        let now = context.now
        let principal = context.principal
        if case .create(let name, let description) = command {
            guard !state.exists else { throw DomainError(.conflict, "clan.already_exists", "clan \(state.id) already exists") }
            guard let leader = principal.userID else {
                throw DomainError(.forbidden, "forbidden", "a clan is founded by a signed-in player, who leads it")
            }
            return [.created(name: try validName(name), description: try validDescription(description), leaderID: leader, at: now)]
        }
        guard state.exists else { throw DomainError(.notFound, "clan.not_found", "clan \(state.id) does not exist") }
        guard !state.disbanded else { throw DomainError(.conflict, "clan.disbanded", "clan \(state.id) was disbanded") }
        let actor = principal.userID

        switch command {
        case .create:
            preconditionFailure("handled above")

        case .describe(let description):
            try AccessPolicy.check(principal, .leadClan(state, .describe))
            let description = try validDescription(description)
            guard description != state.description else { return [] }
            return [.described(description: description, by: actor, at: now)]

        case .invite(let user):
            try AccessPolicy.check(principal, .leadClan(state, .recruit))
            try validID(user)
            guard state.members[user] == nil else { throw DomainError(.conflict, "clan.already_member", "\(user) is a member already") }
            if state.requests[user] != nil { return [try join(state, user, now)] }
            guard state.invitations[user] == nil else { return [] }
            try requirePendingRoom(state)
            return [.invited(userID: user, by: actor, at: now)]

        case .requestToJoin:
            guard let user = actor else { throw DomainError(.forbidden, "forbidden", "a player asks to join for themselves") }
            guard state.members[user] == nil else { throw DomainError(.conflict, "clan.already_member", "you are a member already") }
            if state.invitations[user] != nil { return [try join(state, user, now)] }
            guard state.requests[user] == nil else { return [] }
            try requirePendingRoom(state)
            return [.requested(userID: user, at: now)]

        case .accept(let user):
            try validID(user)
            if state.members[user] != nil { return [] }
            if user == actor {
                guard state.invitations[user] != nil else {
                    throw DomainError(.conflict, "clan.no_invitation", "you have no invitation to clan \(state.id); ask to join instead")
                }
            } else {
                try AccessPolicy.check(principal, .leadClan(state, .recruit))
                guard state.requests[user] != nil else {
                    throw DomainError(.conflict, "clan.no_request", "\(user) has not asked to join clan \(state.id)")
                }
            }
            return [try join(state, user, now)]

        case .decline(let user):
            try validID(user)
            if user != actor { try AccessPolicy.check(principal, .leadClan(state, .recruit)) }
            guard state.invitations[user] != nil || state.requests[user] != nil else { return [] }
            return [.declined(userID: user, by: actor, at: now)]

        case .leave:
            guard let user = actor, state.members[user] != nil else {
                throw DomainError(.conflict, "clan.not_member", "you are not a member of clan \(state.id)")
            }
            if user == state.leaderID {
                // The last member takes the clan with them; a leader with members hands over first.
                guard state.members.count == 1 else {
                    throw DomainError(
                        .conflict,
                        "clan.leader_must_transfer",
                        "the leader transfers the leadership before leaving (or disbands the clan)"
                    )
                }
                return [.disbanded(by: user, at: now)]
            }
            return [.left(userID: user, at: now)]

        case .kick(let user):
            guard state.members[user] != nil else { throw DomainError(.notFound, "clan.not_member", "\(user) is not a member of clan \(state.id)") }
            guard user != actor else { throw DomainError(.conflict, "clan.kick_self", "leave the clan instead of removing yourself") }
            try AccessPolicy.check(principal, .leadClan(state, .outrank(user, role: nil)))
            return [.kicked(userID: user, by: actor, at: now)]

        case .setRole(let user, let role):
            guard let member = state.members[user] else {
                throw DomainError(.notFound, "clan.not_member", "\(user) is not a member of clan \(state.id)")
            }
            guard user != state.leaderID else {
                throw DomainError(.conflict, "clan.leader_role", "the leader's role changes only by transferring the leadership")
            }
            try AccessPolicy.check(principal, .leadClan(state, .outrank(user, role: role)))
            guard member.role != role else { return [] }
            return [.roleChanged(userID: user, role: role, by: actor, at: now)]

        case .transferLeadership(let user):
            try AccessPolicy.check(principal, .leadClan(state, .lead))
            guard state.members[user] != nil else {
                throw DomainError(.notFound, "clan.not_member", "\(user) is not a member of clan \(state.id)")
            }
            guard user != state.leaderID else { return [] }
            return [.leadershipTransferred(from: state.leaderID, to: user, at: now)]

        case .disband:
            try AccessPolicy.check(principal, .leadClan(state, .lead))
            return [.disbanded(by: actor, at: now)]

        case .declareWar(let warID, let opponent, let target, let hours):
            try AccessPolicy.check(principal, .leadClan(state, .describe))
            guard EntityKey.isValidID(warID), EntityKey.isValidID(opponent) else {
                throw DomainError(.invalid, "clan.invalid_id", "warId and opponentId are ids")
            }
            guard opponent != state.id else { throw DomainError(.invalid, "clan.war_self", "a clan cannot declare war on itself") }
            guard warTargets.contains(target), warHours.contains(hours) else {
                throw DomainError(
                    .invalid,
                    "clan.invalid_war",
                    "a war is \(warTargets.lowerBound)–\(warTargets.upperBound) match wins within \(warHours.lowerBound)–\(warHours.upperBound) hours"
                )
            }
            guard !state.wars.contains(where: { $0.id == warID }) else { return [] }
            guard state.activeWar(against: opponent) == nil else {
                throw DomainError(.conflict, "clan.war_exists", "a war against \(opponent) is already on")
            }
            guard state.wars.filter({ $0.status == .active }).count < maximumActiveWars else {
                throw DomainError(.conflict, "clan.too_many_wars", "a clan fights at most \(maximumActiveWars) wars at once")
            }
            let ends = Timestamp(millisecondsSince1970: now.millisecondsSince1970 + Int64(hours) * 3_600_000)
            let war = War(id: warID, declaredBy: state.id, defenderID: opponent, target: target, startsAt: now, endsAt: ends, side: state.id)
            return [.warStarted(war: war, at: now)]

        case .warDeclaredAgainst(let war):
            try requireSystem(principal)
            guard !state.wars.contains(where: { $0.id == war.id }) else { return [] }
            guard war.defenderID == state.id || war.declaredBy == state.id else { return [] }
            return [.warStarted(war: war.terms(for: state.id), at: now)]

        case .recordWarMatch(let terms, let matchID, let winner, let at):
            try requireSystem(principal)
            var events: [Event] = []
            guard terms.defenderID == state.id || terms.declaredBy == state.id else { return [] }
            var war = state.wars.first { $0.id == terms.id } ?? terms.terms(for: state.id)
            if !state.wars.contains(where: { $0.id == terms.id }) {
                events.append(.warStarted(war: war, at: now))
            }
            guard war.status == .active, !war.counted.contains(matchID), war.startsAt <= at, at <= war.endsAt else { return events }
            let won = winner == state.id
            if won { war.ours += 1 } else { war.theirs += 1 }
            events.append(.warScored(warID: war.id, matchID: matchID, won: won, ours: war.ours, theirs: war.theirs, at: now))
            if max(war.ours, war.theirs) >= war.target {
                events.append(
                    .warEnded(
                        warID: war.id,
                        result: war.ours > war.theirs ? .won : .lost,
                        ours: war.ours,
                        theirs: war.theirs,
                        reason: "target",
                        at: now
                    )
                )
            }
            return events

        case .endWar(let warID):
            try requireSystem(principal)
            guard let war = state.wars.first(where: { $0.id == warID }), war.status == .active else { return [] }
            let result: War.Status = war.ours > war.theirs ? .won : war.ours < war.theirs ? .lost : .drawn
            return [.warEnded(warID: warID, result: result, ours: war.ours, theirs: war.theirs, reason: "deadline", at: now)]
        }
    }

    private static func requireSystem(_ principal: Principal) throws(DomainError) {
        guard principal.isSystem else {
            throw DomainError(.forbidden, "forbidden", "war results come from the matches played and the war's deadline")
        }
    }

    private static func join(_ state: State, _ user: String, _ now: Timestamp) throws(DomainError) -> Event {
        guard state.members.count < maximumMembers else {
            throw DomainError(.conflict, "clan.full", "a clan has at most \(maximumMembers) members")
        }
        return .joined(userID: user, role: .member, at: now)
    }

    private static func requirePendingRoom(_ state: State) throws(DomainError) {
        guard state.invitations.count + state.requests.count < maximumPending else {
            throw DomainError(.conflict, "clan.too_many_pending", "a clan has at most \(maximumPending) open invitations and requests")
        }
    }

    private static func validID(_ id: String) throws(DomainError) {
        guard EntityKey.isValidID(id) else {
            throw DomainError(.invalid, "clan.invalid_id", "userId must be 1–\(EntityKey.maximumIDLength) characters of A–Z a–z 0–9 - _")
        }
    }

    /// The name as stored: trimmed, 3–32 characters, letters, digits, spaces and `-_'.&`, no
    /// control or invisible characters.
    static func validName(_ name: String) throws(DomainError) -> String {
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        let allowed = CharacterSet.letters.union(.decimalDigits).union(CharacterSet(charactersIn: " -_'.&"))
        guard nameLength.contains(trimmed.count), trimmed.unicodeScalars.allSatisfy(allowed.contains) else {
            throw DomainError(
                .invalid,
                "clan.invalid_name",
                "a clan's name is \(nameLength.lowerBound)–\(nameLength.upperBound) characters: letters, digits, spaces and - _ ' . &"
            )
        }
        return trimmed
    }

    static func validDescription(_ text: String?) throws(DomainError) -> String? {
        guard let text else { return nil }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.count <= maximumDescriptionLength,
            !trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control && $0 != "\n" })
        else {
            throw DomainError(
                .invalid,
                "clan.invalid_description",
                "a description is at most \(maximumDescriptionLength) characters, no control characters"
            )
        }
        return trimmed.isEmpty ? nil : trimmed
    }

    // MARK: apply

    public static func apply(_ state: inout State, _ event: Event) {
        switch event {
        case .created(let name, let description, let leaderID, let at):
            state.exists = true
            state.name = name
            state.description = description
            state.leaderID = leaderID
            state.members[leaderID] = Member(userID: leaderID, role: .coleader, joinedAt: at)
            state.createdAt = at
        case .described(let description, _, _):
            state.description = description
        case .invited(let user, _, let at):
            state.invitations[user] = at
        case .requested(let user, let at):
            state.requests[user] = at
        case .declined(let user, _, _):
            state.invitations[user] = nil
            state.requests[user] = nil
        case .joined(let user, let role, let at):
            state.invitations[user] = nil
            state.requests[user] = nil
            state.members[user] = Member(userID: user, role: role, joinedAt: at)
        case .left(let user, _), .kicked(let user, _, _):
            state.members[user] = nil
        case .roleChanged(let user, let role, _, _):
            state.members[user]?.role = role
        case .leadershipTransferred(_, let to, _):
            state.leaderID = to
            state.members[to]?.role = .coleader
        case .disbanded(_, let at):
            state.disbanded = true
            state.disbandedAt = at
            state.invitations = [:]
            state.requests = [:]
        case .warStarted(let war, _):
            state.wars.append(war)
        case .warScored(let warID, let matchID, _, let ours, let theirs, _):
            state.updateWar(warID) { war in
                war.ours = ours
                war.theirs = theirs
                war.counted.append(matchID)
                if war.counted.count > 256 { war.counted.removeFirst(war.counted.count - 256) }
            }
        case .warEnded(let warID, let result, let ours, let theirs, _, let at):
            state.updateWar(warID) { war in
                war.status = result
                war.ours = ours
                war.theirs = theirs
                war.endedAt = at
                war.counted = []
            }
            if result == .won { state.warWins += 1 }
            // Forget the oldest ended wars past the limit (the log keeps them).
            while state.wars.filter({ $0.status != .active }).count > rememberedWars,
                let oldest = state.wars.firstIndex(where: { $0.status != .active })
            {
                state.wars.remove(at: oldest)
            }
        }
    }
}

extension Clan.State {
    fileprivate mutating func updateWar(_ id: String, _ change: (inout Clan.War) -> Void) {
        guard let index = wars.firstIndex(where: { $0.id == id }) else { return }
        change(&wars[index])
    }
}

extension Clan.Event {
    /// When the event happened.
    public var at: Timestamp {
        switch self {
        case .created(_, _, _, let at), .described(_, _, let at), .invited(_, _, let at), .requested(_, let at), .declined(_, _, let at),
            .joined(_, _, let at), .left(_, let at), .kicked(_, _, let at), .roleChanged(_, _, _, let at), .leadershipTransferred(_, _, let at),
            .disbanded(_, let at), .warStarted(_, let at), .warScored(_, _, _, _, _, let at), .warEnded(_, _, _, _, _, let at):
            at
        }
    }

    /// The players this event removes from the clan (they lose its room).
    public func departed(from state: Clan.State) -> [String] {
        switch self {
        case .left(let user, _), .kicked(let user, _, _): [user]
        case .disbanded: Array(state.members.keys)
        default: []
        }
    }
}
