import ArgumentParser
import DojoAPI
import DojoIdentity
import DojoServer
import DojoStorage
import Foundation
import Logging

/// `dojopool keys generate|rotate`: the Ed25519 keys that sign access tokens (`auth.keys.path`).
struct Keys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage the access-token signing keys.",
        subcommands: [Generate.self, Rotate.self]
    )

    struct Generate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create the signing-keys file (mode 0600).")
        @OptionGroup var options: ConfigurationOptions
        @Flag(help: "Replace an existing file (every token it signed stops being valid).")
        var force = false

        func run() async throws {
            let configuration = try await options.load()
            if !force, try SigningKeyFile.load(path: configuration.keysPath) != nil {
                throw ValidationError("\(configuration.keysPath) exists; use `dojopool keys rotate`, or --force to replace it")
            }
            let file = SigningKeyFile.generate()
            try file.write(path: configuration.keysPath)
            print("keys: created \(configuration.keysPath), signing key \(file.signing)")
            await auditKeyChange(configuration, action: "keys.generated", details: ["kid": file.signing])
        }
    }

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a new signing key; the old ones verify until their tokens expire. Restart the servers to use it."
        )
        @OptionGroup var options: ConfigurationOptions

        func run() async throws {
            let configuration = try await options.load()
            guard var file = try SigningKeyFile.load(path: configuration.keysPath) else {
                throw ValidationError("\(configuration.keysPath) does not exist; use `dojopool keys generate`")
            }
            let previous = file.signing
            file.rotate(keep: Double(configuration.tokenLifetime.components.seconds) + 60)
            try file.write(path: configuration.keysPath)
            print("keys: \(file.signing) signs now; \(previous) and \(file.keys.count - 2 < 0 ? 0 : file.keys.count - 2) older key(s) still verify")
            await auditKeyChange(configuration, action: "keys.rotated", details: ["kid": file.signing, "previous": previous])
        }
    }
}

/// Writes a key change to the audit log of the configured database, when it is reachable and
/// migrated; a key change never fails because of it (it says so on standard error).
func auditKeyChange(_ configuration: ServerConfiguration, action: String, details: [String: String]) async {
    var quiet = configuration
    quiet.logLevel = .error
    do {
        let (logger, _) = bootstrapObservability(quiet)
        let storage = try await openStorage(configuration, logger: logger)
        try await withStorageRunning(storage) {
            try await storage.appendAudit(
                actorID: nil,
                action: action,
                target: details["kid"],
                metadata: details.merging(["source": "dojopool keys"]) { $1 }
            )
        }
    } catch {
        FileHandle.standardError.write(Data("keys: not written to the audit log (\(error)); record this change elsewhere\n".utf8))
    }
}
