import Foundation

/// The built `s3sync` executable, run as a real child process the way cron would run it.
public struct S3SyncBinary: Sendable {
    /// The outcome of one run.
    public struct Run: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String

        public init(status: Int32, stdout: String, stderr: String) {
            self.status = status
            self.stdout = stdout
            self.stderr = stderr
        }

        /// The `--json` summary printed on stdout.
        public var summary: [String: Any] {
            guard let line = stdout.split(separator: "\n").last(where: { $0.hasPrefix("{") }),
                let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            else { return [:] }
            return object
        }

        public func int(_ key: String) -> Int? { (summary[key] as? NSNumber)?.intValue }
        public func string(_ key: String) -> String? { summary[key] as? String }
        public func double(_ key: String) -> Double? { (summary[key] as? NSNumber)?.doubleValue }
    }

    /// `S3SYNC_TEST_BINARY` if set (to run the suite against the release binary), else the one
    /// next to the test bundle in the build directory.
    public static var path: String {
        if let path = ProcessInfo.processInfo.environment["S3SYNC_TEST_BINARY"], !path.isEmpty { return path }
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidate = bundle.appendingPathComponent("s3sync").path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        return TestEnvironment.packageRoot + "/.build/debug/s3sync"
    }

    public let environment: [String: String]

    /// - Parameter environment: added to a minimal environment (PATH, HOME pointing at a temp dir).
    public init(environment: [String: String], home: String) {
        var base: [String: String] = [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": home,
            "AWS_EC2_METADATA_DISABLED": "true",
        ]
        for (key, value) in environment { base[key] = value }
        self.environment = base
    }

    /// Runs to completion.
    public func run(_ arguments: [String], extraEnvironment: [String: String] = [:]) async throws -> Run {
        var environment = self.environment
        for (key, value) in extraEnvironment { environment[key] = value }
        let result = try await Shell.run(Self.path, arguments, environment: environment)
        return Run(status: result.status, stdout: result.output, stderr: result.errorOutput)
    }

    /// Starts a run in the background (to signal it).
    public func start(_ arguments: [String], logPath: String) throws -> ChildProcess {
        try ChildProcess(executable: Self.path, arguments: arguments, environment: environment, logPath: logPath)
    }
}
