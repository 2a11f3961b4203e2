import Synchronization

#if canImport(Glibc)
public import Glibc
#endif

/// Child processes for tests, through `posix_spawn`, without Foundation's `Process`: on Linux its
/// `run()` reads `/proc/self/fd` with a 256-byte over-read of each directory entry and crashes now
/// and then in a process with many open descriptors (swift-corelibs-foundation#5472, fixed after
/// the Swift 6.3.1 this project builds with) — a test suite of servers and sockets is exactly that.
///
/// The child gets standard input from `/dev/null`, standard output and error appended to files,
/// only descriptors 0–2 (the rest closed), its own working directory when given, and the
/// environment given (or this process's). Its exit is awaited on a thread of its own (`waitpid`),
/// never on the cooperative pool.
public final class SpawnedProcess: Sendable {
    /// The child's process id.
    public let pid: pid_t
    private let state = Mutex<(status: Int32?, waiters: [CheckedContinuation<Int32, Never>])>((nil, []))

    /// A child that could not be started.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    private init(pid: pid_t) { self.pid = pid }

    /// Starts `executable` (a path) with `arguments`.
    public static func start(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String]? = nil,
        directory: String? = nil,
        standardOutput: String,
        standardError: String
    ) throws -> SpawnedProcess {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, standardOutput, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, standardError, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        guard let closeFrom = Self.closeFrom, let changeDirectory = Self.changeDirectory else {
            throw Failure(description: "this C library lacks posix_spawn_file_actions_addclosefrom_np or _addchdir_np (glibc 2.34 or later)")
        }
        _ = closeFrom(&actions, 3)
        if let directory { _ = directory.withCString { changeDirectory(&actions, $0) } }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // The child starts with no signal blocked and every signal at its default.
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let environmentLines = environment.map { $0.map { "\($0.key)=\($0.value)" } }
        let pid = try withCStrings([executable] + arguments) { argv in
            try withOptionalCStrings(environmentLines) { envp in
                var pid: pid_t = 0
                let result =
                    if let envp {
                        posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
                    } else {
                        posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
                    }
                guard result == 0 else { throw Failure(description: "cannot start \(executable): \(String(cString: strerror(result)))") }
                return pid
            }
        }
        let child = SpawnedProcess(pid: pid)
        let waiter = Thread { child.waitForExit() }
        waiter.start()
        return child
    }

    /// Sends `signal` (SIGTERM by default), unless the child has exited.
    public func signal(_ signal: Int32 = SIGTERM) {
        guard state.withLock({ $0.status == nil }) else { return }
        kill(pid, signal)
    }

    /// The exit status once the child has exited (128 + the signal's number when a signal ended it).
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

    /// Blocks the calling thread until the child has exited (for synchronous callers such as a
    /// static initializer; never from a task: it does not need the cooperative pool to wake).
    public func waitUntilExit() -> Int32 {
        while true {
            if let status = state.withLock({ $0.status }) { return status }
            usleep(2_000)
        }
    }

    private func waitForExit() {
        var raw: Int32 = 0
        while waitpid(pid, &raw, 0) == -1 && errno == EINTR {}
        let signaled = raw & 0x7f
        let status = signaled == 0 ? (raw >> 8) & 0xff : 128 + signaled
        let waiters = state.withLock { state -> [CheckedContinuation<Int32, Never>] in
            state.status = status
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: status) }
    }

    private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private typealias ChangeDirectory = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
    private static let closeFrom: CloseFrom? = symbol("posix_spawn_file_actions_addclosefrom_np")
    private static let changeDirectory: ChangeDirectory? = symbol("posix_spawn_file_actions_addchdir_np")

    private static func symbol<T>(_ name: String) -> T? {
        guard let address = dlsym(dlopen(nil, RTLD_NOW), name) else { return nil }
        return unsafeBitCast(address, to: T.self)
    }
}

/// A thread that runs one closure (the waiter of a child).
private final class Thread: Sendable {
    private let body: @Sendable () -> Void
    init(_ body: @escaping @Sendable () -> Void) { self.body = body }

    func start() {
        var thread = pthread_t()
        let box = Unmanaged.passRetained(self).toOpaque()
        pthread_create(
            &thread,
            nil,
            { argument in
                let thread = Unmanaged<Thread>.fromOpaque(argument!).takeRetainedValue()
                thread.body()
                return nil
            },
            box
        )
        pthread_detach(thread)
    }
}

private func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) throws -> R) rethrows -> R {
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    defer {
        for pointer in pointers { free(pointer) }
    }
    pointers.append(nil)
    return try body(pointers)
}

private func withOptionalCStrings<R>(_ strings: [String]?, _ body: ([UnsafeMutablePointer<CChar>?]?) throws -> R) rethrows -> R {
    guard let strings else { return try body(nil) }
    return try withCStrings(strings) { try body($0) }
}
