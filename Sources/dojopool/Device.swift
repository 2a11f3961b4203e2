import ArgumentParser
import Crypto
import DojoAPI
import DojoIdentity
import DojoServer
import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `dojopool device keygen`: a camera node's Ed25519 key pair, in a file only its owner reads.
struct Device: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Camera and edge devices: their keys.", subcommands: [Keygen.self])

    struct Keygen: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a device key file (mode 0600) and print its public key for POST /v1/venues/{id}/devices."
        )
        @Option(help: "the key file to create") var out: String
        @Flag(help: "replace an existing file") var force = false

        func run() async throws {
            if !force, FileManager.default.fileExists(atPath: out) { throw ValidationError("\(out) exists; use --force to replace it") }
            let key = Curve25519.Signing.PrivateKey()
            let file = DeviceKeyFile(
                privateKey: Base64URL.encode(key.rawRepresentation),
                publicKey: Base64URL.encode(key.publicKey.rawRepresentation)
            )
            let data = try JSONEncoder().encode(file)
            guard FileManager.default.createFile(atPath: out, contents: data, attributes: [.posixPermissions: 0o600]) else {
                throw ValidationError("cannot write \(out)")
            }
            print(file.publicKey)
        }
    }
}

/// `dojopool token device`: the device side of the sign-in (ask for a nonce, sign it, get a camera
/// token), for camera nodes and tests. Prints the access token.
struct Token: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Get access tokens.", subcommands: [DeviceToken.self])

    struct DeviceToken: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "device", abstract: "Sign a device in: challenge, signature, camera token.")
        @Option(help: "the device key file (dojopool device keygen)") var key: String
        @Option(help: "the device id the venue admin registered") var device: String
        @Option(help: "the server's base URL") var url = "http://127.0.0.1:8080"
        @Flag(help: "print the whole answer as JSON") var json = false

        func run() async throws {
            guard let data = FileManager.default.contents(atPath: key),
                let file = try? JSONDecoder().decode(DeviceKeyFile.self, from: data),
                let seed = Base64URL.decode(file.privateKey)
            else { throw ValidationError("\(key) is not a device key file") }
            let privateKey = try Curve25519.Signing.PrivateKey(rawRepresentation: seed)
            let challenge = try await post("/v1/devices/token", ["deviceId": device])
            guard let nonce = challenge["nonce"] as? String else { throw ValidationError("no nonce in \(challenge)") }
            let signature = try privateKey.signature(for: Data(("dojopool-device-token:" + nonce).utf8))
            let answer = try await post("/v1/devices/token", ["deviceId": device, "nonce": nonce, "signature": Base64URL.encode(signature)])
            if json {
                print(String(decoding: try JSONSerialization.data(withJSONObject: answer, options: [.sortedKeys]), as: UTF8.self))
            } else {
                guard let token = answer["accessToken"] as? String else { throw ValidationError("no token in \(answer)") }
                print(token)
            }
        }

        private func post(_ path: String, _ body: [String: String]) async throws -> [String: Any] {
            guard let endpoint = URL(string: url + path) else { throw ValidationError("bad --url \(url)") }
            var request = URLRequest(url: endpoint)
            request.httpMethod = "POST"
            request.timeoutInterval = 15
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = try JSONSerialization.data(withJSONObject: body)
            let (data, response) = try await URLSession.shared.data(for: request)
            let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
            guard (response as? HTTPURLResponse)?.statusCode == 200 else {
                let error = object["error"] as? [String: Any]
                throw ValidationError(
                    "\(path): \(error?["code"] as? String ?? "error"): \(error?["message"] as? String ?? String(decoding: data, as: UTF8.self))"
                )
            }
            return object
        }
    }
}

struct DeviceKeyFile: Codable {
    /// The Ed25519 private key (its 32-byte seed), base64url.
    var privateKey: String
    /// The public key to register, base64url.
    var publicKey: String
}
