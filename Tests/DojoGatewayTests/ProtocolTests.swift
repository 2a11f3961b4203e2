import DojoDomain
import DojoStorage
import Foundation
import NIOCore
import Testing

@testable import DojoGateway

@Suite("Gateway protocol parts")
struct ProtocolTests {
    @Test("an event just committed is framed from the bytes the runtime wrote, the same as one read back from the log and scanned")
    func oneEncoding() {
        let payload = #"{"event":{"started":{"at":1800000000000,"note":"a \"quoted\" {brace}"}},"meta":{"commandId":"c-1"}}"#
        let start = #"{"event":"#.utf8.count
        let end = payload.utf8.count - #","meta":{"commandId":"c-1"}}"#.utf8.count
        let committed = RecordedEvent(
            stream: "match:m1",
            sequence: 7,
            type: "match.started",
            payload: payload,
            recordedAt: .now,
            eventRange: start..<end
        )
        var fromLog = committed
        fromLog.eventRange = nil
        let framed = Gateway.encode(committed, room: "match:m1", epoch: "log", seq: 7)
        #expect(framed == Gateway.encode(fromLog, room: "match:m1", epoch: "log", seq: 7))
        #expect(String(buffer: framed).contains(#""event":{"started":{"at":1800000000000,"note":"a \"quoted\" {brace}"}}"#))
        // A range that does not fit the payload is not trusted.
        var broken = committed
        broken.eventRange = 0..<(payload.utf8.count + 10)
        #expect(Gateway.encode(broken, room: "match:m1", epoch: "log", seq: 7) == framed)
    }

    @Test("the scanner finds top-level members and keeps nested values byte for byte")
    func members() throws {
        let text = #"{"type":"publish","room":"bench:a","data":{"t":123,"s":[1,2,{"x":"y"}],"u":"\u00e9"}, "id" : 7 }"#
        let bytes = Array(text.utf8)
        let members = try JSONScanner.members(of: bytes)
        #expect(members.map(\.key) == ["type", "room", "data", "id"])
        let data = members.first { $0.key == "data" }!
        #expect(String(decoding: bytes[data.value], as: UTF8.self) == #"{"t":123,"s":[1,2,{"x":"y"}],"u":"\u00e9"}"#)
        #expect(JSONScanner.string(bytes[members[1].value]) == "bench:a")
        #expect(JSONScanner.integer(bytes[members[3].value]) == 7)
        #expect(JSONScanner.string(Array(#""a\"b\\c\n\u00e9\ud83c\udfb1""#.utf8)[...]) == "a\"b\\c\né🎱")
    }

    @Test(
        "the scanner refuses what is not one JSON object",
        arguments: [
            "", "[]", "1", #""s""#, "{", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "{\"a\":01}", "{\"a\":1.}", "{\"a\":-}", "{\"a\":1e}",
            "{\"a\":tru}", "{\"a\":nul}", "{\"a\":\"\u{01}\"}", #"{"a":"\x"}"#, #"{"a":"\ud800"}"#, #"{"a":"\udc00"}"#, "{\"a\":1} x",
            "{\"a\":[1,2}", "{\"a\":\"unterminated}", "{'a':1}",
        ]
    )
    func refusals(_ text: String) {
        #expect(throws: JSONScanner.Invalid.self) { try JSONScanner.members(of: Array(text.utf8)) }
    }

    @Test("nesting is limited to 32 levels")
    func depth() throws {
        let ok = "{\"a\":" + String(repeating: "[", count: 30) + String(repeating: "]", count: 30) + "}"
        #expect(throws: Never.self) { try JSONScanner.members(of: Array(ok.utf8)) }
        let deep = "{\"a\":" + String(repeating: "[", count: 40) + String(repeating: "]", count: 40) + "}"
        #expect(throws: JSONScanner.Invalid.self) { try JSONScanner.members(of: Array(deep.utf8)) }
    }

    @Test("room names: known kinds and valid ids only")
    func roomNames() {
        #expect(RoomName("match:m1") == RoomName(.match, "m1"))
        #expect(RoomName("venue:hall-3_b")?.kind == .venue)
        #expect(RoomName("user:u1")?.entityKind == .user)
        #expect(RoomName("match:m1")?.entityKind == .match)
        #expect(RoomName("bench:b1")?.entityKind == nil)
        for bad in [
            "match", "match:", ":m1", "galaxy:1", "match:a b", "match:a:b", "MATCH:m1", "match:" + String(repeating: "x", count: 65), "match:é",
        ] {
            #expect(RoomName(bad) == nil, "\(bad)")
        }
    }

    @Test("server frames: header lengths at the 125/126 and 65535/65536 boundaries, close frames within 125 bytes")
    func frames() {
        for (count, header) in [(0, 2), (125, 2), (126, 4), (65_535, 4), (65_536, 10)] {
            let frame = Wire.frame(Wire.text, [UInt8](repeating: 0x61, count: count))
            #expect(frame.readableBytes == count + header)
            #expect(frame.getInteger(at: 0, as: UInt8.self) == 0x81)
        }
        let close = Wire.closeFrame(4008, String(repeating: "é", count: 100))
        #expect(close.readableBytes <= 127)
        #expect(close.getInteger(at: 2, as: UInt16.self) == 4008)
        #expect(String(validating: close.readableBytesView.dropFirst(4), as: UTF8.self) != nil, "the reason is cut on a character boundary")
        #expect(Wire.isValidCloseCode(1000) && Wire.isValidCloseCode(4999) && !Wire.isValidCloseCode(1005) && !Wire.isValidCloseCode(2999))
    }

    @Test("the recovery ring keeps the last N messages in order")
    func ring() {
        var ring = Ring(capacity: 3)
        #expect(ring.firstSeq == nil)
        for seq in 1...5 { ring.append(Int64(seq), ByteBuffer(string: "\(seq)")) }
        #expect(ring.firstSeq == 3)
        #expect(ring.after(0).map(\.seq) == [3, 4, 5])
        #expect(ring.after(4).map(\.seq) == [5])
        #expect(ring.after(5).isEmpty)
    }

    @Test("UTF-8 validation in place agrees with the standard library, on edge cases and random bytes")
    func utf8() {
        let cases: [[UInt8]] = [
            [], Array("plain ascii".utf8), Array("ünïcødé ✓ 🎱".utf8),
            [0xC0, 0x80], [0xC1, 0xBF], [0xC2, 0x80], [0xDF, 0xBF],  // overlong two-byte; the first valid ones
            [0xE0, 0x9F, 0xBF], [0xE0, 0xA0, 0x80], [0xED, 0x9F, 0xBF], [0xED, 0xA0, 0x80],  // overlong; surrogates
            [0xF0, 0x8F, 0xBF, 0xBF], [0xF0, 0x90, 0x80, 0x80], [0xF4, 0x8F, 0xBF, 0xBF], [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80],
            [0x80], [0xBF], [0xFE], [0xFF], [0xE2, 0x82], [0xF0, 0x9F, 0x8E], [0x61, 0xC3], [0xC3, 0x28], [0xE2, 0x28, 0xA1],
        ]
        for bytes in cases {
            #expect(UTF8Validation.isValid(bytes) == (String(validating: bytes, as: UTF8.self) != nil), "\(bytes)")
        }
        var state: UInt64 = 0x5EED
        for _ in 0..<20_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let count = Int(state >> 60)
            var bytes: [UInt8] = []
            for k in 0..<count {
                let r = UInt8(truncatingIfNeeded: (state >> UInt64(8 * (k % 7))) &+ UInt64(k) &* 0x9E)
                // Bias towards the interesting ranges: lead bytes and continuations.
                bytes.append(k % 3 == 0 ? r : (0x80 | (r & 0x3F)))
            }
            #expect(UTF8Validation.isValid(bytes) == (String(validating: bytes, as: UTF8.self) != nil), "\(bytes)")
            let buffer = ByteBuffer(bytes: bytes)
            #expect(UTF8Validation.isValid(buffer.readableBytesView) == UTF8Validation.isValid(bytes))
        }
    }
}
