import ArgumentParser
import DojoAPI
import DojoServer
import Foundation

/// `dojopool bench-auth`: what signing in and checking a token cost on this machine.
struct BenchAuth: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-auth",
        abstract: "Benchmark Argon2id password hashing, EdDSA token signing and verification, device signature checks."
    )

    @Option(help: "Seconds measured per operation.") var seconds = 5.0
    @Option(help: "Concurrent tasks for the verification run (besides one).") var concurrency = ProcessInfo.processInfo.activeProcessorCount
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let results = try await IdentityBenchmark.run(seconds: seconds, concurrency: concurrency)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            for result in results { print(String(decoding: try encoder.encode(result), as: UTF8.self)) }
            return
        }
        print("operation                  tasks        ops/s    µs each (per task)")
        for result in results {
            print(
                result.operation.padding(toLength: 26, withPad: " ", startingAt: 0),
                String(format: "%5d %12.0f %12.1f", result.tasks, result.perSecond, result.microsecondsEach)
            )
        }
    }
}
