import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Runs `/bin/sh -c COMMAND` and collects its output, for `credential_process`.
///
/// Spawned with `posix_spawn` rather than Foundation's `Process`, because the child must start
/// with no blocked signals and default signal handlers: a child of a thread pool thread would
/// otherwise inherit that thread's blocked SIGTERM/SIGINT and could not be stopped. Output is read
/// and the exit awaited on threads of their own; cancelling the task sends SIGTERM.
enum ShellCommand {
    struct Output: Sendable {
        var status: Int32
        var output: [UInt8]
        var errorOutput: [UInt8]
    }

    /// Runs the command and waits for it to exit.
    /// - Returns: the exit status (128 + the signal number when killed by a signal) and output.
    /// - Throws: ``S3ClientError`` (credentials) when the shell cannot be started.
    static func run(_ command: String, environment: [String: String], source: String) async throws -> Output {
        let (child, outputDescriptor, errorDescriptor) = try spawnLock.withLock { _ in
            try spawn(command, environment: environment, source: source)
        }
        return try await withTaskCancellationHandler {
            async let output = readToEnd(outputDescriptor)
            async let errorOutput = readToEnd(errorDescriptor)
            async let status = waitForExit(child)
            let result = await Output(status: status, output: output, errorOutput: errorOutput)
            try Task.checkCancellation()
            return result
        } onCancel: {
            kill(child, SIGTERM)
        }
    }

    /// Held from creating the pipes to closing the child's ends, so two commands started at once
    /// never inherit each other's pipes.
    private static let spawnLock = Mutex(())

    /// Starts the shell; returns its pid and the read ends of its stdout and stderr pipes.
    private static func spawn(_ command: String, environment: [String: String], source: String) throws(S3ClientError)
        -> (pid_t, Int32, Int32)
    {
        var outputPipe: [Int32] = [-1, -1]
        var errorPipe: [Int32] = [-1, -1]
        guard pipe(&outputPipe) == 0 else {
            throw S3ClientError(.credentials, "\(source): cannot create a pipe (errno \(errno))")
        }
        guard pipe(&errorPipe) == 0 else {
            close(outputPipe[0])
            close(outputPipe[1])
            throw S3ClientError(.credentials, "\(source): cannot create a pipe (errno \(errno))")
        }
        // Keep the pipes out of other children spawned meanwhile; dup2 clears the flag for ours.
        for descriptor in outputPipe + errorPipe { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }

        #if canImport(Darwin)
            var actions: posix_spawn_file_actions_t? = nil
            var attributes: posix_spawnattr_t? = nil
        #else
            var actions = posix_spawn_file_actions_t()
            var attributes = posix_spawnattr_t()
        #endif
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, outputPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errorPipe[1], 2)

        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaultSignals = sigset_t()
        sigemptyset(&defaultSignals)
        for signal in [SIGHUP, SIGINT, SIGQUIT, SIGPIPE, SIGALRM, SIGTERM, SIGCHLD, SIGUSR1, SIGUSR2] {
            sigaddset(&defaultSignals, signal)
        }
        posix_spawnattr_setsigdefault(&attributes, &defaultSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argumentStrings: [String] = ["/bin/sh", "-c", command]
        let arguments = argumentStrings.map { strdup($0) }
        let variables = environment.map { strdup("\($0.key)=\($0.value)") }
        defer {
            for pointer in arguments + variables { free(pointer) }
        }
        var pid = pid_t()
        let spawned = (arguments + [nil]).withUnsafeBufferPointer { argv in
            (variables + [nil]).withUnsafeBufferPointer { envp in
                posix_spawn(&pid, "/bin/sh", &actions, &attributes, argv.baseAddress!, envp.baseAddress!)
            }
        }
        close(outputPipe[1])
        close(errorPipe[1])
        guard spawned == 0 else {
            close(outputPipe[0])
            close(errorPipe[0])
            throw S3ClientError(.credentials, "\(source): cannot start /bin/sh (errno \(spawned))")
        }

        return (pid, outputPipe[0], errorPipe[0])
    }

    /// Runs a blocking call on a thread of its own, so it neither occupies the cooperative pool
    /// nor waits for a free thread in a bounded one.
    private static func onOwnThread<Result: Sendable>(_ body: @escaping @Sendable () -> Result) async -> Result {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: body()) }
        }
    }

    private static func readToEnd(_ descriptor: Int32) async -> [UInt8] {
        await onOwnThread {
            var bytes: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 16 << 10)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                if count > 0 {
                    bytes.append(contentsOf: buffer[0..<count])
                } else if count < 0 && errno == EINTR {
                    continue
                } else {
                    break
                }
            }
            close(descriptor)
            return bytes
        }
    }

    private static func waitForExit(_ pid: pid_t) async -> Int32 {
        await onOwnThread {
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 {
                guard errno == EINTR else { return -1 }
            }
            let signal = status & 0x7f
            return signal == 0 ? (status >> 8) & 0xff : 128 + signal
        }
    }
}
