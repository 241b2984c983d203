import Foundation

#if canImport(Glibc)
    import Glibc
#endif

extension Shell {
    /// Runs a command to completion, but kills it (SIGKILL) and throws when it is still running
    /// after `timeout`: a test that must not hang fails instead.
    public static func run(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil, timeout: Duration
    ) async throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
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
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now >= deadline {
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
