public import Foundation
import Synchronization

/// Runs the built `dojopool` executable (SwiftPM builds it next to the test bundle because the test
/// target depends on it) as a child process, for tests of the real server.
///
/// Children write to files, not pipes, and exits are awaited through `terminationHandler`: a test
/// never blocks a thread of the (small) cooperative pool, and a pipe inherited by another child
/// can never keep a reader waiting.
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
        let process = Process()
        process.executableURL = try url()
        process.arguments = arguments
        var base = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]
        base.merge(environment) { _, new in new }
        process.environment = base
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errorPath))
        let child = Child(process: process, outputPath: outputPath, errorPath: errorPath)
        process.terminationHandler = { process in child.exited(process.terminationStatus) }
        try process.run()
        return child
    }

    /// A running child process.
    public final class Child: Sendable {
        private struct State {
            var status: Int32?
            var waiters: [CheckedContinuation<Int32, Never>] = []
        }

        // Safe: `Process` is used here only to send signals and read its pid, both thread-safe.
        private struct ProcessBox: @unchecked Sendable { let process: Process }
        private let box: ProcessBox
        private let state = Mutex(State())
        let outputPath: String
        let errorPath: String

        init(process: Process, outputPath: String, errorPath: String) {
            self.box = ProcessBox(process: process)
            self.outputPath = outputPath
            self.errorPath = errorPath
        }

        /// Everything written to standard output so far.
        public var standardOutput: String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }
        /// Everything written to standard error so far.
        public var standardError: String { (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? "" }

        /// Sends `signal` (SIGTERM by default).
        public func signal(_ signal: Int32 = SIGTERM) { kill(box.process.processIdentifier, signal) }

        /// Waits for the process to exit and returns its status.
        public func exitStatus() async -> Int32 {
            await withCheckedContinuation { continuation in
                let status = state.withLock { state -> Int32? in
                    if let status = state.status { return status }
                    state.waiters.append(continuation)
                    return nil
                }
                if let status { continuation.resume(returning: status) }
            }
        }

        fileprivate func exited(_ status: Int32) {
            let waiters = state.withLock { state -> [CheckedContinuation<Int32, Never>] in
                state.status = status
                defer { state.waiters = [] }
                return state.waiters
            }
            for waiter in waiters { waiter.resume(returning: status) }
        }
    }
}
