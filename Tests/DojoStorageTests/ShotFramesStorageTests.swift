import DojoStorage
import DojoTesting
import Foundation
import Testing

@Suite("The frames kept with shots read from a camera")
struct ShotFramesStorageTests {
    @Test("kept per shot, replaced by a repeat, the last 256 of a match kept, other matches untouched", arguments: Backend.allCases)
    func keep(_ backend: Backend) async throws {
        try await withFreshStorage(backend) { storage, _ in
            let t0 = Date(timeIntervalSince1970: 1_800_000_000)
            try await storage.keepShotFrames(matchID: "m1", shotID: "s0", frames: Array(#"{"frames":[]}"#.utf8), at: t0)
            try await storage.keepShotFrames(matchID: "m1", shotID: "s0", frames: Array(#"{"frames":[[1,[],[]]]}"#.utf8), at: t0)
            #expect(try await storage.shotFrames(matchID: "m1", shotID: "s0") == Array(#"{"frames":[[1,[],[]]]}"#.utf8))
            #expect(try await storage.shotFrames(matchID: "m1", shotID: "nope") == nil)
            try await storage.keepShotFrames(matchID: "m2", shotID: "s0", frames: Array("{}".utf8), at: t0)
            for index in 1...framesKept {
                try await storage.keepShotFrames(
                    matchID: "m1",
                    shotID: "s\(index)",
                    frames: Array("{}".utf8),
                    at: t0.addingTimeInterval(Double(index))
                )
            }
            // s0 is the oldest of 257: gone; the newest 256 stay, and m2's shot too.
            #expect(try await storage.shotFrames(matchID: "m1", shotID: "s0") == nil)
            #expect(try await storage.shotFrames(matchID: "m1", shotID: "s1") != nil)
            #expect(try await storage.shotFrames(matchID: "m1", shotID: "s\(framesKept)") != nil)
            #expect(try await storage.shotFrames(matchID: "m2", shotID: "s0") != nil)
        }
    }
}

/// `Storage.shotFramesPerMatch`.
private let framesKept = 256
