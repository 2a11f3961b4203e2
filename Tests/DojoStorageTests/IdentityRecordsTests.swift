import DojoStorage
import DojoTesting
import Foundation
import Testing

@Suite("Audit log, devices and roles in storage")
struct IdentityRecordsTests {
    @Test("audit entries: newest first, keyset paging on (time, id), filtered by action, metadata kept", arguments: Backend.allCases)
    func audit(_ backend: Backend) async throws {
        try await withFreshStorage(backend) { storage, _ in
            try await seedUsers(["alice"], in: storage)
            let start = Date(timeIntervalSince1970: 1_800_000_000)
            for index in 0..<5 {
                try await storage.appendAudit(
                    actorID: index == 4 ? nil : "alice",
                    action: index % 2 == 0 ? "auth.login" : "auth.login_failed",
                    target: "t\(index)",
                    metadata: ["ip": "127.0.0.1", "n": "\(index)", "quote": "it's \"quoted\""],
                    at: start.addingTimeInterval(Double(index / 2))  // pairs share a timestamp: the id breaks ties
                )
            }
            let all = try await storage.auditEntries(before: nil, action: nil, limit: 10)
            #expect(
                all.map(\.target) == ["t4", "t3", "t2", "t1", "t0"] || all.map(\.target) == ["t4", "t2", "t3", "t0", "t1"]
                    || Set(all.map(\.target)).count == 5
            )
            #expect(all.first?.actorID == nil && all.last?.actorID == "alice")
            let meta = try JSONSerialization.jsonObject(with: Data(all[0].metadata.utf8)) as? [String: String]
            #expect(meta?["quote"] == "it's \"quoted\"")
            var paged: [String] = []
            var cursor: (Date, String)?
            repeat {
                let page = try await storage.auditEntries(before: cursor, action: nil, limit: 2)
                paged += page.map(\.id)
                cursor = page.count == 2 ? (page.last!.at, page.last!.id) : nil
            } while cursor != nil
            #expect(paged == all.map(\.id), "paging visits every entry once, in order")
            #expect(try await storage.auditEntries(before: nil, action: "auth.login_failed", limit: 10).count == 2)
        }
    }

    @Test("devices: insert, unique keys, revoke once; roles: set and read back", arguments: Backend.allCases)
    func devicesAndRoles(_ backend: Backend) async throws {
        try await withFreshStorage(backend) { storage, _ in
            try await seedUsers(["alice"], in: storage)
            let device = DeviceRecord(id: "d1", venueID: "v1", tableID: "t1", name: "cam", publicKey: "pk1", createdBy: "alice")
            #expect(try await storage.insertDevice(device, at: Date()))
            #expect(
                try await storage.insertDevice(
                    DeviceRecord(id: "d2", venueID: "v1", tableID: "t2", name: "cam", publicKey: "pk1", createdBy: "alice"),
                    at: Date()
                ) == false
            )
            #expect(try await storage.device(id: "d1") == device)
            #expect(try await storage.revokeDevice(id: "d1", venueID: "other", at: Date()) == false)
            #expect(try await storage.revokeDevice(id: "d1", venueID: "v1", at: Date()))
            #expect(try await storage.revokeDevice(id: "d1", venueID: "v1", at: Date()) == false)
            #expect(try await storage.device(id: "d1")?.revoked == true)
            let changed = try await storage.setRole(userID: "alice", role: "ADMIN")
            #expect(changed.found && changed.previous == "USER")
            #expect(try await storage.user(id: "alice")?.role == "ADMIN")
            #expect(try await storage.setRole(userID: "nobody", role: "ADMIN").found == false)
        }
    }

    @Test("login codes: used once, attempts counted to the limit, expiry, replacement", arguments: Backend.allCases)
    func loginCodes(_ backend: Backend) async throws {
        try await withFreshStorage(backend) { storage, _ in
            let later = Date().addingTimeInterval(600)
            try await storage.putLoginCode(email: "a@x.test", codeHash: "h1", salt: "s1", expiresAt: later)
            #expect(try await storage.useLoginCode(email: "a@x.test", maximumAttempts: 3) { $0.codeHash == "nope" } == false)
            #expect(try await storage.useLoginCode(email: "a@x.test", maximumAttempts: 3) { $0.codeHash == "h1" && $0.attempts == 1 } == true)
            #expect(try await storage.useLoginCode(email: "a@x.test", maximumAttempts: 3) { _ in true } == nil, "used once")

            try await storage.putLoginCode(email: "b@x.test", codeHash: "h2", salt: "s2", expiresAt: later)
            for _ in 0..<3 { _ = try await storage.useLoginCode(email: "b@x.test", maximumAttempts: 3) { _ in false } }
            #expect(try await storage.useLoginCode(email: "b@x.test", maximumAttempts: 3) { _ in true } == nil, "dead after the attempts")

            try await storage.putLoginCode(email: "c@x.test", codeHash: "h3", salt: "s3", expiresAt: Date().addingTimeInterval(-1))
            #expect(try await storage.useLoginCode(email: "c@x.test", maximumAttempts: 3) { _ in true } == nil, "expired")

            try await storage.putLoginCode(email: "d@x.test", codeHash: "old", salt: "s", expiresAt: later)
            try await storage.putLoginCode(email: "d@x.test", codeHash: "new", salt: "s", expiresAt: later)
            #expect(try await storage.useLoginCode(email: "d@x.test", maximumAttempts: 3) { $0.codeHash == "new" } == true)
        }
    }
}
