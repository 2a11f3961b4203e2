import DojoTesting
import Foundation
import Logging
import Testing

@testable import DojoAPI
@testable import DojoIdentity
@testable import DojoServer

/// `mail.transport = smtp`: the SMTP client against Python's own smtpd (plain, on loopback), and
/// against a submission server on Python's ssl module (STARTTLS, AUTH PLAIN); the server sending a
/// sign-in code through it.
@Suite("Mail over SMTP", .serialized)
struct SMTPTests {
    /// A running peer (`scripts/smtp-peer.py`): its port and the file of what it received.
    struct Peer {
        let process: SpawnedProcess
        let port: Int
        let out: String

        func received() -> [[String: Any]] {
            ((try? String(contentsOfFile: out, encoding: .utf8)) ?? "").split(separator: "\n").compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
        }

        func stop() {
            process.signal(SIGKILL)
        }
    }

    static func peer(_ arguments: [String]) async throws -> Peer {
        let directory = try TestServices.temporaryDirectory()
        let out = directory + "/received.ndjson"
        let stdout = directory + "/peer.out"
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("scripts/smtp-peer.py").path
        let process = try SpawnedProcess.start(
            "/usr/bin/env",
            ["python3", script, "--out", out] + arguments,
            standardOutput: stdout,
            standardError: directory + "/peer.err"
        )
        for _ in 0..<200 {
            if let text = try? String(contentsOfFile: stdout, encoding: .utf8), let first = text.split(separator: "\n").first, let port = Int(first) {
                return Peer(process: process, port: port, out: out)
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        process.signal(SIGKILL)
        throw PeerDidNotStart(output: (try? String(contentsOfFile: directory + "/peer.err", encoding: .utf8)) ?? "")
    }

    struct PeerDidNotStart: Error, CustomStringConvertible {
        var output: String
        var description: String { "the SMTP peer did not start: \(output)" }
    }

    /// A self-signed certificate for `localhost` (openssl), its key, in a new folder.
    static func certificate() async throws -> (cert: String, key: String) {
        let directory = try TestServices.temporaryDirectory()
        let cert = directory + "/cert.pem"
        let key = directory + "/key.pem"
        let openssl = try SpawnedProcess.start(
            "/usr/bin/env",
            [
                "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=localhost",
                "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
            ],
            standardOutput: directory + "/openssl.log",
            standardError: directory + "/openssl.log"
        )
        #expect(await openssl.exitStatus() == 0)
        return (cert, key)
    }

    static func body(of message: [String: Any]) -> String {
        let data = message["data"] as? String ?? ""
        let parts =
            data.components(separatedBy: "\r\n\r\n").count > 1 ? data.components(separatedBy: "\r\n\r\n") : data.components(separatedBy: "\n\n")
        let encoded = parts.dropFirst().joined().replacingOccurrences(of: "\r", with: "").replacingOccurrences(of: "\n", with: "")
        return String(decoding: Data(base64Encoded: encoded) ?? Data(), as: UTF8.self)
    }

    @Test("the URL says the server, its security and the credentials; tls=none only to loopback; a From that would break a header is refused")
    func configuration() throws {
        let submission = try SMTPConfiguration(url: "smtp://me%40x:p%40ss@mail.example.com", from: "DojoPool <no-reply@example.com>")
        #expect(submission.host == "mail.example.com" && submission.port == 587 && submission.security == .starttls)
        #expect(submission.username == "me@x" && submission.password == "p@ss" && submission.fromAddress == "no-reply@example.com")
        #expect(try SMTPConfiguration(url: "smtps://mail.example.com", from: "a@example.com").port == 465)
        #expect(try SMTPConfiguration(url: "smtps://mail.example.com", from: "a@example.com").security == .implicit)
        #expect(try SMTPConfiguration(url: "smtp://localhost:25?tls=none", from: "a@example.com").security == .none)
        for (url, from, key) in [
            ("http://mail.example.com", "a@example.com", "mail.smtp.url"), ("smtp://mail.example.com?tls=none", "a@example.com", "mail.smtp.url"),
            ("smtp://mail.example.com?tls=maybe", "a@example.com", "mail.smtp.url"),
            ("smtp://mail.example.com:70000", "a@example.com", "mail.smtp.url"),
            ("smtp://mail.example.com", "nobody", "mail.from"), ("smtp://mail.example.com", "X <a@example.com>\r\nBcc: b@example.com", "mail.from"),
        ] {
            #expect(throws: SMTPConfiguration.Invalid.self, "\(url) \(from)") { _ = try SMTPConfiguration(url: url, from: from) }
            do { _ = try SMTPConfiguration(url: url, from: from) } catch { #expect(error.key == key) }
        }
        let message = SMTPMailSender.message(
            from: "DojoPool <a@example.com>",
            to: "b@example.com",
            subject: "Dein Code: 123 — äö",
            body: "Hallo\n.\nEnde",
            domain: "a@example.com"
        )
        #expect(message.contains("Subject: =?UTF-8?B?") && message.contains("Content-Transfer-Encoding: base64") && !message.contains("\n.\r\n"))
    }

    @Test("to Python's own smtpd, on loopback in plain text: the message arrives whole, body and subject")
    func stdlibPeer() async throws {
        let peer = try await Self.peer(["--stdlib"])
        defer { peer.stop() }
        let sender = SMTPMailSender(
            configuration: try SMTPConfiguration(url: "smtp://127.0.0.1:\(peer.port)?tls=none", from: "DojoPool <no-reply@dojopool.test>"),
            heloName: "node-1",
            logger: Logger(label: "smtp")
        )
        // A server that offers no STARTTLS is refused when TLS is required.
        let required = SMTPMailSender(
            configuration: try SMTPConfiguration(url: "smtp://localhost:\(peer.port)", from: "no-reply@dojopool.test"),
            heloName: "node-1",
            logger: Logger(label: "smtp")
        )
        await #expect(throws: SMTPMailSender.Refused.self) { try await required.send(to: "ann@example.com", subject: "x", body: "x") }
        try await sender.send(to: "ann@example.com", subject: "Your code", body: "Your sign-in code is 123456.\n.\nBye")
        let received = peer.received()
        #expect(received.count == 1, "\(received)")
        #expect(received.first?["from"] as? String == "no-reply@dojopool.test" && received.first?["to"] as? [String] == ["ann@example.com"])
        #expect((received.first?["data"] as? String)?.contains("Subject: Your code") == true)
        #expect(Self.body(of: received.first ?? [:]) == "Your sign-in code is 123456.\n.\nBye", "\(received)")
        await #expect(throws: SMTPMailSender.Refused.self) { try await sender.send(to: "bad\r\nRCPT TO:<x@y.z>", subject: "x", body: "x") }
        await #expect(throws: SMTPMailSender.Refused.self) {
            try await sender.send(to: "ann@example.com", subject: "x\r\nBcc: e@example.com", body: "x")
        }
        await #expect(throws: SMTPMailSender.Refused.self) {
            try await sender.send(to: "ann@example.com", subject: "x\nBcc: e@example.com", body: "x")
        }
        #expect(peer.received().count == 1)
    }

    @Test(
        "to a submission server: STARTTLS (its certificate checked against mail.smtp.ca.file), AUTH PLAIN; a wrong password and an untrusted certificate are refused"
    )
    func submissionPeer() async throws {
        let (cert, key) = try await Self.certificate()
        let peer = try await Self.peer(["--tls", cert, key, "--user", "dojo", "--password", "s3cret"])
        defer { peer.stop() }
        func sender(_ url: String, ca: String?) throws -> SMTPMailSender {
            SMTPMailSender(
                configuration: try SMTPConfiguration(url: url, from: "DojoPool <no-reply@dojopool.test>", caFile: ca),
                heloName: "node-1",
                logger: Logger(label: "smtp")
            )
        }
        try await sender("smtp://dojo:s3cret@localhost:\(peer.port)", ca: cert).send(to: "ben@example.com", subject: "Hi", body: "Über TLS")
        let received = peer.received()
        #expect(
            received.count == 1 && received.first?["tls"] as? Bool == true && received.first?["to"] as? [String] == ["ben@example.com"],
            "\(received)"
        )
        #expect(Self.body(of: received.first ?? [:]) == "Über TLS")
        await #expect(throws: SMTPMailSender.Refused.self) {
            try await sender("smtp://dojo:wrong@localhost:\(peer.port)", ca: cert).send(to: "ben@example.com", subject: "Hi", body: "x")
        }
        // The system's authorities do not know a self-signed certificate: TLS fails, nothing is sent.
        await #expect(throws: (any Error).self) {
            try await sender("smtp://dojo:s3cret@localhost:\(peer.port)", ca: nil).send(to: "ben@example.com", subject: "Hi", body: "x")
        }
        #expect(peer.received().count == 1)
    }

    @Test("the server with mail.transport smtp sends a sign-in code through it")
    func signInCode() async throws {
        let peer = try await Self.peer(["--stdlib"])
        defer { peer.stop() }
        try await withFreshStorage(.sqlite) { storage, _ in
            try await seedUsers(["cleo"], in: storage)
            var environment = try await CrashTests.serverEnvironment(storage: storage, backend: .sqlite)
            environment["DOJO_MAIL_TRANSPORT"] = "smtp"
            environment["DOJO_MAIL_SMTP_URL"] = "smtp://127.0.0.1:\(peer.port)?tls=none"
            environment["DOJO_MAIL_FROM"] = "DojoPool <no-reply@dojopool.test>"
            let server = try await ServerChild.start(environment: environment)
            defer { server.stop() }
            let client = Client(port: server.port, key: CrashTests.serviceKey)
            let asked = try await client.post("/v1/auth/email/code", user: "nobody", ["email": "cleo@example.test"])
            #expect(asked.status == 202 || asked.status == 200, "\(asked.json)")
            var received: [[String: Any]] = []
            for _ in 0..<100 where received.isEmpty {
                received = peer.received()
                if received.isEmpty { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(received.first?["to"] as? [String] == ["cleo@example.test"], "\(received)")
            #expect(Self.body(of: received.first ?? [:]).range(of: #"\d{6}"#, options: .regularExpression) != nil, "\(received)")
        }
    }
}
