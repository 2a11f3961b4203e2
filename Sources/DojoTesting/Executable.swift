public import Foundation

/// Finds the built `dojopool` executable next to the test bundle (SwiftPM builds it because the test
/// target depends on it), for tests that run the real server as a child process.
public enum DojoPoolExecutable {
    /// Not built, or not where the test bundle is.
    public struct NotFound: Error, CustomStringConvertible {
        public var description: String { "the dojopool executable was not found next to the test bundle" }
    }

    /// The executable's URL.
    public static func url() throws -> URL {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("dojopool")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        throw NotFound()
    }

    /// The outcome of a finished run.
    public struct Outcome: Sendable {
        /// The exit status.
        public var status: Int32
        /// Everything written to standard output.
        public var standardOutput: String
        /// Everything written to standard error.
        public var standardError: String
    }

    /// Runs `dojopool` with `arguments` and `environment` (added to a minimal one) to completion.
    public static func run(_ arguments: [String], environment: [String: String] = [:], directory: String? = nil) throws -> Outcome {
        let process = try launch(arguments, environment: environment, directory: directory)
        let output = (process.standardOutput as! Pipe).fileHandleForReading.readDataToEndOfFile()
        let error = (process.standardError as! Pipe).fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(
            status: process.terminationStatus,
            standardOutput: String(decoding: output, as: UTF8.self),
            standardError: String(decoding: error, as: UTF8.self)
        )
    }

    /// Starts `dojopool` with pipes for its output; the caller waits for it.
    public static func launch(_ arguments: [String], environment: [String: String] = [:], directory: String? = nil) throws -> Process {
        let process = Process()
        process.executableURL = try url()
        process.arguments = arguments
        var base = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]
        base.merge(environment) { _, new in new }
        process.environment = base
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        process.standardOutput = Pipe()
        process.standardError = Pipe()
        try process.run()
        return process
    }
}
