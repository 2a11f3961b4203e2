import DojoDomain
import DojoStorage
import DojoTesting
import Foundation
import SQLKit
import Testing

@Suite("Profile and settings records")
struct ProfileRecordsTests {
    @Test("profiles, settings, privacy and the prefix search, on both backends", arguments: Backend.allCases)
    func records(_ backend: Backend) async throws {
        try await withFreshStorage(backend) { storage, _ in
            try await seedUsers(["ann", "annie", "bo_b", "bob"], in: storage)
            let now = Date(timeIntervalSince1970: 1_800_000_000)
            try await storage.updateProfile(of: "ann", ProfileChanges(displayName: .some("Ann Breaker"), bio: .some("hi")), at: now)
            try await storage.updateProfile(of: "ann", ProfileChanges(bio: .some(nil)), at: now)
            let ann = try #require(try await storage.profile(of: "ann"))
            #expect(ann.displayName == "Ann Breaker" && ann.bio == nil && ann.isPrivate == false && ann.username == "ann")
            #expect(try await storage.profile(of: "nobody") == nil)

            #expect(try await storage.settings(of: "ann") == SettingsRecord())
            let changed = SettingsRecord(emailNotifications: false, language: "de-CH", timezone: "Europe/Zurich", privacy: "private")
            try await storage.saveSettings(of: "ann", changed, at: now)
            #expect(try await storage.settings(of: "ann") == changed)
            #expect(try await storage.profile(of: "ann")?.isPrivate == true)

            #expect(try await storage.searchProfiles(prefix: "an", limit: 10).map(\.userID) == ["ann", "annie"])
            #expect(try await storage.searchProfiles(prefix: "ANN B", limit: 10).map(\.userID) == ["ann"])
            // `_` and `%` are literal: "bo_" finds bo_b, not bob.
            #expect(try await storage.searchProfiles(prefix: "bo_", limit: 10).map(\.userID) == ["bo_b"])
            #expect(try await storage.searchProfiles(prefix: "%", limit: 10).isEmpty)
            #expect(try await storage.searchProfiles(prefix: "b", limit: 1).count == 1)
        }
    }

    @Test("notifications: stored once by id, newest first with the unread count, read one and all, on both backends", arguments: Backend.allCases)
    func notifications(_ backend: Backend) async throws {
        try await withFreshStorage(backend) { storage, _ in
            try await seedUsers(["nu"], in: storage)
            let t0 = Date(timeIntervalSince1970: 1_800_000_000)
            let records = (0..<3).map { index in
                NotificationRecord(
                    id: "s@\(index):nu:t",
                    userID: "nu",
                    type: "t\(index)",
                    payload: ["n": "\(index)"],
                    createdAt: t0.addingTimeInterval(Double(index))
                )
            }
            #expect(try await storage.insertNotifications(records).count == 3)
            #expect(try await storage.insertNotifications(records).isEmpty)
            var (page, unread) = try await storage.notifications(of: "nu", offset: 0, limit: 2)
            #expect(page.map(\.type) == ["t2", "t1"] && unread == 3 && page.first?.payload == ["n": "2"])
            #expect(try await storage.markNotificationsRead(of: "nu", id: "s@1:nu:t") == 1)
            #expect(try await storage.markNotificationsRead(of: "nu", id: "nope") == 0)
            (page, unread) = try await storage.notifications(of: "nu", offset: 0, limit: 10)
            #expect(unread == 2 && page.first { $0.type == "t1" }?.read == true)
            try await storage.markNotificationsRead(of: "nu", id: nil)
            #expect(try await storage.notifications(of: "nu", offset: 0, limit: 10).unread == 0)
        }
    }

    @Test("collectibles: the catalog (id and token unique), given once, listed per player, on both backends", arguments: Backend.allCases)
    func collectibles(_ backend: Backend) async throws {
        try await withFreshStorage(backend) { storage, _ in
            try await seedUsers(["cu"], in: storage)
            let now = Date(timeIntervalSince1970: 1_800_000_000)
            let cue = Collectible(
                id: "c1",
                contract: "0x1",
                tokenID: "1",
                chain: "solana",
                name: "Cue",
                imageURL: "https://i/c.png",
                rarity: .rare,
                price: 5
            )
            #expect(try await storage.insertCollectible(cue, at: now))
            #expect(try await !storage.insertCollectible(cue, at: now))
            var clone = cue
            clone.id = "c2"
            #expect(try await !storage.insertCollectible(clone, at: now))
            #expect(try await storage.collectible("c1") == cue)
            #expect(try await storage.collectibles() == [cue])
            #expect(try await storage.giveCollectible("c1", to: "cu", at: now))
            #expect(try await !storage.giveCollectible("c1", to: "cu", at: now))
            let owned = try await storage.collectibles(of: "cu")
            #expect(owned.map(\.collectible) == [cue] && owned.first?.acquiredAt == now)
        }
    }
}
