import DojoDomain
import NIOCore

/// The server's messages (docs/protocol.md), written as complete text frames.
enum Messages {
    static let serverVersion = "dojopool/0.5"

    static func frame(_ body: (inout JSONWriter) -> Void) -> ByteBuffer {
        var writer = JSONWriter(capacity: 160)
        writer.beginObject()
        body(&writer)
        writer.endObject()
        return Wire.frame(Wire.text, writer.bytes)
    }

    static func hello(connectionID: String, configuration: GatewayConfiguration, principal: Principal?, device: DeviceBinding? = nil) -> ByteBuffer {
        frame { w in
            w.member("type", "hello")
            w.member("connectionId", connectionID)
            w.member("server", serverVersion)
            w.member("heartbeatSeconds", configuration.heartbeatSeconds)
            w.key("limits")
            w.beginObject()
            w.member("maxMessageBytes", configuration.maximumMessageBytes)
            w.member("maxSubscriptions", configuration.maximumSubscriptions)
            w.member("messagesPerSecond", configuration.messagesPerSecond)
            w.member("messageBurst", configuration.messageBurst)
            w.member("outboundMessages", configuration.outboundMessages)
            w.endObject()
            identity(&w, principal)
            Self.device(&w, device)
        }
    }

    static func identity(_ w: inout JSONWriter, _ principal: Principal?) {
        w.key("user")
        if let user = principal?.userID { w.string(user) } else { w.raw("null".utf8) }
        if let principal { w.member("role", principal.role.rawValue) }
    }

    static func device(_ w: inout JSONWriter, _ device: DeviceBinding?) {
        guard let device else { return }
        w.key("device")
        w.beginObject()
        w.member("id", device.id)
        w.member("venueId", device.venueID)
        w.member("tableId", device.tableID)
        w.endObject()
    }

    static func requestID(_ w: inout JSONWriter, _ id: [UInt8]?) {
        if let id {
            w.key("id")
            w.raw(id)
        }
    }

    static func ack(requestID id: [UInt8]?, _ body: (inout JSONWriter) -> Void = { _ in }) -> ByteBuffer {
        frame { w in
            w.member("type", "ack")
            requestID(&w, id)
            body(&w)
        }
    }

    static func error(requestID id: [UInt8]?, code: String, message: String, room: String? = nil, retryAfterMilliseconds: Int? = nil) -> ByteBuffer {
        frame { w in
            w.member("type", "error")
            requestID(&w, id)
            w.member("code", code)
            w.member("message", message)
            if let room { w.member("room", room) }
            if let retryAfterMilliseconds { w.member("retryAfterMs", retryAfterMilliseconds) }
        }
    }

    /// A reliable room message: `{"type":"event","room","seq","epoch","eventType"?,"event"}`.
    static func event(room: String, seq: Int64, epoch: String, eventType: String?, event: some Sequence<UInt8>) -> ByteBuffer {
        frame { w in
            w.member("type", "event")
            w.member("room", room)
            w.member("seq", seq)
            w.member("epoch", epoch)
            if let eventType { w.member("eventType", eventType) }
            w.key("event")
            w.raw(event)
        }
    }

    static func snapshot(room: String, seq: Int64, epoch: String, recovered: Bool?, state: [UInt8]?) -> ByteBuffer {
        frame { w in
            w.member("type", "snapshot")
            w.member("room", room)
            w.member("seq", seq)
            w.member("epoch", epoch)
            if let recovered { w.member("recovered", recovered) }
            w.key("state")
            w.raw(state ?? Array("null".utf8))
        }
    }

    static func lossyFrame(room: String, data: some Sequence<UInt8>) -> ByteBuffer {
        frame { w in
            w.member("type", "frame")
            w.member("room", room)
            w.key("data")
            w.raw(data)
        }
    }

    /// `{"type":"notice","room":…,"entity":"challenge:…","eventType":…,"view":{…}}`: an entity's
    /// state in a room that is not its own.
    static func notice(room: String, entity: String, eventType: String, view: [UInt8]) -> ByteBuffer {
        frame { w in
            w.member("type", "notice")
            w.member("room", room)
            w.member("entity", entity)
            w.member("eventType", eventType)
            w.key("view")
            w.raw(view)
        }
    }

    /// The most member states one `presence` message carries (the first by user id).
    static let maximumPresenceStates = 200

    static func presence(room: String, count: Int, anonymous: Int, joined: [String], left: [String], states: [String: String] = [:]) -> ByteBuffer {
        frame { w in
            w.member("type", "presence")
            w.member("room", room)
            w.member("count", count)
            w.member("anonymous", anonymous)
            w.key("joined")
            w.beginArray()
            for user in joined { w.string(user) }
            w.endArray()
            w.key("left")
            w.beginArray()
            for user in left { w.string(user) }
            w.endArray()
            w.key("states")
            w.beginObject()
            for (user, state) in states.sorted(by: { $0.key < $1.key }).prefix(maximumPresenceStates) { w.member(user, state) }
            w.endObject()
        }
    }
}
