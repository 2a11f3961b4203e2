public import Foundation

/// Runs the built `dojopool` executable (SwiftPM builds it next to the test bundle because the test
/// target depends on it) as a child process, for tests of the real server.
///
/// Children are spawned without Foundation's `Process` (``SpawnedProcess`` says why), write to
/// files, not pipes, and their exits are awaited on a thread of their own: a test never blocks a
/// thread of the (small) cooperative pool, and a pipe inherited by another child can never keep a
/// reader waiting.
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
    public static func run(_ arguments: [String], environment: [String: String] = [:], directory: String? = nil) async throws -> Outcome {
        let child = try start(arguments, environment: environment, directory: directory)
        let status = await child.exitStatus()
        return Outcome(status: status, standardOutput: child.standardOutput, standardError: child.standardError)
    }

    /// Starts `dojopool`; its output goes to files in a new temporary folder.
    public static func start(_ arguments: [String], environment: [String: String] = [:], directory: String? = nil) throws -> Child {
        let folder = try TestServices.temporaryDirectory()
        let outputPath = folder + "/stdout.log"
        let errorPath = folder + "/stderr.log"
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errorPath, contents: nil)
        var base = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]
        base.merge(environment) { _, new in new }
        let process = try SpawnedProcess.start(
            try url().path,
            arguments,
            environment: base,
            directory: directory,
            standardOutput: outputPath,
            standardError: errorPath
        )
        let child = Child(process: process, outputPath: outputPath, errorPath: errorPath)
        return child
    }

    /// A running child process.
    public final class Child: Sendable {
        private let process: SpawnedProcess
        let outputPath: String
        let errorPath: String

        init(process: SpawnedProcess, outputPath: String, errorPath: String) {
            self.process = process
            self.outputPath = outputPath
            self.errorPath = errorPath
        }

        /// Everything written to standard output so far.
        public var standardOutput: String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }
        /// Everything written to standard error so far.
        public var standardError: String { (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? "" }

        /// The process's id (for a test's helper that signals it itself).
        public var pid: Int32 { process.pid }

        /// Sends `signal` (SIGTERM by default).
        public func signal(_ signal: Int32 = SIGTERM) { process.signal(signal) }

        /// Waits for the process to exit and returns its status.
        public func exitStatus() async -> Int32 { await process.exitStatus() }
    }
}
