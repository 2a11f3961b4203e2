import DojoDomain
public import DojoStorage
public import Foundation
import Synchronization

/// Brings the legacy platform's data in (`dojopool import --legacy`, docs/operations.md, "The
/// legacy import"): users with their profiles and settings become records; venues with their
/// tables and check-ins, clans with their members, territories, matches with their commentary and
/// upcoming or cancelled tournaments with their players become the entities' own commands, sent
/// through the runtime as the system (or as the legacy user who did it) at the legacy row's time,
/// so the domain checks them as it checks live play, the events carry the old times, and the
/// actors activate with the imported state; wallets, notifications and achievements become records.
///
/// Idempotent and resumable: every command carries a cause `legacy:<Model>` with a fixed number
/// per entity (an actor applies a cause once), creations and records are checked against what is
/// there, so a second run writes nothing and a run stopped half way finishes on the next one.
/// Dirty rows — a dangling reference, an email taken by another user in any case, a value outside
/// its enum, a time that is not one — are skipped and reported with why, never guessed at.
public struct LegacyImporter: Sendable {
    /// What happened to one row.
    public enum Outcome: Sendable, Equatable {
        case written
        case already
        case refused(String)
    }

    /// The legacy tables in the order they are imported (referenced rows first).
    public static let tables = [
        "User", "Profile", "UserSettings", "Venue", "Table", "CheckIn", "Clan", "ClanMember", "Territory", "TerritoryEvent", "Match",
        "MatchEvent", "Tournament", "TournamentParticipant", "Challenge", "Wallet", "Transaction", "NFT", "UserNFT", "Achievement",
        "UserAchievement", "Notification", "AuditLog",
    ]

    /// Every column of each legacy model (the seed's Prisma schema).
    static let columns: [String: [String]] = [
        "User": ["id", "email", "username", "passwordHash", "role", "createdAt", "updatedAt"],
        "Profile": ["id", "userId", "displayName", "bio", "avatarUrl", "location", "skillRating", "clanTitle", "createdAt", "updatedAt"],
        "UserSettings": [
            "id", "userId", "emailNotifications", "pushNotifications", "darkMode", "language", "timezone", "privacySettings", "createdAt",
            "updatedAt",
        ],
        "Venue": ["id", "name", "description", "lat", "lng", "address", "ownerId", "createdAt", "updatedAt"],
        "Table": ["id", "venueId", "name", "status", "createdAt", "updatedAt"],
        "CheckIn": ["id", "userId", "venueId", "via", "createdAt"],
        "Clan": ["id", "name", "description", "leaderId", "createdAt", "updatedAt"],
        "ClanMember": ["id", "clanId", "userId", "role", "joinedAt"],
        "Territory": ["id", "venueId", "ownerId", "clanId", "level", "defenseScore", "createdAt", "updatedAt"],
        "TerritoryEvent": ["id", "territoryId", "type", "metadata", "createdAt"],
        "Tournament": ["id", "venueId", "name", "status", "startTime", "endTime", "rewards", "createdAt", "updatedAt"],
        "TournamentParticipant": ["id", "tournamentId", "userId", "seed", "createdAt"],
        "Match": [
            "id", "tournamentId", "venueId", "tableId", "playerAId", "playerBId", "status", "scoreA", "scoreB", "startedAt", "endedAt", "createdAt",
            "updatedAt",
        ],
        "MatchEvent": ["id", "matchId", "type", "payload", "ts"],
        "Challenge": ["id", "challengerId", "defenderId", "venueId", "status", "stakeCoins", "createdAt", "updatedAt"],
        "Wallet": ["id", "userId", "chain", "address", "createdAt"],
        "Transaction": ["id", "userId", "amount", "currency", "type", "metadata", "createdAt"],
        "NFT": ["id", "contract", "tokenId", "chain", "metadata", "createdAt"],
        "UserNFT": ["id", "userId", "nftId", "createdAt"],
        "Achievement": ["id", "key", "name", "desc", "points", "createdAt"],
        "UserAchievement": ["id", "userId", "achievementId", "earnedAt"],
        "Notification": ["id", "userId", "type", "payload", "read", "createdAt"],
        "AuditLog": ["id", "actorId", "action", "target", "metadata", "ts"],
    ]

    /// Tables read (and checksummed) but not imported, and why (docs/operations.md).
    static let notImported: [String: String] = [
        "TerritoryEvent": "not imported: a territory's history is summed up in its holder, level and defence score",
        "Challenge": "not imported: open challenges need stakes in escrow, which the legacy data does not hold",
        "Transaction": "not imported: the coin ledger starts empty (legacy balances are not double-entry)",
        "NFT": "not imported: the collectibles catalog needs a name and an image the legacy rows do not have",
        "UserNFT": "not imported: the collectibles catalog is not imported",
        "AuditLog": "not imported: the audit trail starts with the import",
    ]

    /// The cause stream of the commands made from one legacy model's rows.
    static func cause(_ model: String, _ number: Int) -> Cause { Cause(stream: "legacy:\(model)", seq: Int64(number)) }

    let source: LegacySource
    let runtime: Runtime
    let storage: any Storage
    let positioned: [String]
    let now: @Sendable () -> Date

    /// - Parameters:
    ///   - positionConsumers: consumers outside `runtime` (the partners' webhooks) placed at the
    ///     end of every stream the import wrote to, so history is not sent on as news.
    public init(
        source: LegacySource,
        runtime: Runtime,
        storage: any Storage,
        positionConsumers: [String] = [],
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.source = source
        self.runtime = runtime
        self.storage = storage
        self.positioned = positionConsumers
        self.now = now
    }

    /// What is known while importing: the users, venues and clans now present.
    final class Known: Sendable {
        struct State {
            var users: Set<String> = []
            var venues: [String: String] = [:]  // id → name
            var clans: Set<String> = []
            var tournaments: Set<String> = []
            var streams: [String: Int64] = [:]  // every stream written to, and its head
        }
        let state = Mutex(State())
        func user(_ id: String?) -> Bool { id.map { id in state.withLock { $0.users.contains(id) } } ?? false }
        func venue(_ id: String?) -> String? { id.flatMap { id in state.withLock { $0.venues[id] } } }
        func clan(_ id: String?) -> Bool { id.map { id in state.withLock { $0.clans.contains(id) } } ?? false }
    }

    /// Imports everything, table by table; returns the report.
    public func run() async throws -> LegacyImportReport {
        let known = Known()
        runtime.onCommitted { key, events in
            guard let last = events.last?.sequence else { return }
            known.state.withLock { $0.streams[key.description] = max($0.streams[key.description] ?? 0, last) }
        }
        var report = LegacyImportReport()
        var tables: [String: LegacySource.Table] = [:]
        for name in Self.tables {
            guard try await source.hasTable(name) else { continue }
            tables[name] = try await source.read(name, columns: Self.columns[name] ?? ["id"])
        }
        func rows(_ name: String) -> [LegacyRow] { tables[name]?.rows ?? [] }
        func byParent(_ name: String, _ column: String) -> [String: [LegacyRow]] {
            Dictionary(grouping: rows(name).filter { $0[column] != nil }, by: { $0[column]! })
        }

        var results: [String: LegacyImportReport.Table] = [:]
        results["User"] = try await importUsers(rows("User"), known)
        results["Profile"] = try await importProfiles(rows("Profile"), known)
        results["UserSettings"] = try await importSettings(rows("UserSettings"), known)
        (results["Venue"], results["Table"], results["CheckIn"]) = try await importVenues(
            rows("Venue"),
            tables: byParent("Table", "venueId"),
            checkIns: byParent("CheckIn", "venueId"),
            allTables: rows("Table"),
            allCheckIns: rows("CheckIn"),
            known
        )
        (results["Clan"], results["ClanMember"]) = try await importClans(
            rows("Clan"),
            members: byParent("ClanMember", "clanId"),
            allMembers: rows("ClanMember"),
            known
        )
        results["Territory"] = try await importTerritories(rows("Territory"), known)
        (results["Match"], results["MatchEvent"]) = try await importMatches(
            rows("Match"),
            events: byParent("MatchEvent", "matchId"),
            allEvents: rows("MatchEvent"),
            known
        )
        (results["Tournament"], results["TournamentParticipant"]) = try await importTournaments(
            rows("Tournament"),
            participants: byParent("TournamentParticipant", "tournamentId"),
            allParticipants: rows("TournamentParticipant"),
            known
        )
        results["Wallet"] = try await importWallets(rows("Wallet"), known)
        let achievements = Dictionary(rows("Achievement").map { ($0.id, $0["key"] ?? "") }, uniquingKeysWith: { first, _ in first })
        results["UserAchievement"] = try await importAchievements(rows("UserAchievement"), keys: achievements, known)
        results["Notification"] = try await importNotifications(rows("Notification"), known)
        var catalog = LegacyImportReport.Table(name: "Achievement")
        for row in rows("Achievement") {
            if Achievement(rawValue: row["key"] ?? "") != nil {
                catalog.alreadyImported += 1
            } else {
                catalog.skip(row.id, "no such achievement here (the catalog is the server's own)")
            }
        }
        results["Achievement"] = catalog
        for (name, reason) in Self.notImported {
            var table = LegacyImportReport.Table(name: name)
            for row in rows(name) { table.skip(row.id, reason) }
            results[name] = table
        }

        // Everything the commands set off (reactions, projections) is done before positions move.
        await runtime.drainConsumers()
        let streams = known.state.withLock { $0.streams }
        for consumer in positioned where !streams.isEmpty {
            try await storage.saveConsumerPositions(consumer: consumer, streams, at: now())
        }
        for name in Self.tables {
            guard let source = tables[name] else { continue }
            var table = results[name] ?? LegacyImportReport.Table(name: name)
            table.read = source.rows.count
            table.checksum = source.checksum
            report.tables.append(table)
        }
        return report
    }

    // MARK: Users

    func importUsers(_ rows: [LegacyRow], _ known: Known) async throws -> LegacyImportReport.Table {
        var table = LegacyImportReport.Table(name: "User")
        // The earliest account keeps an email or username; a later one that repeats it in any case is skipped.
        let ordered = rows.sorted {
            (LegacyValues.timestamp($0["createdAt"]) ?? .init(millisecondsSince1970: .max), $0.id) < (
                LegacyValues.timestamp($1["createdAt"]) ?? .init(millisecondsSince1970: .max), $1.id
            )
        }
        var emails: [String: String] = [:]
        var usernames: [String: String] = [:]
        for row in ordered {
            let id = row.id
            guard EntityKey.isValidID(id) else {
                table.skip(id, "invalid id")
                continue
            }
            guard let role = LegacyValues.enumeration(row["role"], as: UserRole.self) else {
                table.skip(id, "role is not USER, VENUE_ADMIN or ADMIN")
                continue
            }
            guard let email = row["email"].flatMap(AccountNames.email) else {
                table.skip(id, "invalid email")
                continue
            }
            guard let username = row["username"].flatMap(AccountNames.username) else {
                table.skip(id, "invalid username (3–32 of a–z 0–9 _ -)")
                continue
            }
            guard let createdAt = LegacyValues.timestamp(row["createdAt"]) else {
                table.skip(id, "invalid createdAt")
                continue
            }
            if let holder = emails[email], holder != id {
                table.skip(id, "email repeats an earlier user's in another case")
                continue
            }
            if let holder = usernames[username], holder != id {
                table.skip(id, "username repeats an earlier user's in another case")
                continue
            }
            emails[email] = id
            usernames[username] = id
            if let existing = try await storage.user(id: id) {
                guard existing.email == email else {
                    table.skip(id, "the id is another user's here")
                    continue
                }
                table.alreadyImported += 1
                known.state.withLock { _ = $0.users.insert(id) }
                continue
            }
            let taken = try await storage.takenIdentifiers(email: email, username: username)
            if taken.email || taken.username {
                table.skip(id, taken.email ? "email taken here by another user" : "username taken here by another user")
                continue
            }
            // A legacy password hash (bcrypt) cannot be checked here: it is kept, marked, and never
            // matches; the player signs in with an email code and sets a password.
            let hash = "legacy:" + (row["passwordHash"] ?? "")
            try await storage.insertUser(
                UserRecord(id: id, email: email, username: username, passwordHash: hash, role: role.rawValue),
                at: createdAt.date
            )
            table.written += 1
            known.state.withLock { _ = $0.users.insert(id) }
        }
        return table
    }

    func importProfiles(_ rows: [LegacyRow], _ known: Known) async throws -> LegacyImportReport.Table {
        var table = LegacyImportReport.Table(name: "Profile")
        for row in rows {
            guard let user = row["userId"], known.user(user) else {
                table.skip(row.id, "userId names no imported user")
                continue
            }
            func text(_ column: String, limit: Int) -> String? {
                guard let value = row[column]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else { return nil }
                if value.count > limit || value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
                    table.note("\(column) dropped: too long or with control characters")
                    return nil
                }
                return value
            }
            var avatar = text("avatarUrl", limit: 2_048)
            if let url = avatar, !(url.hasPrefix("https://") && URL(string: url)?.host != nil) {
                table.note("avatarUrl dropped: not an https URL")
                avatar = nil
            }
            let wanted = ProfileChanges(
                displayName: .some(text("displayName", limit: 50)),
                bio: .some(text("bio", limit: 500)),
                avatarURL: .some(avatar),
                location: .some(text("location", limit: 100))
            )
            if let current = try await storage.profile(of: user), current.displayName == wanted.displayName ?? nil, current.bio == wanted.bio ?? nil,
                current.avatarURL == wanted.avatarURL ?? nil, current.location == wanted.location ?? nil
            {
                table.alreadyImported += 1
                continue
            }
            try await storage.updateProfile(of: user, wanted, at: LegacyValues.timestamp(row["updatedAt"])?.date ?? now())
            table.written += 1
        }
        return table
    }

    func importSettings(_ rows: [LegacyRow], _ known: Known) async throws -> LegacyImportReport.Table {
        var table = LegacyImportReport.Table(name: "UserSettings")
        for row in rows {
            guard let user = row["userId"], known.user(user) else {
                table.skip(row.id, "userId names no imported user")
                continue
            }
            guard let email = LegacyValues.bool(row["emailNotifications"]), let push = LegacyValues.bool(row["pushNotifications"]),
                let dark = LegacyValues.bool(row["darkMode"])
            else {
                table.skip(row.id, "a setting is not a boolean")
                continue
            }
            var settings = SettingsRecord(emailNotifications: email, pushNotifications: push, darkMode: dark)
            if let language = row["language"], Self.isLanguageTag(language) {
                settings.language = language
            } else {
                table.note("language reset to en")
            }
            if let zone = row["timezone"], TimeZone(identifier: zone) != nil { settings.timezone = zone } else { table.note("timezone reset to UTC") }
            let privacy = (row["privacySettings"]).flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            settings.privacy = (privacy?["profile"] as? String == "private" || privacy?["private"] as? Bool == true) ? "private" : "public"
            if try await storage.settings(of: user) == settings {
                table.alreadyImported += 1
                continue
            }
            try await storage.saveSettings(of: user, settings, at: LegacyValues.timestamp(row["updatedAt"])?.date ?? now())
            table.written += 1
        }
        return table
    }

    static func isLanguageTag(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard let first = parts.first, (2...3).contains(first.count), first.allSatisfy({ $0.isASCII && $0.isLetter }), text.count <= 35 else {
            return false
        }
        return parts.dropFirst().allSatisfy { (1...8).contains($0.count) && $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) } }
    }

    // MARK: Commands

    /// Sends one command; a domain refusal is the row's reason to be skipped, anything else
    /// (storage down) stops the import (a second run resumes).
    func send<A: Aggregate>(
        _ directory: EntityDirectory<A>,
        _ id: String,
        _ command: A.Command,
        as principal: Principal = .system,
        at time: Timestamp,
        cause: Cause
    ) async throws -> Outcome {
        do {
            let result = try await directory.send(id, command, context: CommandContext(principal: principal, now: time), cause: cause)
            return result.duplicate || result.events.isEmpty ? .already : .written
        } catch let error as DomainError {
            return .refused("refused: \(error.code)")
        }
    }

    /// A user acting in the legacy data (a clan's leader, a player registering).
    static func user(_ id: String) -> Principal { Principal(userID: id, role: .user) }

    // MARK: Venues

    func importVenues(
        _ rows: [LegacyRow],
        tables: [String: [LegacyRow]],
        checkIns: [String: [LegacyRow]],
        allTables: [LegacyRow],
        allCheckIns: [LegacyRow],
        _ known: Known
    ) async throws -> (LegacyImportReport.Table, LegacyImportReport.Table, LegacyImportReport.Table) {
        var venueReport = LegacyImportReport.Table(name: "Venue")
        var tableReport = LegacyImportReport.Table(name: "Table")
        var checkInReport = LegacyImportReport.Table(name: "CheckIn")
        var imported: Set<String> = []
        for row in rows {
            let id = row.id
            guard EntityKey.isValidID(id), let name = row["name"], let lat = LegacyValues.double(row["lat"]),
                let lng = LegacyValues.double(row["lng"]),
                let createdAt = LegacyValues.timestamp(row["createdAt"])
            else {
                venueReport.skip(id, "invalid id, name, lat, lng or createdAt")
                continue
            }
            var owner = row["ownerId"]
            if let candidate = owner, !known.user(candidate) {
                venueReport.note("ownerId dropped: names no imported user")
                owner = nil
            }
            if row["description"] != nil { venueReport.note("description not kept (a venue here has none)") }
            let outcome = try await send(
                runtime.venues,
                id,
                .register(name: name, location: Venue.Location(lat: lat, lng: lng), address: row["address"], ownerID: owner),
                at: createdAt,
                cause: Self.cause("Venue", 1)
            )
            venueReport.count(outcome, id)
            if case .refused = outcome { continue }
            imported.insert(id)
            known.state.withLock { $0.venues[id] = name }

            // Its tables, then its check-ins, each in time order, numbered for the cause.
            let ordered = (tables[id] ?? []).sorted(by: Self.byTime("createdAt"))
            var number = 0
            for table in ordered {
                guard let status = LegacyValues.enumeration(table["status"], as: TableStatus.self) else {
                    tableReport.skip(table.id, "status is not AVAILABLE, OCCUPIED or MAINTENANCE")
                    continue
                }
                number += 1
                let at = LegacyValues.timestamp(table["createdAt"]) ?? createdAt
                let added = try await send(
                    runtime.venues,
                    id,
                    .addTable(id: table.id, name: table["name"] ?? table.id),
                    at: at,
                    cause: Self.cause("Table", number)
                )
                tableReport.count(added, table.id)
                if case .refused = added { continue }
                if status == .occupied { tableReport.note("OCCUPIED not kept: a table is occupied by a live match here") }
                if status == .maintenance {
                    number += 1
                    _ = try await send(runtime.venues, id, .setMaintenance(tableID: table.id, on: true), at: at, cause: Self.cause("Table", number))
                }
            }
            number = 0
            for checkIn in (checkIns[id] ?? []).sorted(by: Self.byTime("createdAt")) {
                guard let user = checkIn["userId"], known.user(user) else {
                    checkInReport.skip(checkIn.id, "userId names no imported user")
                    continue
                }
                guard let method = LegacyValues.enumeration(checkIn["via"], as: CheckInMethod.self),
                    let at = LegacyValues.timestamp(checkIn["createdAt"])
                else {
                    checkInReport.skip(checkIn.id, "via is not QR, GEO or ADMIN, or createdAt is not a time")
                    continue
                }
                number += 1
                checkInReport.count(
                    try await send(runtime.venues, id, .checkIn(userID: user, method: method), at: at, cause: Self.cause("CheckIn", number)),
                    checkIn.id
                )
            }
        }
        for row in allTables where !imported.contains(row["venueId"] ?? "") { tableReport.skip(row.id, "venueId names no imported venue") }
        for row in allCheckIns where !imported.contains(row["venueId"] ?? "") { checkInReport.skip(row.id, "venueId names no imported venue") }
        return (venueReport, tableReport, checkInReport)
    }

    /// Rows in time order (then by id); rows without a readable time last.
    static func byTime(_ column: String) -> (LegacyRow, LegacyRow) -> Bool {
        { a, b in
            let left = LegacyValues.timestamp(a[column])?.millisecondsSince1970 ?? .max
            let right = LegacyValues.timestamp(b[column])?.millisecondsSince1970 ?? .max
            return (left, a.id) < (right, b.id)
        }
    }

    // MARK: Clans

    func importClans(
        _ rows: [LegacyRow],
        members: [String: [LegacyRow]],
        allMembers: [LegacyRow],
        _ known: Known
    ) async throws -> (LegacyImportReport.Table, LegacyImportReport.Table) {
        var clanReport = LegacyImportReport.Table(name: "Clan")
        var memberReport = LegacyImportReport.Table(name: "ClanMember")
        var imported: Set<String> = []
        for row in rows.sorted(by: Self.byTime("createdAt")) {
            let id = row.id
            guard EntityKey.isValidID(id), let name = row["name"], let createdAt = LegacyValues.timestamp(row["createdAt"]) else {
                clanReport.skip(id, "invalid id, name or createdAt")
                continue
            }
            guard let leader = row["leaderId"], known.user(leader) else {
                clanReport.skip(id, "leaderId names no imported user")
                continue
            }
            let outcome: Outcome
            if try await runtime.clans.read(id).state.exists {
                outcome = .already
            } else {
                do {
                    _ = try await runtime.sendClan(
                        id,
                        .create(name: name, description: row["description"]),
                        context: CommandContext(principal: Self.user(leader), now: createdAt),
                        commandID: "legacy-clan-\(id)"
                    )
                    outcome = .written
                } catch let error as DomainError {
                    outcome = .refused("refused: \(error.code)")
                }
            }
            clanReport.count(outcome, id)
            if case .refused = outcome { continue }
            imported.insert(id)
            known.state.withLock { _ = $0.clans.insert(id) }

            // Members join as they did: invited by the leader, then answering, at their join time.
            for member in (members[id] ?? []).sorted(by: Self.byTime("joinedAt")) {
                guard let user = member["userId"], known.user(user) else {
                    memberReport.skip(member.id, "userId names no imported user")
                    continue
                }
                guard let role = LegacyValues.enumeration(member["role"], as: ClanRole.self) else {
                    memberReport.skip(member.id, "role is not MEMBER, OFFICER or COLEADER")
                    continue
                }
                if user == leader {
                    memberReport.alreadyImported += 1
                    continue
                }
                let at = LegacyValues.timestamp(member["joinedAt"]) ?? createdAt
                let state = try await runtime.clans.read(id).state
                if state.isMember(user), state.members[user]?.role == role {
                    memberReport.alreadyImported += 1
                    continue
                }
                do {
                    if !state.isMember(user) {
                        let leaderContext = CommandContext(principal: Self.user(leader), now: at)
                        _ = try await runtime.sendClan(id, .invite(userID: user), context: leaderContext, commandID: "legacy-invite-\(member.id)")
                        _ = try await runtime.sendClan(
                            id,
                            .requestToJoin,
                            context: CommandContext(principal: Self.user(user), now: at),
                            commandID: "legacy-join-\(member.id)"
                        )
                    }
                    if role != .member {
                        _ = try await runtime.sendClan(
                            id,
                            .setRole(userID: user, role: role),
                            context: CommandContext(principal: Self.user(leader), now: at),
                            commandID: "legacy-role-\(member.id)"
                        )
                    }
                    memberReport.written += 1
                } catch let error as DomainError {
                    memberReport.skip(member.id, "refused: \(error.code)")
                }
            }
        }
        for row in allMembers where !imported.contains(row["clanId"] ?? "") { memberReport.skip(row.id, "clanId names no imported clan") }
        return (clanReport, memberReport)
    }

    // MARK: Territories

    func importTerritories(_ rows: [LegacyRow], _ known: Known) async throws -> LegacyImportReport.Table {
        var report = LegacyImportReport.Table(name: "Territory")
        for row in rows.sorted(by: Self.byTime("createdAt")) {
            let id = row.id
            guard EntityKey.isValidID(id), let createdAt = LegacyValues.timestamp(row["createdAt"]) else {
                report.skip(id, "invalid id or createdAt")
                continue
            }
            guard let venue = row["venueId"], known.venue(venue) != nil else {
                report.skip(id, "venueId names no imported venue")
                continue
            }
            var outcome: Outcome = .already
            if try await !runtime.territories.read(id).state.exists {
                do {
                    _ = try await runtime.createTerritory(
                        id,
                        venueID: venue,
                        name: nil,
                        context: CommandContext(principal: .system, now: createdAt),
                        commandID: "legacy-territory-\(id)"
                    )
                    outcome = .written
                } catch let error as DomainError {
                    report.skip(id, "refused: \(error.code)")
                    continue
                }
            }
            if let owner = row["ownerId"] {
                guard known.user(owner) else {
                    report.note("holder dropped: ownerId names no imported user")
                    report.count(outcome, id)
                    continue
                }
                guard let level = LegacyValues.int(row["level"]), let score = LegacyValues.int(row["defenseScore"]) else {
                    report.skip(id, "level or defenseScore is not a number")
                    continue
                }
                var clan = row["clanId"]
                if let candidate = clan, !known.clan(candidate) {
                    report.note("clanId dropped: names no imported clan")
                    clan = nil
                }
                let restored = try await send(
                    runtime.territories,
                    id,
                    .restore(ownerID: owner, clanID: clan, level: level, defenseScore: score),
                    at: LegacyValues.timestamp(row["updatedAt"]) ?? createdAt,
                    cause: Self.cause("Territory", 1)
                )
                if case .refused(let reason) = restored {
                    report.note("holder not restored (\(reason))")
                } else if restored == .written {
                    outcome = .written
                }
            }
            report.count(outcome, id)
        }
        return report
    }

    // MARK: Matches

    func importMatches(
        _ rows: [LegacyRow],
        events: [String: [LegacyRow]],
        allEvents: [LegacyRow],
        _ known: Known
    ) async throws -> (LegacyImportReport.Table, LegacyImportReport.Table) {
        var matchReport = LegacyImportReport.Table(name: "Match")
        var eventReport = LegacyImportReport.Table(name: "MatchEvent")
        var imported: Set<String> = []
        for row in rows.sorted(by: Self.byTime("createdAt")) {
            let id = row.id
            guard EntityKey.isValidID(id), let createdAt = LegacyValues.timestamp(row["createdAt"]) else {
                matchReport.skip(id, "invalid id or createdAt")
                continue
            }
            guard let playerA = row["playerAId"], let playerB = row["playerBId"], known.user(playerA), known.user(playerB) else {
                matchReport.skip(id, "a player names no imported user")
                continue
            }
            guard let status = LegacyValues.enumeration(row["status"], as: MatchStatus.self) else {
                matchReport.skip(id, "status is not SCHEDULED, LIVE, COMPLETED or CANCELLED")
                continue
            }
            guard let scoreA = LegacyValues.int(row["scoreA"]), let scoreB = LegacyValues.int(row["scoreB"]), scoreA >= 0, scoreB >= 0,
                scoreA + scoreB < Match.maximumRace * 2
            else {
                matchReport.skip(id, "scores are not small whole numbers")
                continue
            }
            if status == .completed && scoreA == scoreB {
                matchReport.skip(id, "a completed match without a winner (equal scores)")
                continue
            }
            let started = LegacyValues.timestamp(row["startedAt"]) ?? createdAt
            let ended = LegacyValues.timestamp(row["endedAt"]) ?? LegacyValues.timestamp(row["updatedAt"]) ?? started
            var venue = row["venueId"]
            var table = row["tableId"]
            if let candidate = venue, known.venue(candidate) == nil {
                matchReport.note("venueId and tableId dropped: names no imported venue")
                venue = nil
                table = nil
            }
            if let candidate = table, let venue, try await !runtime.venues.read(venue).state.tables.contains(where: { $0.id == candidate }) {
                matchReport.note("tableId dropped: not a table of the venue")
                table = nil
            }
            if row["tournamentId"] != nil { matchReport.note("tournamentId not kept: a bracket is not imported") }
            // The legacy data has no race and no game: the race is what the score says (or one
            // more than it, at least 5, for a match still to be played), the game 8-ball.
            let raceTo = status == .completed ? max(scoreA, scoreB) : max(5, max(scoreA, scoreB) + 1)
            let terms = Match.Terms(
                playerA: playerA,
                playerB: playerB,
                gameType: .eightBall,
                raceTo: raceTo,
                venueID: venue,
                tableID: table,
                scorer: playerA
            )
            // The commands, numbered for the cause: create, start, the commentary, the racks
            // (the loser's first, so the race ends with the last), and the end.
            // Each with the MatchEvent row it comes from, if any (its outcome is that row's).
            var commands: [(Match.Command, Timestamp, String?)] = [(.create(terms), createdAt, nil)]
            if status != .scheduled && status != .cancelled || (status == .cancelled && row["startedAt"] != nil) {
                commands.append((.start, started, nil))
            }
            for event in (events[id] ?? []).sorted(by: Self.byTime("ts")) {
                guard LegacyValues.enumeration(event["type"], as: MatchEventType.self) == .commentary else {
                    eventReport.skip(
                        event.id,
                        LegacyValues.enumeration(event["type"], as: MatchEventType.self) == nil
                            ? "type is not a MatchEventType" : "not imported: a legacy SHOT, FOUL, RACK or SYSTEM row holds no referee observation"
                    )
                    continue
                }
                guard status == .live || status == .completed || (status == .cancelled && row["startedAt"] != nil) else {
                    eventReport.skip(event.id, "commentary of a match that never started")
                    continue
                }
                guard let text = Self.commentary(event["payload"]) else {
                    eventReport.skip(event.id, "payload has no text")
                    continue
                }
                commands.append((.commentary(text), LegacyValues.timestamp(event["ts"]) ?? started, event.id))
            }
            if status == .live || status == .completed {
                let winnerFirst = scoreA >= scoreB
                let racks =
                    Array(repeating: Match.Side.b, count: winnerFirst ? scoreB : 0) + Array(repeating: Match.Side.a, count: scoreA)
                    + Array(repeating: Match.Side.b, count: winnerFirst ? 0 : scoreB)
                for (index, side) in racks.enumerated() {
                    commands.append(
                        (.recordRack(winner: side, breaker: nil), index == racks.count - 1 && status == .completed ? ended : started, nil)
                    )
                }
            }
            if status == .cancelled { commands.append((.cancel(reason: "cancelled on the legacy platform"), ended, nil)) }
            var outcome: Outcome = .already
            for (number, (command, time, eventID)) in commands.enumerated() {
                let sent = try await send(runtime.matches, id, command, at: time, cause: Self.cause("Match", number + 1))
                if let eventID { eventReport.count(sent, eventID) }
                if case .refused = sent {
                    outcome = number == 0 ? sent : outcome
                    if number > 0 { matchReport.note("a command of the match was refused (\(sent))") }
                    if number == 0 { break }
                    continue
                }
                if sent == .written { outcome = .written }
            }
            matchReport.count(outcome, id)
            if case .refused = outcome { continue }
            imported.insert(id)
        }
        for row in allEvents where !imported.contains(row["matchId"] ?? "") { eventReport.skip(row.id, "matchId names no imported match") }
        return (matchReport, eventReport)
    }

    /// A commentary line from a legacy payload: `{"text": …}` (or `message`), or a JSON string.
    static func commentary(_ payload: String?) -> String? {
        guard let payload, let value = try? JSONSerialization.jsonObject(with: Data(payload.utf8), options: .fragmentsAllowed) else { return nil }
        let text = (value as? String) ?? ((value as? [String: Any])?["text"] as? String) ?? ((value as? [String: Any])?["message"] as? String)
        guard let text = text?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else { return nil }
        return text
    }

    // MARK: Tournaments

    func importTournaments(
        _ rows: [LegacyRow],
        participants: [String: [LegacyRow]],
        allParticipants: [LegacyRow],
        _ known: Known
    ) async throws -> (LegacyImportReport.Table, LegacyImportReport.Table) {
        var tournamentReport = LegacyImportReport.Table(name: "Tournament")
        var participantReport = LegacyImportReport.Table(name: "TournamentParticipant")
        var imported: Set<String> = []
        for row in rows.sorted(by: Self.byTime("createdAt")) {
            let id = row.id
            guard EntityKey.isValidID(id), let name = row["name"], let createdAt = LegacyValues.timestamp(row["createdAt"]),
                let startTime = LegacyValues.timestamp(row["startTime"])
            else {
                tournamentReport.skip(id, "invalid id, name, createdAt or startTime")
                continue
            }
            guard let status = LegacyValues.enumeration(row["status"], as: TournamentStatus.self) else {
                tournamentReport.skip(id, "status is not UPCOMING, LIVE, COMPLETED or CANCELLED")
                continue
            }
            guard status == .upcoming || status == .cancelled else {
                tournamentReport.skip(
                    id,
                    "not imported: a \(status.rawValue) tournament's bracket is not in the legacy data (its matches are imported)"
                )
                continue
            }
            var venue = row["venueId"]
            if let candidate = venue, known.venue(candidate) == nil {
                tournamentReport.note("venueId dropped: names no imported venue")
                venue = nil
            }
            let players = (participants[id] ?? []).sorted(by: Self.byTime("createdAt"))
            var terms = Tournament.Terms(
                name: name,
                venueID: venue,
                format: .singleElimination,
                maxParticipants: min(512, max(16, players.count)),
                seeding: players.contains { $0["seed"] != nil } ? .manual : .rating
            )
            terms.rewards = row["rewards"].flatMap { try? JSONDecoder().decode(JSONValue.self, from: Data($0.utf8)) }
            // A start time already past is not scheduled (the tournament would start at once): the
            // director starts it by hand.
            if status == .upcoming, startTime.date > now() {
                terms.startsAt = startTime
            } else if status == .upcoming {
                tournamentReport.note("startTime passed: not scheduled, started by hand")
            }
            // Created at its legacy time, unless its start is further from it than a tournament
            // may be announced ahead (a year): then at the import's.
            var created = createdAt
            if let startsAt = terms.startsAt, startsAt.millisecondsSince1970 - createdAt.millisecondsSince1970 > 365 * 86_400_000 {
                created = Timestamp(now())
                tournamentReport.note("created at the import: its start is more than a year after its legacy creation")
            }
            var outcome: Outcome
            if try await runtime.tournaments.read(id).state.exists {
                outcome = .already
            } else {
                do {
                    _ = try await runtime.sendTournament(
                        id,
                        .create(terms, staff: false),
                        context: CommandContext(principal: .system, now: created),
                        commandID: "legacy-tournament-\(id)"
                    )
                    outcome = .written
                } catch let error as DomainError {
                    outcome = .refused("refused: \(error.code)")
                }
            }
            tournamentReport.count(outcome, id)
            if case .refused = outcome { continue }
            imported.insert(id)
            known.state.withLock { _ = $0.tournaments.insert(id) }
            for (number, participant) in players.enumerated() {
                guard let user = participant["userId"], known.user(user) else {
                    participantReport.skip(participant.id, "userId names no imported user")
                    continue
                }
                participantReport.count(
                    try await send(
                        runtime.tournaments,
                        id,
                        .register(userID: user, staff: true),
                        at: LegacyValues.timestamp(participant["createdAt"]) ?? createdAt,
                        cause: Self.cause("TournamentParticipant", number + 1)
                    ),
                    participant.id
                )
            }
            if status == .cancelled {
                _ = try await send(
                    runtime.tournaments,
                    id,
                    .cancel(reason: "cancelled on the legacy platform", staff: true),
                    at: LegacyValues.timestamp(row["updatedAt"]) ?? createdAt,
                    cause: Self.cause("Tournament", 1)
                )
            }
        }
        for row in allParticipants where !imported.contains(row["tournamentId"] ?? "") {
            participantReport.skip(row.id, "tournamentId names no imported tournament")
        }
        return (tournamentReport, participantReport)
    }

    // MARK: Records

    func importWallets(_ rows: [LegacyRow], _ known: Known) async throws -> LegacyImportReport.Table {
        var report = LegacyImportReport.Table(name: "Wallet")
        for row in rows {
            guard let user = row["userId"], known.user(user) else {
                report.skip(row.id, "userId names no imported user")
                continue
            }
            guard let chain = row["chain"]?.lowercased(), ["solana", "ethereum", "polygon", "bitcoin"].contains(chain), let address = row["address"],
                (1...128).contains(address.utf8.count)
            else {
                report.skip(row.id, "chain or address not one a wallet here has")
                continue
            }
            if try await storage.wallets(of: user).contains(where: { $0.id == row.id }) {
                report.alreadyImported += 1
                continue
            }
            // Legacy links were never proven here: unverified, as a link on the user's word is.
            let stored = try await storage.insertWallet(
                WalletRecord(id: row.id, chain: chain, address: address, verified: false),
                userID: user,
                limit: 10,
                at: LegacyValues.timestamp(row["createdAt"])?.date ?? now()
            )
            if stored { report.written += 1 } else { report.skip(row.id, "address linked already, or the user has 10 wallets") }
        }
        return report
    }

    func importAchievements(_ rows: [LegacyRow], keys: [String: String], _ known: Known) async throws -> LegacyImportReport.Table {
        var report = LegacyImportReport.Table(name: "UserAchievement")
        for row in rows {
            guard let user = row["userId"], known.user(user) else {
                report.skip(row.id, "userId names no imported user")
                continue
            }
            guard let achievement = row["achievementId"].flatMap({ keys[$0] }).flatMap(Achievement.init(rawValue:)) else {
                report.skip(row.id, "no such achievement here")
                continue
            }
            let awarded = try await storage.award(achievement, to: user, at: LegacyValues.timestamp(row["earnedAt"])?.date ?? now())
            if awarded { report.written += 1 } else { report.alreadyImported += 1 }
        }
        return report
    }

    func importNotifications(_ rows: [LegacyRow], _ known: Known) async throws -> LegacyImportReport.Table {
        var report = LegacyImportReport.Table(name: "Notification")
        for row in rows {
            guard let user = row["userId"], known.user(user) else {
                report.skip(row.id, "userId names no imported user")
                continue
            }
            guard let type = row["type"], !type.isEmpty, type.count <= 64, let createdAt = LegacyValues.timestamp(row["createdAt"]) else {
                report.skip(row.id, "invalid type or createdAt")
                continue
            }
            var payload: [String: String] = [:]
            if let text = row["payload"], let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] {
                for (key, value) in object {
                    payload[key] =
                        (value as? String)
                        ?? (try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys])).map {
                            String(decoding: $0, as: UTF8.self)
                        }
                }
            }
            // No channel: history is not sent again by email or push.
            let stored = try await storage.insertNotifications([
                NotificationRecord(id: "legacy-\(row.id)", userID: user, type: type, payload: payload, createdAt: createdAt.date)
            ])
            if stored.isEmpty {
                report.alreadyImported += 1
                continue
            }
            if LegacyValues.bool(row["read"]) == true { _ = try await storage.markNotificationsRead(of: user, id: "legacy-\(row.id)") }
            report.written += 1
        }
        return report
    }
}
