import DojoStorage
import DojoTesting
import Foundation
import Testing

@Suite("Refresh tokens in storage")
struct RefreshTokenTests {
    @Test("rotation, reuse revokes the family, expiry, logout", arguments: Backend.allCases)
    func lifecycle(_ backend: Backend) async throws {
        try await withFreshStorage(backend) { storage, _ in
            try await seedUsers(["alice"], in: storage)
            let now = Date()
            let later = now.addingTimeInterval(3_600)
            try await storage.insertRefreshToken(hash: "h1", family: "f1", userID: "alice", expiresAt: later, at: now)
            #expect(try await storage.rotateRefreshToken(hash: "h1", newHash: "h2", expiresAt: later, at: now) == .rotated(userID: "alice"))
            #expect(try await storage.rotateRefreshToken(hash: "h1", newHash: "h3", expiresAt: later, at: now) == .reused)
            #expect(try await storage.rotateRefreshToken(hash: "h2", newHash: "h4", expiresAt: later, at: now) == .invalid)
            #expect(try await storage.rotateRefreshToken(hash: "nope", newHash: "h5", expiresAt: later, at: now) == .invalid)

            try await storage.insertRefreshToken(hash: "e1", family: "f2", userID: "alice", expiresAt: now.addingTimeInterval(-1), at: now)
            #expect(try await storage.rotateRefreshToken(hash: "e1", newHash: "e2", expiresAt: later, at: now) == .invalid)

            try await storage.insertRefreshToken(hash: "l1", family: "f3", userID: "alice", expiresAt: later, at: now)
            #expect(try await storage.revokeRefreshFamily(hash: "l1", at: now))
            #expect(try await storage.rotateRefreshToken(hash: "l1", newHash: "l2", expiresAt: later, at: now) == .invalid)
            #expect(try await storage.revokeRefreshFamily(hash: "unknown", at: now) == false)
        }
    }
}
