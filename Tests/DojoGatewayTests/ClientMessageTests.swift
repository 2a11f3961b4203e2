import Foundation
import Testing

@testable import DojoGateway

@Suite("Client messages, parsed once")
struct ClientMessageTests {
    private func parse(_ text: String, bench: Bool = false) -> (String?, Result<ClientMessage, ClientMessage.Refusal>) {
        let (id, message) = ClientMessage.parse(Array(text.utf8), benchRooms: bench)
        return (id.map { String(decoding: $0, as: UTF8.self) }, message)
    }

    @Test("each message type, with its request id as written")
    func types() throws {
        let (id, ping) = parse(#"{"type":"ping","id":"p-1"}"#)
        #expect(id == #""p-1""#)
        guard case .success(.ping) = ping else {
            Issue.record("\(ping)")
            return
        }
        guard case .success(.auth(let token)) = parse(#"{"type":"auth","token":"abc","id":7}"#).1 else {
            Issue.record("auth")
            return
        }
        #expect(token == "abc")
        guard case .success(.subscribe(let room, let since)) = parse(#"{"type":"subscribe","room":"match:m1","since":{"seq":4,"epoch":"log"}}"#).1
        else {
            Issue.record("subscribe")
            return
        }
        #expect(room == RoomName(.match, "m1") && since == ClientMessage.Since(seq: 4, epoch: "log"))
        guard case .success(.subscribe(_, nil)) = parse(#"{"type":"subscribe","room":"venue:v1","since":null}"#).1 else {
            Issue.record("since null")
            return
        }
        guard case .success(.unsubscribe(let gone)) = parse(#"{"type":"unsubscribe","room":"clan:k1"}"#).1 else {
            Issue.record("unsubscribe")
            return
        }
        #expect(gone == RoomName(.clan, "k1"))
        guard
            case .success(.command(let target, let command, let commandID, let traceparent)) = parse(
                #"{"type":"command","room":"match:m1","command":{"type":"start"},"commandId":"c1","traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}"#
            ).1
        else {
            Issue.record("command")
            return
        }
        #expect(target == RoomName(.match, "m1") && String(decoding: command, as: UTF8.self) == #"{"type":"start"}"# && commandID == "c1")
        #expect(traceparent == "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
        guard case .success(.presence(let stateRoom, let state)) = parse(#"{"type":"presence","room":"match:m1","state":"typing"}"#).1,
            case .success(.presence(_, let cleared)) = parse(#"{"type":"presence","room":"match:m1","state":null}"#).1
        else {
            Issue.record("presence")
            return
        }
        #expect(stateRoom == RoomName(.match, "m1") && state == "typing" && cleared == nil)
        guard case .failure(let refusal) = parse(#"{"type":"presence","room":"match:m1","state":"dancing"}"#).1 else {
            Issue.record("presence with a state outside the set")
            return
        }
        #expect(refusal.code == "presence.invalid_state" && refusal.room == "match:m1")
        guard
            case .success(.publish(_, let data, let lossy)) = parse(#"{"type":"publish","room":"bench:b","data":{"t":1},"lossy":true}"#, bench: true)
                .1
        else {
            Issue.record("publish")
            return
        }
        #expect(String(decoding: data, as: UTF8.self) == #"{"t":1}"# && lossy)
        guard case .success(.frame(let fields)) = parse(#"{"type":"frame","t":10,"balls":[]}"#).1 else {
            Issue.record("frame")
            return
        }
        #expect(fields["t"].map { String(decoding: $0, as: UTF8.self) } == "10")
        guard case .success(.shot(let matchID)) = parse(#"{"type":"shot","shotId":"s","matchId":"m9"}"#).1 else {
            Issue.record("shot")
            return
        }
        #expect(matchID == "m9")
    }

    @Test(
        "every malformed message is refused with its code (and the room, where it names one)",
        arguments: [
            (#"{"type":"ping""#, "invalid_json", nil as String?),
            (#"[1]"#, "invalid_json", nil),
            (#"{"type":"ping","id":{"x":1}}"#, "invalid_id", nil),
            (#"{"type":"ping","id":""# + String(repeating: "x", count: 200) + #""}"#, "invalid_id", nil),
            (#"{"id":1}"#, "invalid_message", nil),
            (#"{"type":7}"#, "invalid_message", nil),
            (#"{"type":"dance"}"#, "unknown_type", nil),
            (#"{"type":"auth"}"#, "invalid_message", nil),
            (#"{"type":"auth","token":""}"#, "invalid_message", nil),
            (#"{"type":"subscribe"}"#, "invalid_message", nil),
            (#"{"type":"subscribe","room":"galaxy:1"}"#, "room.invalid", "galaxy:1"),
            (#"{"type":"subscribe","room":"bench:b"}"#, "room.invalid", "bench:b"),
            (#"{"type":"subscribe","room":"match:m1","since":{"seq":-1}}"#, "invalid_message", "match:m1"),
            (#"{"type":"subscribe","room":"match:m1","since":{"seq":9223372036854775808}}"#, "invalid_message", "match:m1"),
            (#"{"type":"subscribe","room":"match:m1","since":"yesterday"}"#, "invalid_message", "match:m1"),
            (#"{"type":"command","room":"match:m1","command":"start"}"#, "invalid_message", "match:m1"),
            (#"{"type":"publish","room":"match:m1","data":{}}"#, "forbidden", "match:m1"),
        ]
    )
    func refusals(_ text: String, _ code: String, _ room: String?) {
        guard case .failure(let refusal) = parse(text).1 else {
            Issue.record("\(text) was accepted")
            return
        }
        #expect(refusal.code == code, "\(text): \(refusal)")
        #expect(refusal.room == room, "\(text): \(refusal)")
    }
}
