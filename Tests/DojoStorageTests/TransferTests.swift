import DojoDomain
import DojoStorage
import DojoTesting
import Foundation
import SQLKit
import Testing

/// Export, import and copy (docs/operations.md, "Backup, restore and moving to Postgres").
@Suite("Export, import and copy")
struct TransferTests {
    /// A database with a bit of everything: users, settings (booleans, JSON), notifications (JSON),
    /// ratings (doubles), timers (big integers), events with their streams, a snapshot (bytes).
    static func fill(_ storage: any Storage) async throws {
        try await seedUsers(["ann", "bo"], in: storage)
        let now = Date(timeIntervalSince1970: 1_800_000_000.123)
        try await storage.saveSettings(of: "ann", SettingsRecord(emailNotifications: false, language: "de-CH", privacy: "private"), at: now)
        _ = try await storage.insertNotifications(
            [
                NotificationRecord(
                    id: "n1",
                    userID: "bo",
                    type: "challenge.received",
                    payload: ["from": "ann", "note": "ünïcödé \"quoted\""],
                    createdAt: now
                )
            ]
        )
        try await storage.rate([RatedGame(matchID: "g1", recordedAt: now, stream: "match:g1", playerA: "ann", playerB: "bo", winnerIsA: true)])
        try await storage.scheduleTimer(TimerRecord(id: "tm", stream: "match:g1", command: #"{"type":"expire"}"#, dueAt: 1_800_000_123_456), at: now)
        _ = try await storage.append(
            [
                AppendRequest(
                    stream: "match:g1",
                    expectedSequence: 0,
                    events: (1...3).map { NewEvent(type: "t\($0)", payload: #"{"n":\#($0),"s":"é"}"#) }
                ),
                AppendRequest(stream: "venue:v", expectedSequence: 0, events: [NewEvent(type: "v", payload: "{}")]),
            ],
            at: now
        )
        try await storage.saveSnapshot(Snapshot(stream: "match:g1", sequence: 3, formatVersion: 1, state: [0, 1, 2, 254, 255], takenAt: now))
    }

    @Test(
        "an export imported into an empty database of either backend is the same database: counts, checksums, streams, and what the server reads",
        arguments: [(Backend.sqlite, Backend.postgres), (.postgres, .sqlite), (.sqlite, .sqlite)]
    )
    func roundTrip(_ from: Backend, _ to: Backend) async throws {
        try await withFreshStorage(from) { source, _ in
            try await Self.fill(source)
            let directory = URL(fileURLWithPath: try TestServices.temporaryDirectory()).appendingPathComponent("export")
            let manifest = try await DataTransfer.export(source, to: directory)
            #expect(manifest.tables.first { $0.name == "events" }?.rows == 4 && manifest.tables.first { $0.name == "users" }?.rows == 2)
            #expect(manifest.tables.firstIndex { $0.name == "users" }! < manifest.tables.firstIndex { $0.name == "notifications" }!, "parents first")
            #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("events.ndjson").path))

            try await withFreshStorage(to) { target, _ in
                try await DataTransfer.import(directory, into: target, force: false)
                let after = try await DataTransfer.checksums(target)
                #expect(
                    after.tables.map(\.sha256) == manifest.tables.map(\.sha256)
                        || Set(after.tables.map(\.sha256)) == Set(manifest.tables.map(\.sha256))
                )
                // What the server reads back.
                #expect(try await target.readEvents(stream: "match:g1", after: 0, limit: 10).map(\.type) == ["t1", "t2", "t3"])
                #expect(try await target.loadSnapshot(stream: "match:g1")?.state == [0, 1, 2, 254, 255])
                let settings = try await target.settings(of: "ann")
                #expect(settings.privacy == "private" && settings.emailNotifications == false && settings.language == "de-CH")
                #expect(try await target.notifications(of: "bo", offset: 0, limit: 5).page.first?.payload["note"] == "ünïcödé \"quoted\"")
                #expect(try await target.timers(of: "match:g1").first?.dueAt == 1_800_000_123_456)
                let appended = try await target.append(
                    [AppendRequest(stream: "match:g1", expectedSequence: 3, events: [NewEvent(type: "t4", payload: "{}")])],
                    at: Date()
                )
                #expect((try? appended[0].get())?.lastSequence == 4, "the stream goes on where it was")

                // A second import refuses a database that holds users and events, unless forced.
                await #expect(throws: TransferError.self) { try await DataTransfer.import(directory, into: target, force: false) }
                try await DataTransfer.import(directory, into: target, force: true)
                #expect(try await target.readEvents(stream: "match:g1", after: 0, limit: 10).count == 3)
            }
        }
    }

    @Test("a damaged export is refused: a changed value, a missing row, a manifest of another format; an export needs an empty directory")
    func damage() async throws {
        try await withFreshStorage(.sqlite) { source, _ in
            try await Self.fill(source)
            let directory = URL(fileURLWithPath: try TestServices.temporaryDirectory()).appendingPathComponent("export")
            _ = try await DataTransfer.export(source, to: directory)
            await #expect(throws: TransferError.self) { try await DataTransfer.export(source, to: directory) }

            let events = directory.appendingPathComponent("events.ndjson")
            let original = try String(contentsOf: events, encoding: .utf8)
            try original.replacingOccurrences(of: "\"t2\"", with: "\"t9\"").write(to: events, atomically: true, encoding: .utf8)
            try await withFreshStorage(.sqlite) { target, _ in
                let changed = await #expect(throws: TransferError.self) { try await DataTransfer.import(directory, into: target, force: false) }
                #expect(changed?.description.contains("events: checksum differs") == true, "\(changed?.description ?? "")")
            }
            try String(original.split(separator: "\n").dropLast().joined(separator: "\n") + "\n").write(to: events, atomically: true, encoding: .utf8)
            try await withFreshStorage(.sqlite) { target, _ in
                let short = await #expect(throws: TransferError.self) { try await DataTransfer.import(directory, into: target, force: false) }
                #expect(short?.description.contains("events.ndjson has 3 rows, the manifest says 4") == true, "\(short?.description ?? "")")
                let left = try await target.readEvents(stream: "match:g1", after: 0, limit: 10)
                #expect(left.isEmpty, "nothing is left of a refused import")
            }
            try #"{"format":"other","formatVersion":1}"#.write(
                to: directory.appendingPathComponent("manifest.json"),
                atomically: true,
                encoding: .utf8
            )
            try await withFreshStorage(.sqlite) { target, _ in
                await #expect(throws: (any Error).self) { try await DataTransfer.import(directory, into: target, force: false) }
            }
        }
    }
}
