import DojoTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Synchronization
import Testing

@testable import DojoAPI
@testable import DojoIdentity
@testable import DojoServer

/// Keeps what would have been mailed.
final class CapturedMail: MailSender {
    private let sent = Mutex<[(to: String, body: String)]>([])

    func send(to address: String, subject: String, body: String) async throws {
        sent.withLock { $0.append((address, body)) }
    }

    /// The last code mailed to `address`.
    func code(for address: String) -> String? {
        guard let body = sent.withLock({ $0.last { $0.to == address }?.body }),
            let range = body.range(of: #"\d{6}"#, options: .regularExpression)
        else { return nil }
        return String(body[range])
    }
}

private func post(_ client: some TestClientProtocol, _ uri: String, _ body: String) async throws -> (HTTPResponse.Status, [String: Any], String) {
    try await client.execute(uri: uri, method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: body)) { response in
        (response.status, (try? jsonObject(response.body.readableBytesView)) ?? [:], String(buffer: response.body))
    }
}

private func code(_ answer: (HTTPResponse.Status, [String: Any], String)) -> String? {
    (answer.1["error"] as? [String: Any])?["code"] as? String
}

private func withMailServer(_ test: @Sendable (any TestClientProtocol, CapturedMail) async throws -> Void) async throws {
    var configuration = try testConfiguration()
    configuration.authRequestsPerMinute = 1_000
    let mail = CapturedMail()
    let server = try await buildServer(configuration: configuration, logger: apiLogger, registry: sharedRegistry, mailSender: mail)
    try await server.application.test(.live) { client in try await test(client, mail) }
}

@Suite("Passwordless email codes")
struct EmailCodeTests {
    @Test("a code is mailed, signs in (creating the account) once, and a wrong code does not")
    func signIn() async throws {
        try await withMailServer { client, mail in
            let asked = try await post(client, "/v1/auth/email/code", #"{"email":" Gail@Example.test "}"#)
            #expect(asked.0 == .accepted && asked.1["expiresIn"] as? Int == 600)
            let sent = try #require(mail.code(for: "gail@example.test"))
            #expect(!asked.2.contains(sent), "the code is never in the answer")
            let wrong = try await post(
                client,
                "/v1/auth/email/verify",
                #"{"email":"gail@example.test","code":"\#(sent == "000000" ? "111111" : "000000")"}"#
            )
            #expect(wrong.0 == .unauthorized && code(wrong) == "auth.invalid_code")
            let right = try await post(client, "/v1/auth/email/verify", #"{"email":"gail@example.test","code":"\#(sent)"}"#)
            #expect(right.0 == .ok, "\(right.2)")
            let user = right.1["user"] as? [String: Any]
            #expect(user?["email"] as? String == "gail@example.test" && user?["username"] as? String == "gail")
            #expect(right.1["accessToken"] is String && right.1["refreshToken"] is String)
            let again = try await post(client, "/v1/auth/email/verify", #"{"email":"gail@example.test","code":"\#(sent)"}"#)
            #expect(again.0 == .unauthorized, "a code works once")
            // The same address signs in to the same account next time.
            _ = try await post(client, "/v1/auth/email/code", #"{"email":"gail@example.test"}"#)
            let second = try await post(
                client,
                "/v1/auth/email/verify",
                #"{"email":"gail@example.test","code":"\#(mail.code(for: "gail@example.test")!)"}"#
            )
            #expect((second.1["user"] as? [String: Any])?["id"] as? String == user?["id"] as? String)
        }
    }

    @Test("five wrong attempts kill the code; a new code replaces the old; a password account is found by its email; bad addresses are refused")
    func limits() async throws {
        try await withMailServer { client, mail in
            _ = try await post(client, "/v1/auth/email/code", #"{"email":"hal@example.test"}"#)
            let sent = try #require(mail.code(for: "hal@example.test"))
            let wrongCode = sent == "123456" ? "654321" : "123456"
            for _ in 0..<5 {
                let wrong = try await post(client, "/v1/auth/email/verify", #"{"email":"hal@example.test","code":"\#(wrongCode)"}"#)
                #expect(wrong.0 == .unauthorized)
            }
            let late = try await post(client, "/v1/auth/email/verify", #"{"email":"hal@example.test","code":"\#(sent)"}"#)
            #expect(late.0 == .unauthorized && late.2.contains("ask for a new one"))

            _ = try await post(client, "/v1/auth/email/code", #"{"email":"hal@example.test"}"#)
            let first = try #require(mail.code(for: "hal@example.test"))
            _ = try await post(client, "/v1/auth/email/code", #"{"email":"hal@example.test"}"#)
            let second = try #require(mail.code(for: "hal@example.test"))
            if first != second {
                let old = try await post(client, "/v1/auth/email/verify", #"{"email":"hal@example.test","code":"\#(first)"}"#)
                #expect(old.0 == .unauthorized, "the new code replaced the old one")
            }

            let registered = try await post(
                client,
                "/v1/auth/register",
                #"{"email":"ivy@example.test","username":"ivy","password":"correct horse battery"}"#
            )
            let id = (registered.1["user"] as? [String: Any])?["id"] as? String
            _ = try await post(client, "/v1/auth/email/code", #"{"email":"ivy@example.test"}"#)
            let byCode = try await post(
                client,
                "/v1/auth/email/verify",
                #"{"email":"ivy@example.test","code":"\#(mail.code(for: "ivy@example.test")!)"}"#
            )
            #expect((byCode.1["user"] as? [String: Any])?["id"] as? String == id)

            for bad in [#"{"email":"not-an-address"}"#, #"{"email":"a@b"}"#, #"{"email":"x@y.z'; DROP TABLE users;--"}"#] {
                let refused = try await post(client, "/v1/auth/email/code", bad)
                #expect(refused.0 == .unprocessableContent && code(refused) == "auth.invalid_email", "\(bad)")
            }
            let malformed = try await post(client, "/v1/auth/email/verify", #"{"email":"ivy@example.test"}"#)
            #expect(malformed.0 == .badRequest)
        }
    }
}
