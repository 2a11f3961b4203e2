import NIOEmbedded
import Testing

@testable import DojoGateway

/// The Engine.IO 4 and Socket.IO 5 framings, read and written without a server.
@Suite("Socket.IO packets")
struct SocketIOPacketTests {
    func parse(_ text: String) -> SocketIO.ClientPacket { SocketIO.parse(Array(text.utf8)[...]) }

    func invalid(_ packet: SocketIO.ClientPacket) -> Bool {
        if case .invalid = packet { return true }
        return false
    }

    @Test("Engine.IO packets: the probe, pongs, upgrade, noop, close; bad types refused")
    func engineIO() {
        #expect(parse("2probe") == .ping(probe: true))
        #expect(parse("2") == .ping(probe: false))
        #expect(parse("3") == .pong)
        #expect(parse("5") == .upgrade)
        #expect(parse("6") == .noop)
        #expect(parse("1") == .close)
        #expect(invalid(parse("0{}")), "a client's open packet was accepted")
        #expect(invalid(parse("9")), "type 9 was accepted")
        #expect(invalid(parse("")), "an empty packet was accepted")
    }

    @Test("CONNECT: the namespace and the auth token")
    func connect() {
        #expect(parse("40") == .connect(namespace: "/", token: nil))
        #expect(parse(#"40{"token":"abc"}"#) == .connect(namespace: "/", token: "abc"))
        #expect(parse(#"40/admin,{"token":"abc"}"#) == .connect(namespace: "/admin", token: "abc"))
        #expect(parse("40/admin") == .connect(namespace: "/admin", token: nil))
        #expect(parse(#"40{"other":1}"#) == .connect(namespace: "/", token: nil))
        #expect(invalid(parse("40{not json")), "a malformed CONNECT was accepted")
        #expect(parse("41") == .disconnect(namespace: "/"))
    }

    @Test("EVENT: the name, the argument's bytes, the ack id; malformed ones refused")
    func event() {
        #expect(
            parse(#"42["subscribe",{"room":"match:m1"}]"#)
                == .event(namespace: "/", name: "subscribe", argument: Array(#"{"room":"match:m1"}"#.utf8)[...], ack: nil)
        )
        if case .event(_, "ping", nil, 12) = parse(#"4212["ping"]"#) {} else { Issue.record("an event without argument, with an ack") }
        if case .event("/x", "a", _, 3) = parse(#"42/x,3["a",{}]"#) {} else { Issue.record("a namespaced event with an ack") }
        #expect(invalid(parse("42not json")), "a malformed event was accepted")
        #expect(invalid(parse("42[1,2]")), "an event named by a number was accepted")
        #expect(invalid(parse("42{}")), "an event that is not an array was accepted")
        #expect(invalid(parse("42/x")), "an event without a payload was accepted")
        #expect(parse(#"451-["subscribe",{"_placeholder":true,"num":0}]"#) == .binary(ack: nil))
        #expect(parse(#"451-7["subscribe",{"_placeholder":true,"num":0}]"#) == .binary(ack: 7))
        #expect(parse("43[]") == .ack)
    }

    @Test("a client's event becomes the native message, its type and id the session's to set")
    func native() throws {
        let message = try #require(
            SocketIO.nativeMessage(
                name: "subscribe",
                argument: Array(#"{"room":"match:m1","type":"x","id":"y","since":{"seq":3}}"#.utf8)[...],
                ack: 4
            )
        )
        #expect(String(decoding: message, as: UTF8.self) == #"{"type":"subscribe","id":"sio:4","room":"match:m1","since":{"seq":3}}"#)
        #expect(SocketIO.nativeMessage(name: "ping", argument: nil, ack: nil).map { String(decoding: $0, as: UTF8.self) } == #"{"type":"ping"}"#)
        #expect(SocketIO.nativeMessage(name: "ping", argument: Array("null".utf8)[...], ack: nil) != nil)
        #expect(SocketIO.nativeMessage(name: "subscribe", argument: Array("[1]".utf8)[...], ack: 1) == nil)
        #expect(SocketIO.nativeMessage(name: "subscribe", argument: Array("\"room\"".utf8)[...], ack: 1) == nil)
    }

    @Test("a native message becomes an EVENT named by its type, or the ACK of the event it answers")
    func translate() {
        func text(_ json: String) -> String? {
            guard case .event(let bytes) = SocketIO.translate(native: Array(json.utf8)[...]) else { return nil }
            return String(decoding: bytes, as: UTF8.self)
        }
        #expect(text(#"{"type":"event","room":"match:m1","seq":2}"#) == #"42["event",{"type":"event","room":"match:m1","seq":2}]"#)
        #expect(text(#"{"type":"ack","id":"sio:7","room":"r"}"#) == #"437[{"type":"ack","id":"sio:7","room":"r"}]"#)
        #expect(text(#"{"type":"error","id":"sio:8","code":"forbidden"}"#) == #"438[{"type":"error","id":"sio:8","code":"forbidden"}]"#)
        // An error the client's own native id names (not `sio:`) stays an event.
        #expect(text(#"{"type":"error","id":"mine","code":"x"}"#) == #"42["error",{"type":"error","id":"mine","code":"x"}]"#)
        #expect(SocketIO.translate(native: Array(#"{"type":"ack","id":"sio:connect","user":"u"}"#.utf8)[...]) == .connectAccepted)
        if case .connectRefused = SocketIO.translate(native: Array(#"{"type":"error","id":"sio:connect","code":"auth.token_expired"}"#.utf8)[...]) {
        } else {
            Issue.record("a refused token is not a CONNECT_ERROR")
        }
    }

    @Test("server packets: open, CONNECT's answer, CONNECT_ERROR, and a polling body")
    func server() {
        #expect(
            String(
                decoding: SocketIO.openPacket(sid: "s1", upgrades: ["websocket"], pingInterval: 20_000, pingTimeout: 20_000, maxPayload: 65_536),
                as: UTF8.self
            )
                == #"0{"sid":"s1","upgrades":["websocket"],"pingInterval":20000,"pingTimeout":20000,"maxPayload":65536}"#
        )
        #expect(String(decoding: SocketIO.connected(sid: "c1"), as: UTF8.self) == #"40{"sid":"c1"}"#)
        #expect(
            String(decoding: SocketIO.connectError(message: "Invalid namespace", namespace: "/x"), as: UTF8.self)
                == #"44/x,{"message":"Invalid namespace"}"#
        )
        #expect(Gateway.joined([Array("2".utf8), Array("42[\"a\"]".utf8)]) == Array("2\u{1E}42[\"a\"]".utf8))
    }

    @Test("a polling buffer past its limit tells the session once, and is writable again once taken")
    func pollingBackPressure() {
        let loop = EmbeddedEventLoop()
        let sink = PollingSink(loop: loop, limit: 10)
        var filled = 0
        sink.filled = { filled += 1 }
        sink.send(Array("42[1]".utf8))
        #expect(sink.isWritable && filled == 0)
        sink.send(Array("42[22]".utf8))
        sink.send(Array("42[333]".utf8))
        #expect(!sink.isWritable && filled == 1)
        #expect(sink.takeAll().count == 3 && sink.isWritable)
    }

    @Test("the polling query: EIO 4 and the polling transport only")
    func query() {
        #expect(Gateway.engineIOQueryRefusal(["EIO": "4", "transport": "polling"]) == nil)
        #expect(
            Gateway.engineIOQueryRefusal(["EIO": "3", "transport": "polling"])?.body
                == Array(#"{"code":5,"message":"Unsupported protocol version: EIO=4 only"}"#.utf8)
        )
        #expect(Gateway.engineIOQueryRefusal(["EIO": "4", "transport": "flash"])?.status == 400)
        #expect(Gateway.engineIOQueryRefusal(["EIO": "4", "transport": "websocket"])?.status == 400)
        #expect(GatewayChannel.socketIOUpgrade("/socket.io/?EIO=4&transport=websocket&sid=abc")?.sid == "abc")
        #expect(GatewayChannel.socketIOUpgrade("/socket.io?EIO=4&transport=websocket")?.query["EIO"] == "4")
        #expect(GatewayChannel.socketIOUpgrade("/v1/ws") == nil)
    }
}
