import DojoStorage
import DojoTesting
import Foundation
import Testing

@Suite("Outbox pruning")
struct OutboxPruningTests {
    @Test(
        "settled emails and pushes and delivered webhooks are pruned after their retention; pending and dead ones stay",
        arguments: Backend.allCases
    )
    func pruning(_ backend: Backend) async throws {
        try await withFreshStorage(backend) { storage, _ in
            try await seedUsers(["op"], in: storage)
            let t0 = Date(timeIntervalSince1970: 1_800_000_000)
            let records = (1...3).map { NotificationRecord(id: "n\($0)", userID: "op", type: "t", payload: [:], createdAt: t0) }
            _ = try await storage.insertNotifications(records, channels: ["email"], due: t0)
            let claimed = try await storage.claimDeliveries(userID: "op", channel: "email", now: t0, lease: .seconds(60), owner: "me")
            #expect(claimed.count == 3)
            try await storage.settleDeliveries(["n1"], channel: "email", state: "sent", messageID: "m", at: t0)
            try await storage.settleDeliveries(["n2"], channel: "email", state: "skipped", problem: "off", at: t0)
            try await storage.postponeDeliveries(["n3"], channel: "email", until: t0, attempted: true)
            #expect(try await storage.pruneNotificationDeliveries(settledBefore: t0) == 0, "nothing settled before then")
            #expect(try await storage.pruneNotificationDeliveries(settledBefore: t0.addingTimeInterval(3_600)) == 2)
            #expect(try await storage.deliveryStates(of: "n1").isEmpty)
            #expect(try await storage.deliveryStates(of: "n3").first?.state == "pending")

            #expect(
                try await storage.insertPartner(
                    PartnerRecord(
                        id: "pp",
                        name: "P",
                        url: "https://p.example",
                        secret: String(repeating: "s", count: 32),
                        events: ["t.*"],
                        createdAt: t0
                    )
                )
            )
            let now = Date()
            try await storage.queuePartnerDeliveries(
                (1...3).map { PartnerDelivery(partnerID: "pp", stream: "match:s\($0)", sequence: 1, type: "t.x", body: "{}") },
                due: now
            )
            for (index, state) in [(1, "delivered"), (2, "dead")] {
                let delivery = try #require(
                    try await storage.claimPartnerDelivery(partnerID: "pp", stream: "match:s\(index)", now: now, lease: .seconds(60), owner: "me")
                )
                try await storage.settlePartnerDelivery(delivery, state: state, problem: nil, at: now)
            }
            #expect(try await storage.prunePartnerDeliveries(deliveredBefore: now.addingTimeInterval(-60)) == 0)
            #expect(try await storage.prunePartnerDeliveries(deliveredBefore: now.addingTimeInterval(1)) == 1)
            let left = try await storage.partnerDeliveries(of: "pp", state: nil, limit: 10).map(\.state).sorted()
            #expect(left == ["dead", "pending"])
        }
    }
}
