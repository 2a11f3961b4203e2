import ArgumentParser
import DojoAPI
import Foundation

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
        }
    }
}
