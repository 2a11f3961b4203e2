import DojoDomain
import Foundation
import Testing

@Suite("EntityKey")
struct EntityKeyTests {
    @Test(arguments: ["match:42", "venue:9f1c-AB_x", "user:u", "tournament:" + String(repeating: "a", count: 64)])
    func parsesValidKeys(_ text: String) throws {
        let key = try #require(EntityKey(text))
        #expect(key.description == text)
    }

    @Test(arguments: [
        "", "match", "match:", ":42", "game:42", "MATCH:42", "match:4 2", "match:42:1", "match:é",
        "match:" + String(repeating: "a", count: 65), "match:a/b", "match:'; DROP TABLE events;--",
    ])
    func rejectsMalformedKeys(_ text: String) {
        #expect(EntityKey(text) == nil)
    }

    @Test func codableRoundTripAndRejection() throws {
        let key = try #require(EntityKey(kind: .clan, id: "c1"))
        let data = try JSONEncoder().encode([key])
        #expect(String(decoding: data, as: UTF8.self) == #"["clan:c1"]"#)
        #expect(try JSONDecoder().decode([EntityKey].self, from: data) == [key])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([EntityKey].self, from: Data(#"["nope:1"]"#.utf8)) }
    }
}
