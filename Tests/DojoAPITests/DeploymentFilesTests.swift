import Foundation
import Testing

/// The container and cluster files (`Config/docker`, `Config/kubernetes`) set the server's
/// configuration through `DOJO_…` variables: each must name a key the server reads, or the
/// setting is silently ignored. (hadolint and kubernetes-validate check the files' own syntax in
/// `scripts/ops-check.sh`.)
@Suite("Deployment files")
struct DeploymentFilesTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func text(_ path: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
    }

    @Test("every DOJO_ variable the Dockerfile, the compose file and the manifests set is a key the server reads")
    func variablesAreKeys() throws {
        let files =
            ["Config/docker/Dockerfile", "Config/docker/compose.yaml"]
            + (try FileManager.default.contentsOfDirectory(atPath: Self.root.appendingPathComponent("Config/kubernetes").path))
            .filter { $0.hasSuffix(".yaml") }.map { "Config/kubernetes/\($0)" }
        // The server's keys are read in the configuration's readers, one file per component.
        let readers = try FileManager.default.contentsOfDirectory(atPath: Self.root.appendingPathComponent("Sources/DojoServer").path)
            .filter { $0 == "ServerConfiguration.swift" || $0.hasSuffix("+ConfigReader.swift") }
        #expect(readers.count > 5)
        let source = try readers.map { try Self.text("Sources/DojoServer/\($0)") }.joined(separator: "\n")
        let pattern = try NSRegularExpression(pattern: "DOJO_[A-Z0-9_]+")
        var checked = 0
        for file in files {
            let text = try Self.text(file)
            let names = Set(pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)).map { String(text[Range($0.range, in: text)!]) })
            for name in names {
                // DOJO_HTTP_PORT → "http.port", read by that literal in the configuration's reader.
                let key = name.dropFirst("DOJO_".count).lowercased().replacingOccurrences(of: "_", with: ".")
                #expect(source.contains("\"\(key)\""), "\(file) sets \(name), but the server reads no key \(key)")
                checked += 1
            }
        }
        #expect(checked >= 10, "the files set the database, Redis, keys, host and port at least")
    }

    @Test("the image's configuration file and entry point are the ones the manifests run")
    func imageAndManifestsAgree() throws {
        let dockerfile = try Self.text("Config/docker/Dockerfile")
        let deployment = try Self.text("Config/kubernetes/deployment.yaml")
        #expect(dockerfile.contains("COPY Config/dojopool.json /etc/dojopool/dojopool.json"))
        #expect(deployment.contains(#"args: ["serve", "--config", "/etc/dojopool/dojopool.json"]"#))
        #expect(dockerfile.contains("USER 10001") && deployment.contains("runAsUser: 10001"))
        // The probes are the server's health routes; the grace period covers the bounded shutdown
        // (25 s graceful + 5 s cancellation) and the preStop pause.
        #expect(deployment.contains("path: /healthz") && deployment.contains("path: /readyz"))
        let grace = deployment.split(separator: "\n").first { $0.contains("terminationGracePeriodSeconds") }
        #expect(grace.flatMap { Int($0.split(separator: ":").last!.trimmingCharacters(in: .whitespaces)) }.map { $0 >= 35 } == true)
    }
}
