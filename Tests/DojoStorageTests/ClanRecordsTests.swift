import DojoStorage
import DojoTesting
import Foundation
import SQLKit
import Testing

@Suite("Claims and clan records")
struct ClanRecordsTests {
    @Test(
        "a claim has one owner; a second owner is told who holds it; take-over is compare-and-swap; release only by the owner",
        arguments: Backend.allCases
    )
    func claims(_ backend: Backend) async throws {
        try await withFreshStorage(backend) { storage, _ in
            let t0 = Date(timeIntervalSince1970: 1_800_000_000)
            let first = try await storage.claim("clan.name", "breakers", owner: "k1", at: t0)
            #expect(first == ClaimHolder(owner: "k1", claimedAt: 1_800_000_000_000, taken: true))
            // The same owner again: held, not newly taken (a failure then must not release it).
            #expect(try await storage.claim("clan.name", "breakers", owner: "k1", at: t0.addingTimeInterval(1)).taken == false)
            let second = try await storage.claim("clan.name", "breakers", owner: "k2", at: t0.addingTimeInterval(2))
            #expect(second.owner == "k1" && second.taken == false && second.claimedAt == 1_800_000_000_000)
            // Another scope, another key: independent.
            #expect(try await storage.claim("clan.member", "breakers", owner: "k2", at: t0).taken)
            // A take-over with a stale view of the holder fails; with the current one it succeeds once.
            #expect(try await storage.takeOverClaim("clan.name", "breakers", from: "k1", claimedAt: 1, to: "k2", at: t0) == false)
            #expect(try await storage.takeOverClaim("clan.name", "breakers", from: "k1", claimedAt: second.claimedAt, to: "k2", at: t0) == true)
            #expect(try await storage.takeOverClaim("clan.name", "breakers", from: "k1", claimedAt: second.claimedAt, to: "k3", at: t0) == false)
            #expect(try await storage.claimHolder("clan.name", "breakers")?.owner == "k2")
            try await storage.releaseClaim("clan.name", "breakers", owner: "k1")
            #expect(try await storage.claimHolder("clan.name", "breakers")?.owner == "k2")
            try await storage.releaseClaim("clan.name", "breakers", owner: "k2")
            #expect(try await storage.claimHolder("clan.name", "breakers") == nil)
        }
    }

    @Test("many owners racing for one claim: exactly one takes it", arguments: Backend.allCases)
    func claimRace(_ backend: Backend) async throws {
        try await withFreshStorage(backend) { storage, _ in
            let results = try await withThrowingTaskGroup(of: ClaimHolder.self) { group in
                for owner in 0..<16 { group.addTask { try await storage.claim("clan.member", "u1", owner: "k\(owner)", at: Date()) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(results.filter(\.taken).count == 1)
            #expect(Set(results.map(\.owner)).count == 1)
        }
    }

    @Test("clan rows: a later membership wins whatever order the clans' streams are projected in; a disbanded clan goes", arguments: Backend.allCases)
    func clanRows(_ backend: Backend) async throws {
        try await withFreshStorage(backend) { storage, _ in
            try await seedUsers(["alice", "bob", "carol"], in: storage)
            let t = { (s: Double) in Date(timeIntervalSince1970: 1_800_000_000 + s) }
            try await storage.apply([
                .insertClan(id: "k1", name: "Breakers", description: nil, leaderID: "alice", at: t(0)),
                .putClanMember(clanID: "k1", userID: "alice", role: "COLEADER", joinedAt: t(0)),
                .insertClan(id: "k2", name: "Sharks", description: "x", leaderID: "carol", at: t(0)),
                .putClanMember(clanID: "k2", userID: "carol", role: "COLEADER", joinedAt: t(0)),
            ])
            // Bob joined k1 at 1, left at 2, joined k2 at 3. k2's stream projected first, then k1's.
            try await storage.apply([.putClanMember(clanID: "k2", userID: "bob", role: "MEMBER", joinedAt: t(3))])
            try await storage.apply([
                .putClanMember(clanID: "k1", userID: "bob", role: "MEMBER", joinedAt: t(1)),
                .deleteClanMember(clanID: "k1", userID: "bob"),
            ])
            #expect(try await clanOf("bob", storage) == "k2")
            // Replayed twice (a consumer redelivery): the same rows.
            try await storage.apply([.putClanMember(clanID: "k2", userID: "bob", role: "MEMBER", joinedAt: t(3))])
            try await storage.apply([
                .updateClanMemberRole(clanID: "k2", userID: "bob", role: "OFFICER"), .updateClanLeader(id: "k2", leaderID: "bob", at: t(4)),
            ])
            let list = try await storage.listClans(search: nil, after: nil, limit: 10)
            #expect(list.map(\.id) == ["k1", "k2"] && list.map(\.memberCount) == [1, 2] && list[1].leaderId == "bob")
            #expect(try await storage.listClans(search: "SHAR", after: nil, limit: 10).map(\.id) == ["k2"])
            #expect(try await storage.listClans(search: "%", after: nil, limit: 10).isEmpty)
            #expect(try await storage.listClans(search: nil, after: "k1", limit: 10).map(\.id) == ["k2"])
            try await storage.apply([.deleteClan(id: "k2")])
            #expect(try await clanOf("bob", storage) == nil)
            // The name is free in the table too.
            try await storage.apply([.insertClan(id: "k3", name: "Sharks", description: nil, leaderID: "bob", at: t(5))])
            #expect(try await storage.listClans(search: nil, after: nil, limit: 10).map(\.id) == ["k1", "k3"])
        }
    }

    private func clanOf(_ user: String, _ storage: any Storage) async throws -> String? {
        try await storage.withSQL { db in
            try await db.select().column("clan_id").from("clan_members").where("user_id", .equal, user).first()?.decode(
                column: "clan_id",
                as: String.self
            )
        }
    }
}
