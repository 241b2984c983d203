import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A child process started by a test, its output going to a log file; stopped with a signal.
public final class ChildProcess: @unchecked Sendable {
    public let process: Process
    public let logPath: String

    /// Starts `executable` with `arguments`; stdout and stderr go to `logPath`.
    public init(
        executable: String, arguments: [String], environment: [String: String]? = nil, logPath: String,
        currentDirectory: String? = nil, stdinPath: String? = nil
    ) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        if let currentDirectory { process.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardOutput = log
        process.standardError = log
        if let stdinPath {
            process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: stdinPath))
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        try process.run()
        self.process = process
        self.logPath = logPath
    }

    public var pid: Int32 { process.processIdentifier }
    public var isRunning: Bool { process.isRunning }

    /// Sends a signal (SIGTERM, SIGKILL, SIGINT, ...).
    public func signal(_ signal: Int32) {
        if process.isRunning { kill(process.processIdentifier, signal) }
    }

    /// Waits for the exit, polling; returns the exit status, or `nil` on timeout.
    public func wait(timeout: Duration) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now >= deadline { return nil }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return process.terminationStatus
    }

    /// How the process ended: `.exit` or `.uncaughtSignal`.
    public var terminationReason: Process.TerminationReason { process.terminationReason }

    /// Stops the process: SIGTERM, then SIGKILL after a grace period.
    public func stop() async {
        guard process.isRunning else { return }
        signal(SIGTERM)
        if await wait(timeout: .seconds(5)) == nil {
            signal(SIGKILL)
            _ = await wait(timeout: .seconds(5))
        }
    }

    public var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Starts a server script that takes `--port-file PATH` and writes the port it listens on
    /// there once ready; returns the process and the port, or throws with its log.
    static func startListening(name: String, executable: String, arguments: [String], workDirectory: String)
        async throws -> (ChildProcess, Int)
    {
        let portFile = workDirectory + "/port"
        let process = try ChildProcess(
            executable: executable, arguments: arguments + ["--port-file", portFile],
            logPath: workDirectory + "/process.log")
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            if let text = try? String(contentsOfFile: portFile, encoding: .utf8),
                let port = Int(text.trimmingCharacters(in: .whitespacesAndNewlines))
            {
                return (process, port)
            }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        await process.stop()
        let log = process.log
        TestEnvironment.removeTree(workDirectory)
        throw TestSupportError("\(name) did not start:\n\(log)")
    }
}
