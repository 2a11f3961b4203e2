import DojoStorage

extension Runtime {
    /// Keeps the frames a shot of `matchID` was read from (the compact JSON of `ShotFrames`), for a
    /// replay of its ruling.
    public func keepShotFrames(matchID: String, shotID: String, frames: [UInt8]) async throws {
        try await environment.storage.keepShotFrames(matchID: matchID, shotID: shotID, frames: frames, at: environment.now())
    }
}
