import Crypto
import DojoDomain
import DojoTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import DojoAPI
@testable import DojoServer

private func b64url(_ data: some DataProtocol) -> String {
    Data(data).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(
        of: "=",
        with: ""
    )
}

/// A camera node: its key pair and the two-step sign-in.
struct Camera {
    let key = Curve25519.Signing.PrivateKey()
    var publicKey: String { b64url(key.publicKey.rawRepresentation) }

    func sign(_ nonce: String) throws -> String {
        b64url(try key.signature(for: Data(("dojopool-device-token:" + nonce).utf8)))
    }
}

extension GatewayHarness {
    func post(_ uri: String, _ body: [String: Any], headers extra: HTTPFields = [:]) async throws -> (HTTPResponse.Status, [String: Any]) {
        var fields = extra
        fields[.contentType] = "application/json"
        let data = try JSONSerialization.data(withJSONObject: body)
        return try await client.execute(uri: uri, method: .post, headers: fields, body: ByteBuffer(bytes: data)) { response in
            (response.status, try jsonObject(response.body.readableBytesView))
        }
    }

    func serviceHeaders(_ user: String, role: String? = nil) -> HTTPFields {
        var fields = HTTPFields()
        fields[.authorization] = "Bearer ws-test-service-key-0123456789abcdef0"
        fields[HTTPField.Name("X-Dojo-User")!] = user
        if let role { fields[HTTPField.Name("X-Dojo-Role")!] = role }
        return fields
    }

    /// Venue v1 owned by alice, with tables t1 and t2.
    func venueWithTables() async throws {
        _ = try await rest("/v1/venues", as: "alice", role: "VENUE_ADMIN", #"{"id":"v1","name":"Hall","lat":1,"lng":2}"#)
        _ = try await rest("/v1/venues/v1/tables", as: "alice", #"{"id":"t1","name":"One"}"#)
        _ = try await rest("/v1/venues/v1/tables", as: "alice", #"{"id":"t2","name":"Two"}"#)
    }

    func register(_ camera: Camera, table: String = "t1", as user: String = "alice") async throws -> (HTTPResponse.Status, [String: Any]) {
        try await post("/v1/venues/v1/devices", ["tableId": table, "publicKey": camera.publicKey], headers: serviceHeaders(user))
    }

    func deviceToken(_ camera: Camera, id: String) async throws -> (HTTPResponse.Status, [String: Any]) {
        let (_, challenge) = try await post("/v1/devices/token", ["deviceId": id])
        let nonce = try #require(challenge["nonce"] as? String)
        return try await post("/v1/devices/token", ["deviceId": id, "nonce": nonce, "signature": try camera.sign(nonce)])
    }
}

/// The `error.code` of a JSON answer.
func errorCode(_ body: [String: Any]) -> String? { (body["error"] as? [String: Any])?["code"] as? String }

@Suite("Camera devices")
struct DeviceTests {
    @Test("a venue admin registers a device for one of its tables; others may not; bad keys and tables are refused")
    func registration() async throws {
        try await withGateway { h in
            try await h.venueWithTables()
            let camera = Camera()
            let (status, body) = try await h.register(camera)
            #expect(status == .created, "\(body)")
            #expect((body["device"] as? [String: Any])?["tableId"] as? String == "t1")
            let again = try await h.register(camera)
            #expect(again.0 == .conflict && errorCode(again.1) == "device.key_taken")
            let byBob = try await h.register(Camera(), as: "bob")
            #expect(byBob.0 == .forbidden && errorCode(byBob.1) == "forbidden")
            // The owner of another venue is no admin of this one.
            _ = try await h.rest("/v1/venues", as: "carol", role: "VENUE_ADMIN", #"{"id":"v2","name":"Carol's","lat":1,"lng":2}"#)
            let byOtherOwner = try await h.register(Camera(), as: "carol")
            #expect(byOtherOwner.0 == .forbidden && errorCode(byOtherOwner.1) == "forbidden")
            let table = try await h.rest("/v1/venues/v1/tables", as: "carol", #"{"id":"t3","name":"Three"}"#)
            #expect((table["error"] as? [String: Any])?["code"] as? String == "forbidden")
            let badTable = try await h.register(Camera(), table: "t9")
            #expect(errorCode(badTable.1) == "venue.unknown_table")
            let badKey = try await h.post("/v1/venues/v1/devices", ["tableId": "t1", "publicKey": "short"], headers: h.serviceHeaders("alice"))
            #expect(badKey.0 == .badRequest && errorCode(badKey.1) == "device.invalid_key")
            let noAuth = try await h.post("/v1/venues/v1/devices", ["tableId": "t1", "publicKey": Camera().publicKey])
            #expect(noAuth.0 == .unauthorized)
        }
    }

    @Test("sign-in by signature: a camera token bound to its table; forged, replayed, foreign and revoked sign-ins are refused")
    func signIn() async throws {
        try await withGateway { h in
            try await h.venueWithTables()
            let camera = Camera()
            let id = try #require((try await h.register(camera).1["device"] as? [String: Any])?["id"] as? String)
            let (status, token) = try await h.deviceToken(camera, id: id)
            #expect(status == .ok, "\(token)")
            #expect(token["scope"] as? String == "camera" && token["tableId"] as? String == "t1")
            #expect((token["expiresIn"] as? Int ?? 0) <= 900)
            // The device token acts for no user on REST.
            var bearer = HTTPFields()
            bearer[.authorization] = "Bearer \(token["accessToken"] as! String)"
            let asUser = try await h.post("/v1/matches", ["playerA": "alice", "playerB": "bob", "gameType": "8-ball", "raceTo": 3], headers: bearer)
            #expect(asUser.0 == .unauthorized && errorCode(asUser.1) == "auth.token_scope")

            // A signature by another key.
            let (_, challenge) = try await h.post("/v1/devices/token", ["deviceId": id])
            let nonce = challenge["nonce"] as! String
            let forged = try await h.post("/v1/devices/token", ["deviceId": id, "nonce": nonce, "signature": try Camera().sign(nonce)])
            #expect(forged.0 == .unauthorized && errorCode(forged.1) == "auth.device_signature")
            // The nonce was used up by that attempt.
            let replay = try await h.post("/v1/devices/token", ["deviceId": id, "nonce": nonce, "signature": try camera.sign(nonce)])
            #expect(errorCode(replay.1) == "auth.device_challenge")
            // A nonce issued to another device id.
            let (_, other) = try await h.post("/v1/devices/token", ["deviceId": "someone-else"])
            let otherNonce = other["nonce"] as! String
            let foreign = try await h.post("/v1/devices/token", ["deviceId": id, "nonce": otherNonce, "signature": try camera.sign(otherNonce)])
            #expect(errorCode(foreign.1) == "auth.device_challenge")
            // Unknown device.
            let stranger = Camera()
            let unknown = try await h.deviceToken(stranger, id: "nope")
            #expect(errorCode(unknown.1) == "auth.device_unknown")
            // Revoked: no new token at once; revoking again is 404; bob may not revoke.
            var alice = h.serviceHeaders("alice")
            alice[.contentType] = "application/json"
            let byBob = try await h.client.execute(uri: "/v1/venues/v1/devices/\(id)", method: .delete, headers: h.serviceHeaders("bob")) {
                $0.status
            }
            #expect(byBob == .forbidden)
            let revoked = try await h.client.execute(uri: "/v1/venues/v1/devices/\(id)", method: .delete, headers: alice) { $0.status }
            #expect(revoked == .noContent)
            let after = try await h.deviceToken(camera, id: id)
            #expect(after.0 == .unauthorized && errorCode(after.1) == "auth.device_revoked")
            let twice = try await h.client.execute(uri: "/v1/venues/v1/devices/\(id)", method: .delete, headers: alice) { $0.status }
            #expect(twice == .notFound)
        }
    }

    @Test("a camera streams frames to its own table room only; frames are validated; it sends no commands")
    func frames() async throws {
        try await withGateway { h in
            try await h.venueWithTables()
            let camera = Camera()
            let id = try #require((try await h.register(camera).1["device"] as? [String: Any])?["id"] as? String)
            let token = try #require(try await h.deviceToken(camera, id: id).1["accessToken"] as? String)
            let spectator = try await h.socket()
            _ = try await h.subscribe(spectator, "table:t1")
            let node = try await TestWebSocket.connect(port: h.port, headers: [("Authorization", "Bearer \(token)")])
            let hello = try await node.next()
            #expect((hello["device"] as? [String: Any])?["tableId"] as? String == "t1")

            try await node.send(#"{"type":"frame","t":1000,"balls":[[0,0.5,0.5],[9,1.9,0.1]],"id":"f1"}"#)
            #expect(try await node.next(type: "ack")["id"] as? String == "f1")
            let frame = try await spectator.next(type: "frame")
            #expect(frame["room"] as? String == "table:t1")
            let data = frame["data"] as? [String: Any]
            #expect(data?["t"] as? Int == 1000 && (data?["balls"] as? [[Double]])?.count == 2)

            let invalid: [(String, String)] = [
                (#"{"type":"frame","t":1000,"balls":[]}"#, "frame.invalid"),  // t did not move forward
                (#"{"type":"frame","t":1001,"balls":[[16,0.5,0.5]]}"#, "frame.invalid"),
                (#"{"type":"frame","t":1002,"balls":[[1,2.5,0.5]]}"#, "frame.invalid"),
                (#"{"type":"frame","t":1003,"balls":[[1,0.5,-0.2]]}"#, "frame.invalid"),
                (#"{"type":"frame","t":1004,"balls":[[1,0.5,0.5],[1,0.6,0.6]]}"#, "frame.invalid"),
                (#"{"type":"frame","t":1005,"balls":"none"}"#, "frame.invalid"),
                (#"{"type":"frame","balls":[]}"#, "frame.invalid"),
                (#"{"type":"frame","t":1006,"room":"table:t2","balls":[]}"#, "forbidden"),
                (#"{"type":"command","room":"match:m1","command":{"type":"start"}}"#, "forbidden"),
            ]
            for (text, code) in invalid {
                try await node.send(text)
                let error = try await node.next(type: "error")
                #expect(error["code"] as? String == code, "\(text) → \(error)")
            }
            // A user may not publish frames.
            let alice = try await h.socket(as: "alice")
            try await alice.send(#"{"type":"frame","t":1,"balls":[]}"#)
            #expect(try await alice.next(type: "error")["code"] as? String == "forbidden")
            // The spectator got no frame from the refused ones: the next it sees is the next valid
            // one, with a ball in a pocket's mouth just past the cushion line.
            try await node.send(#"{"type":"frame","t":2000,"balls":[[0,1,1],[3,2.004,-0.003]]}"#)
            let next = try await spectator.next(type: "frame")
            #expect((next["data"] as? [String: Any])?["t"] as? Int == 2000)
        }
    }

    @Test("the device side from the command line: dojopool device keygen, then dojopool token device")
    func commandLine() async throws {
        try await withGateway { h in
            try await h.venueWithTables()
            let path = try TestServices.temporaryDirectory() + "/camera.json"
            let keygen = try await DojoPoolExecutable.run(["device", "keygen", "--out", path])
            #expect(keygen.status == 0, "\(keygen.standardError)")
            let publicKey = keygen.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
            let mode = (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue
            #expect(mode == 0o600)
            let (_, registered) = try await h.post(
                "/v1/venues/v1/devices",
                ["tableId": "t2", "publicKey": publicKey],
                headers: h.serviceHeaders("alice")
            )
            let id = try #require((registered["device"] as? [String: Any])?["id"] as? String, "\(registered)")
            let token = try await DojoPoolExecutable.run(["token", "device", "--key", path, "--device", id, "--url", "http://127.0.0.1:\(h.port)"])
            #expect(token.status == 0, "\(token.standardError)")
            let node = try await TestWebSocket.connect(
                port: h.port,
                headers: [("Authorization", "Bearer \(token.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines))")]
            )
            let hello = try await node.next()
            #expect((hello["device"] as? [String: Any])?["tableId"] as? String == "t2")
            let wrong = try await DojoPoolExecutable.run([
                "token", "device", "--key", path, "--device", "unknown", "--url", "http://127.0.0.1:\(h.port)",
            ])
            #expect(wrong.status != 0 && wrong.standardError.contains("auth.device_unknown"))
        }
    }
}
