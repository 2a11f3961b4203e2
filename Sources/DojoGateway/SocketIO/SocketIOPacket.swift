import DojoDomain

/// The Engine.IO v4 and Socket.IO v5 wire formats, as pure functions (tested without a server).
///
/// Engine.IO packet: a type digit and its data (`4` + a Socket.IO packet, `2` ping, `3` pong, `5`
/// upgrade, `6` noop, `1` close, `0` open); a polling body joins packets with U+001E. Socket.IO
/// packet: a type digit (`0` connect, `1` disconnect, `2` event, `3` ack, `4` connect error, `5`/`6`
/// binary event/ack), then `N-` attachments (binary only), `/namespace,` (not `/`), an ack id, and
/// JSON.
enum SocketIO {
    /// The record separator between packets of a polling body.
    static let separator: UInt8 = 0x1E

    enum EngineType: UInt8 {
        case open = 0x30, close, ping, pong, message, upgrade, noop
    }

    /// A packet a client sent, as the session acts on it.
    enum ClientPacket: Equatable {
        /// Engine.IO: `2probe` on a WebSocket upgrade, or a client's own ping.
        case ping(probe: Bool)
        case pong
        case upgrade
        case noop
        case close
        /// Socket.IO CONNECT to a namespace, with its `auth` object's `token` if any.
        case connect(namespace: String, token: String?)
        case disconnect(namespace: String)
        /// Socket.IO EVENT: its name, its one argument (an object, as written), the ack id.
        case event(namespace: String, name: String, argument: ArraySlice<UInt8>?, ack: Int?)
        /// An ACK from the client (the server asks for none; ignored).
        case ack
        /// Binary attachments: refused (the protocol is JSON).
        case binary(ack: Int?)
        /// Why a packet could not be read.
        case invalid(String)
    }

    /// Reads one Engine.IO packet (text).
    static func parse(_ bytes: ArraySlice<UInt8>) -> ClientPacket {
        guard let first = bytes.first, let type = EngineType(rawValue: first) else {
            return .invalid("an Engine.IO packet starts with its type (0–6)")
        }
        let data = bytes.dropFirst()
        switch type {
        case .ping: return .ping(probe: Array(data) == Array("probe".utf8))
        case .pong: return .pong
        case .upgrade: return .upgrade
        case .noop: return .noop
        case .close: return .close
        case .open: return .invalid("clients do not send open packets")
        case .message: return parseSocketIO(data)
        }
    }

    /// Reads a Socket.IO packet (the data of an Engine.IO message).
    static func parseSocketIO(_ bytes: ArraySlice<UInt8>) -> ClientPacket {
        guard let type = bytes.first, (UInt8(ascii: "0")...UInt8(ascii: "6")).contains(type) else {
            return .invalid("a Socket.IO packet starts with its type (0–6)")
        }
        var rest = bytes.dropFirst()
        if type == UInt8(ascii: "5") || type == UInt8(ascii: "6") {
            // Attachments `N-`, then the rest as for events; the ack id is kept to answer it.
            while let digit = rest.first, digit >= 48, digit <= 57 { rest = rest.dropFirst() }
            guard rest.first == UInt8(ascii: "-") else { return .invalid("a binary packet names its attachments (N-)") }
            rest = rest.dropFirst()
            let (_, afterNamespace) = namespace(rest)
            return .binary(ack: ackID(afterNamespace).id)
        }
        let (space, afterNamespace) = namespace(rest)
        guard let space else { return .invalid("a namespace ends with a comma") }
        let (ack, json) = ackID(afterNamespace)
        switch type {
        case UInt8(ascii: "0"):
            guard !json.isEmpty else { return .connect(namespace: space, token: nil) }
            guard let members = try? JSONScanner.members(of: Array(json)) else {
                return .invalid("the CONNECT payload is an object: {\"token\": \"…\"}")
            }
            let token = members.first { $0.key == "token" }.flatMap {
                JSONScanner.string(json[json.startIndex + $0.value.lowerBound..<json.startIndex + $0.value.upperBound])
            }
            return .connect(namespace: space, token: token)
        case UInt8(ascii: "1"):
            return .disconnect(namespace: space)
        case UInt8(ascii: "2"):
            guard let (name, argument) = eventArguments(json) else {
                return .invalid("an EVENT is a JSON array: [\"name\", {…}]")
            }
            return .event(namespace: space, name: name, argument: argument, ack: ack)
        case UInt8(ascii: "3"):
            return .ack
        default:
            return .invalid("clients do not send CONNECT_ERROR")
        }
    }

    /// `/chat,` → ("/chat", rest); none → ("/", all); an unterminated namespace → (nil, …).
    private static func namespace(_ bytes: ArraySlice<UInt8>) -> (String?, ArraySlice<UInt8>) {
        guard bytes.first == UInt8(ascii: "/") else { return ("/", bytes) }
        guard let comma = bytes.firstIndex(of: UInt8(ascii: ",")) else {
            // `/chat` alone (a CONNECT or DISCONNECT without payload).
            return (String(decoding: bytes, as: UTF8.self), bytes[bytes.endIndex...])
        }
        return (String(decoding: bytes[..<comma], as: UTF8.self), bytes[(comma + 1)...])
    }

    /// The leading ack id (at most 9 digits), and the rest.
    private static func ackID(_ bytes: ArraySlice<UInt8>) -> (id: Int?, rest: ArraySlice<UInt8>) {
        var end = bytes.startIndex
        while end < bytes.endIndex, end - bytes.startIndex < 9, bytes[end] >= 48, bytes[end] <= 57 { end += 1 }
        guard end > bytes.startIndex else { return (nil, bytes) }
        return (Int(String(decoding: bytes[..<end], as: UTF8.self)), bytes[end...])
    }

    /// `["name", arg]`: the name (a string) and the first argument's bytes (nil when absent).
    private static func eventArguments(_ json: ArraySlice<UInt8>) -> (String, ArraySlice<UInt8>?)? {
        let bytes = Array(json)
        guard let elements = try? JSONScanner.elements(of: bytes), let first = elements.first,
            let name = JSONScanner.string(bytes[first])
        else { return nil }
        let argument = elements.count > 1 ? json[(json.startIndex + elements[1].lowerBound)..<(json.startIndex + elements[1].upperBound)] : nil
        return (name, argument)
    }

    // MARK: Server packets

    /// The Engine.IO open packet: the session id and the timings (`maxPayload`: bytes a polling
    /// body or a WebSocket message may hold).
    static func openPacket(sid: String, upgrades: [String], pingInterval: Int, pingTimeout: Int, maxPayload: Int) -> [UInt8] {
        var w = JSONWriter(capacity: 128)
        w.beginObject()
        w.member("sid", sid)
        w.key("upgrades")
        w.beginArray()
        for upgrade in upgrades { w.string(upgrade) }
        w.endArray()
        w.member("pingInterval", pingInterval)
        w.member("pingTimeout", pingTimeout)
        w.member("maxPayload", maxPayload)
        w.endObject()
        return [EngineType.open.rawValue] + w.bytes
    }

    /// `40{"sid":…}`: the namespace `/` is connected.
    static func connected(sid: String) -> [UInt8] {
        var w = JSONWriter(capacity: 48)
        w.beginObject()
        w.member("sid", sid)
        w.endObject()
        return Array("40".utf8) + w.bytes
    }

    /// `44{"message":…,"data":{…}}`: the CONNECT is refused (namespace, or the token).
    static func connectError(message: String, data: ArraySlice<UInt8>? = nil, namespace: String = "/") -> [UInt8] {
        var w = JSONWriter(capacity: 96)
        w.beginObject()
        w.member("message", message)
        if let data {
            w.key("data")
            w.raw(data)
        }
        w.endObject()
        let prefix = namespace == "/" ? "44" : "44\(namespace),"
        return Array(prefix.utf8) + w.bytes
    }

    /// `41`: the server ends the namespace's session.
    static let disconnect = Array("41".utf8)

    /// A native server message (the JSON of `Messages`) as the Socket.IO packet a client reads:
    /// the answer to one of its events (`ack`/`error` with the `id` `sio:N`) is an ACK of `N`
    /// with the message as its argument; any other message is an EVENT named after its `type`
    /// with the message as its argument. The bodies are the native protocol's, unchanged.
    static func translate(native json: ArraySlice<UInt8>) -> Translation {
        guard let type = nativeType(json) else { return .event(Array("42[\"message\",".utf8) + json + [UInt8(ascii: "]")]) }
        if type == "ack" || type == "error", let id = requestID(json, after: type) {
            if id == connectRequestID { return type == "ack" ? .connectAccepted : .connectRefused(json) }
            if let ack = Int(id.dropFirst(requestPrefix.count)) {
                return .event(Array("43\(ack)[".utf8) + json + [UInt8(ascii: "]")])
            }
        }
        return .event(Array("42[\"\(type)\",".utf8) + json + [UInt8(ascii: "]")])
    }

    enum Translation: Equatable {
        /// An Engine.IO message packet to send (`42[…]`, `43N[…]`).
        case event([UInt8])
        /// The answer to the CONNECT's token: accepted, or refused with the native error.
        case connectAccepted
        case connectRefused(ArraySlice<UInt8>)
    }

    /// The request ids the session gives the events it passes on (`sio:N`, N the ack id) and the
    /// CONNECT's token check.
    static let requestPrefix = "sio:"
    static let connectRequestID = "sio:connect"

    /// `{"type":"event",…` → `event` (native messages start with their type).
    static func nativeType(_ json: ArraySlice<UInt8>) -> String? {
        let prefix = Array(#"{"type":""#.utf8)
        guard json.starts(with: prefix) else { return nil }
        let start = json.startIndex + prefix.count
        guard let end = json[start...].firstIndex(of: UInt8(ascii: "\"")) else { return nil }
        return String(decoding: json[start..<end], as: UTF8.self)
    }

    /// The request id right after the type (`{"type":"ack","id":"sio:3",…`), if it is a string.
    static func requestID(_ json: ArraySlice<UInt8>, after type: String) -> String? {
        let prefix = Array(#"{"type":"\#(type)","id":""#.utf8)
        guard json.starts(with: prefix) else { return nil }
        let start = json.startIndex + prefix.count
        guard let end = json[start...].firstIndex(of: UInt8(ascii: "\"")) else { return nil }
        return String(decoding: json[start..<end], as: UTF8.self)
    }

    /// A client's EVENT as the native message the gateway reads: `{"type":name,"id":"sio:N",…}`
    /// with the argument's members (its own `type` and `id` are not the client's to set).
    static func nativeMessage(name: String, argument: ArraySlice<UInt8>?, ack: Int?) -> [UInt8]? {
        var w = JSONWriter(capacity: 64 + (argument?.count ?? 0))
        w.beginObject()
        w.member("type", name)
        if let ack { w.member("id", requestPrefix + String(ack)) }
        if let argument, argument.first != UInt8(ascii: "n") {
            let bytes = Array(argument)
            guard bytes.first == UInt8(ascii: "{"), let members = try? JSONScanner.members(of: bytes) else { return nil }
            for member in members where member.key != "type" && member.key != "id" {
                w.key(member.key)
                w.raw(bytes[member.value])
            }
        }
        w.endObject()
        return w.bytes
    }
}
