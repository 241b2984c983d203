import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Runs a command to completion and captures its output.
public enum Shell {
    public struct Result: Sendable {
        public let status: Int32
        public let output: String
        public let errorOutput: String
    }

    /// With a `timeout`, a command still running when it passes is killed (SIGKILL) and the call
    /// throws: a test that must not hang fails instead.
    public static func run(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil,
        currentDirectory: String? = nil, timeout: Duration? = nil
    ) async throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        if let currentDirectory { process.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }
        let directory = try TestEnvironment.makeTemporaryDirectory("shell")
        defer { TestEnvironment.removeTree(directory) }
        let outPath = directory + "/out"
        let errPath = directory + "/err"
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Poll rather than block: a blocked thread would starve the cooperative pool.
        let deadline = timeout.map { ContinuousClock.now + $0 }
        while process.isRunning {
            if let deadline, let timeout, ContinuousClock.now >= deadline {
                kill(process.processIdentifier, SIGKILL)
                while process.isRunning { try await Task.sleep(for: .milliseconds(10)) }
                let errorOutput = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
                throw TestSupportError(
                    "\(executable) \(arguments.joined(separator: " ")) was still running after \(timeout) (killed):\n\(errorOutput)"
                )
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        let output = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        let errorOutput = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        return Result(status: process.terminationStatus, output: output, errorOutput: errorOutput)
    }
}

extension Shell {
    /// Runs a short command synchronously (for tests that are not async); returns the exit status.
    public static func runSync(_ executable: String, _ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }
}
