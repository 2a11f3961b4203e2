import DojoDomain
import Foundation
import NIOCore

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
    }
}
