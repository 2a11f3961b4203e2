import DojoTesting
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@testable import DojoAPI
@testable import DojoServer

/// The OpenAPI document against what it describes: the router's routes, the file kept in the
/// repo, the refusals the sources throw. (schemathesis checks it against a live server:
/// `scripts/openapi-check.sh`, run by `OpenAPIContractTests`.)
@Suite("OpenAPI document")
struct OpenAPITests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func document() throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(OpenAPI.json)) as? [String: Any])
    }

    @Test("every route the router holds is in the document, and the document names no other")
    func routesAndSpec() async throws {
        let server = try await buildServer(configuration: try testConfiguration(), logger: apiLogger, registry: sharedRegistry)
        let routes = Set(server.routes)
        let paths = try #require(try Self.document()["paths"] as? [String: [String: Any]])
        let described = Set(paths.flatMap { path, item in item.keys.map { "\($0.uppercased()) \(path)" } })
        #expect(routes.subtracting(described).isEmpty, "routes missing from the document: \(routes.subtracting(described).sorted())")
        #expect(described.subtracting(routes).isEmpty, "the document names routes that do not exist: \(described.subtracting(routes).sorted())")
        #expect(routes.count > 100)
        #expect(
            Set(OpenAPI.examples.keys).subtracting(described).isEmpty,
            "examples for no operation: \(Set(OpenAPI.examples.keys).subtracting(described))"
        )
        try await server.application.test(.live) { client in
            let served = try await client.execute(uri: "/v1/openapi.json", method: .get) { ($0.status, Array($0.body.readableBytesView)) }
            #expect(served.0 == .ok && served.1 == OpenAPI.json)
        }
    }

    @Test("docs/openapi.json is the document the server serves (dojopool openapi > docs/openapi.json)")
    func fileInRepository() throws {
        let file = try Data(contentsOf: Self.repository.appendingPathComponent("docs/openapi.json"))
        #expect(Array(file) == OpenAPI.json, "docs/openapi.json is stale: run `swift run dojopool openapi > docs/openapi.json`")
    }

    /// The `DomainError`s the sources throw with a literal code, by area and status.
    static func refusalsInSources() throws -> [String: [Int: [String]]] {
        let statuses = ["invalid": 422, "notFound": 404, "conflict": 409, "forbidden": 403]
        let thrown = /DomainError\(\s*\.(invalid|notFound|conflict|forbidden)\s*,\s*"([a-z_]+)\.([a-zA-Z_]+)"/
        let refused = /refuse\(\s*\.(invalid|notFound|conflict|forbidden)\s*,\s*"([a-zA-Z_]+)"/
        let claimed = /conflict: "([a-z_]+)\.([a-zA-Z_]+)"/
        var found: [String: [Int: Set<String>]] = [:]
        for text in try sources() {
            for match in text.matches(of: thrown) {
                let area = String(match.output.2)
                found[area, default: [:]][statuses[String(match.output.1)]!, default: []].insert("\(area).\(match.output.3)")
            }
            for match in text.matches(of: refused) {
                found["referee", default: [:]][statuses[String(match.output.1)]!, default: []].insert("referee.\(match.output.2)")
            }
            for match in text.matches(of: claimed) {
                found[String(match.output.1), default: [:]][409, default: []].insert("\(match.output.1).\(match.output.2)")
            }
        }
        return found.mapValues { $0.mapValues { $0.sorted() } }
    }

    static func sources() throws -> [String] {
        let root = repository.appendingPathComponent("Sources")
        let files = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)?.compactMap { $0 as? URL } ?? []
        return try files.filter { $0.pathExtension == "swift" && !$0.path.contains("/OpenAPI/") }.map { try String(contentsOf: $0, encoding: .utf8) }
    }

    @Test("the document's table of refusals is the one the sources throw")
    func refusalsMatchSources() throws {
        let inSources = try Self.refusalsInSources()
        #expect(inSources.count > 10)
        for area in Set(inSources.keys).union(OpenAPI.domainRefusals.keys).sorted() {
            #expect(OpenAPI.domainRefusals[area] == inSources[area], "area \(area): the sources throw \(inSources[area] ?? [:])")
        }
    }

    @Test("every error code the document lists is one the sources answer with")
    func codesExist() throws {
        let text = try Self.sources().joined(separator: "\n")
        let paths = try #require(try Self.document()["paths"] as? [String: [String: [String: Any]]])
        var codes: Set<String> = []
        for (_, item) in paths {
            for (_, operation) in item {
                for (status, response) in operation["responses"] as? [String: [String: Any]] ?? [:] where Int(status)! >= 400 {
                    let description = response["description"] as? String ?? ""
                    codes.formUnion(description.matches(of: /`([^`]+)`/).map { String($0.output.1) })
                }
            }
        }
        #expect(codes.count > 150)
        for code in codes.sorted() where !text.contains("\"\(code)\"") {
            // A code made of its area and a field: `"profile.invalid_\(field)"` with the field `"bio"`.
            let area = code.split(separator: ".").first.map(String.init) ?? ""
            let field = code.split(separator: "_", maxSplits: 1).last.map(String.init) ?? ""
            // Or the referee's `refuse(.invalid, "invalid_pocket", …)`, which prefixes `referee.`.
            let name = code.split(separator: ".", maxSplits: 1).last.map(String.init) ?? ""
            let refused = try area == "referee" && text.contains(Regex("refuse\\(\\s*\\.[a-zA-Z]+\\s*,\\s*\"\(name)\""))
            let made = refused || (text.contains("\"\(area).invalid_\\(field)\"") && text.contains("\"\(field)\""))
            #expect(made, "the document lists \(code), which no source answers with")
        }
    }
}

/// schemathesis (from PyPI, nobody here wrote it) over every operation of the document, against a
/// live server, signed in as an ADMIN: no 5xx, every status and content type documented, every
/// answer conforming to its schema, malformed input refused, the stateful links followed.
@Suite("OpenAPI contract, checked by schemathesis")
struct OpenAPIContractTests {
    @Test("schemathesis and openapi-spec-validator find nothing")
    func schemathesis() async throws {
        for tool in ["st", "openapi-spec-validator"] {
            guard try await WatchPageTests.run("/usr/bin/env", ["sh", "-c", "command -v \(tool)"]).0 == 0 else {
                if TestServices.isCI { Issue.record("\(tool) is missing (scripts/deps.sh --services installs it); CI=true: not skipped") }
                print("note: \(tool) is not installed; skipping the schemathesis run")
                return
            }
        }
        var configuration = try testConfiguration()
        configuration.serviceKey = "openapi-check-service-key-0123456789abcdef"
        configuration.writesPerMinute = 10_000_000
        configuration.readsPerMinute = 10_000_000
        configuration.authRequestsPerMinute = 100_000
        configuration.mailTransport = .log
        let key = configuration.serviceKey!
        let server = try await buildServer(configuration: configuration, logger: apiLogger, registry: sharedRegistry, mailSender: CapturedMail())
        try await server.application.test(.live) { client in
            let script = OpenAPITests.repository.appendingPathComponent("scripts/openapi-check.sh").path
            let (status, output) = try await WatchPageTests.run(
                "/usr/bin/env",
                ["bash", script, "--url", "http://127.0.0.1:\(client.port!)", "--key", key]
            )
            #expect(status == 0, "\(output.suffix(20_000))")
        }
    }
}
