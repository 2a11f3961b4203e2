import DojoDomain
import DojoRuntime
import Foundation
import Logging
import NIOCore
import Synchronization

extension Gateway {
    /// The connection's camera device while its token is valid; else answers `forbidden` (not a
    /// device) or `auth.token_expired` and returns nil.
    func signedInDevice(_ connection: Connection, requestID: [UInt8]?, sending what: String) -> DeviceBinding? {
        guard let device = connection.device else {
            connection.sendNow(
                Messages.error(requestID: requestID, code: "forbidden", message: "\(what) come from camera devices (sign in with a device token)")
            )
            return nil
        }
        if let expiry = connection.principalExpiry, expiry <= .now() {
            connection.sendNow(
                Messages.error(requestID: requestID, code: "auth.token_expired", message: "the device token has expired: send auth with a fresh one")
            )
            return nil
        }
        return device
    }

    /// A camera's frame: `{"type":"frame","t":…,"balls":[[n,x,y],…]}` in table coordinates
    /// (0 ≤ x ≤ 2, 0 ≤ y ≤ 1 to the cushions, up to 0.1 beyond them in a pocket's mouth; ball 0 =
    /// cue … 15), `t` moving forward. Published to the device's
    /// `table:{id}` room as a lossy stream (the newest frame for a slow reader), never logged.
    func frame(_ fields: [String: ArraySlice<UInt8>], from connection: Connection, requestID: [UInt8]?) {
        func refuse(_ code: String, _ message: String) {
            connection.sendNow(Messages.error(requestID: requestID, code: code, message: message))
        }
        guard let device = signedInDevice(connection, requestID: requestID, sending: "frames") else { return }
        let room = RoomName(.table, device.tableID)
        if let named = fields["room"].flatMap(JSONScanner.string), named != room.description {
            return refuse("forbidden", "this device publishes to \(room) only")
        }
        guard let tText = fields["t"], let t = JSONScanner.integer(tText), t >= 0 else {
            return refuse("frame.invalid", "t is the frame's time in milliseconds, a non-negative integer")
        }
        guard t > connection.lastFrameTime else {
            return refuse("frame.invalid", "t must increase from frame to frame (last \(connection.lastFrameTime), got \(t))")
        }
        guard let ballsText = fields["balls"], let balls = try? JSONDecoder().decode([[Double]].self, from: Data(ballsText)) else {
            return refuse("frame.invalid", "balls is an array of [ball, x, y]")
        }
        guard balls.count <= 16 else { return refuse("frame.invalid", "at most 16 balls on a table") }
        var seen = Set<Int>()
        for ball in balls {
            guard ball.count == 3, let number = Int(exactly: ball[0]), (0...15).contains(number), seen.insert(number).inserted else {
                return refuse("frame.invalid", "each ball is [n, x, y] with a distinct n from 0 (cue) to 15")
            }
            guard TableGeometry.nineFoot.accepts(x: ball[1], y: ball[2]) else {
                return refuse(
                    "frame.invalid",
                    "ball \(number) is off the table: −0.1 ≤ x ≤ 2.1, −0.1 ≤ y ≤ 1.1 (a pocket's mouth is past the cushion line)"
                )
            }
        }
        connection.lastFrameTime = t
        var data = JSONWriter(capacity: ballsText.count + 40)
        data.beginObject()
        data.member("t", t)
        data.key("balls")
        data.raw(ballsText)
        data.endObject()
        publishFrame(room: room, data: data.bytes)
        if requestID != nil { connection.sendNow(Messages.ack(requestID: requestID)) }
        detect(TableFrame(t: t, balls: balls.map { .init(ball: Int($0[0]), x: $0[1], y: $0[2]) }), from: connection, device: device)
    }

    /// How far back a camera's clock may go (a new connection starts its frames' `t` anew) before
    /// its detector is taken to have restarted with it.
    static let cameraRestartMilliseconds: Int64 = 5_000

    /// Feeds the frame to the device's shot detector; a shot it finds goes to the match live at the
    /// table, which judges it if it is in `auto` mode (or opens a review), as the camera's own.
    private func detect(_ frame: TableFrame, from connection: Connection, device: DeviceBinding) {
        // One detector per device, kept across its reconnects and fed in place (a copy would
        // copy the shot's recording at every frame). A camera whose clock went back more than a
        // rest's worth restarted: its detector starts anew.
        let (found, counters, before) = detectors.withLock { detectors in
            if let last = detectors[device.id]?.lastFrameTime, frame.t < last - Self.cameraRestartMilliseconds {
                detectors[device.id] = nil
            }
            let before = detectors[device.id]?.counters ?? .init()
            let found = detectors[device.id, default: ShotDetector()].feed(frame)
            return (found, detectors[device.id]?.counters ?? before, before)
        }
        detectorMetrics.record(counters, since: before)
        guard let found else { return }
        var shot = found.observation
        // The frames' start names the shot: the same frames give the same id, so a replay is harmless.
        let shotID = "vision-\(device.id)-\(found.from)"
        shot.shotId = shotID
        func rounded(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }
        let detection = Match.Detection(
            deviceID: device.id,
            from: found.from,
            to: found.to,
            confidence: rounded(found.confidence(onBreak: false)),
            doubts: found.doubts
        )
        let threshold = configuration.visionThreshold
        let judgeable = Match.Judgeable(
            inPlay: found.judgeable(threshold: threshold, onBreak: false),
            onBreak: found.judgeable(threshold: threshold, onBreak: true)
        )
        let kept = found.frames
        let runtime = self.runtime
        let logger = self.logger
        let context = CommandContext(principal: Principal(userID: "device:\(device.id)", role: .user), now: Timestamp(Date()))
        self.tasks.spawn { [shot] in
            do {
                let match = try await runtime.liveMatch(venueID: device.venueID, tableID: device.tableID, named: nil)
                let command = Match.Command.visionShot(shot, detection: detection, judgeable: judgeable, tableID: device.tableID)
                let result = try await runtime.matches.send(match, command, context: context, commandID: shotID)
                let opened = result.events.contains { if case .reviewOpened = $0 { true } else { false } }
                DetectorMetrics.outcome(result.duplicate ? "duplicate" : opened ? "review" : "judged")
                // The frames go with the shot (judged, or waiting for the scorer), for a replay.
                if !result.duplicate { try await runtime.keepShotFrames(matchID: match, shotID: shotID, frames: ShotFrames.encode(kept)) }
            } catch let error as DomainError where error.code == "referee.no_live_match" || error.code == "match.not_auto" {
                DetectorMetrics.outcome(error.code == "match.not_auto" ? "manual" : "no_live_match")
            } catch {
                DetectorMetrics.outcome("refused")
                logger.warning(
                    "a shot read from frames was refused",
                    metadata: ["device.id": "\(device.id)", "shot.id": "\(shotID)", "error": "\(WireError(error).code)"]
                )
            }
        }
    }
}
