public import Foundation
import SQLKit

extension Storage {
    /// The most shots of one match whose frames are kept: the oldest go first.
    public static var shotFramesPerMatch: Int { 256 }

    /// Keeps the frames of a shot read from a table's camera (the compact JSON of `ShotFrames`),
    /// replacing any kept for the same shot; a match keeps those of its last
    /// ``shotFramesPerMatch`` shots.
    public func keepShotFrames(matchID: String, shotID: String, frames: [UInt8], at now: Date) async throws {
        try await transaction { db in
            try await db.delete(from: "shot_frames").where("match_id", .equal, matchID).where("shot_id", .equal, shotID).run()
            try await db.insert(into: "shot_frames")
                .columns("match_id", "shot_id", "frames", "created_at")
                .values([SQLBind(matchID), SQLBind(shotID), SQLBind(String(decoding: frames, as: UTF8.self)), SQLBind(now.millis)])
                .run()
            try await db.raw(
                """
                DELETE FROM shot_frames WHERE match_id = \(bind: matchID) AND shot_id NOT IN (
                    SELECT shot_id FROM shot_frames WHERE match_id = \(bind: matchID)
                    ORDER BY created_at DESC, shot_id DESC LIMIT \(literal: Self.shotFramesPerMatch))
                """
            ).run()
        }
    }

    /// The frames kept for a shot, nil when none are.
    public func shotFrames(matchID: String, shotID: String) async throws -> [UInt8]? {
        try await withSQL { db in
            let row = try await db.select().column("frames").from("shot_frames")
                .where("match_id", .equal, matchID).where("shot_id", .equal, shotID).first()
            return try row.map { Array(try $0.decode(column: "frames", as: String.self).utf8) }
        }
    }
}

extension Schema {
    /// Migration 18: the frames of the shots read from a table's camera, for a replay.
    @Sendable static func createShotFrames(_ db: any SQLDatabase, _ d: SchemaDialect) async throws {
        try await db.create(table: "shot_frames")
            .column("match_id", type: .text, .notNull)
            .column("shot_id", type: .text, .notNull)
            .column("frames", type: .text, .notNull)
            .column("created_at", type: .bigint, .notNull)
            .primaryKey("match_id", "shot_id")
            .run()
        try await db.create(index: "idx_shot_frames_match").on("shot_frames").column("match_id").column("created_at").run()
    }
}
