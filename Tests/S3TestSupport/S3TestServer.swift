import Foundation
import Logging
import S3Client
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A real S3 server on loopback for a test: `rclone serve s3` (verifies SigV4 and Content-MD5)
/// or `moto_server` (AWS-faithful errors and multipart ETags). Started per test and stopped after.
public struct S3TestServer: StoppableService {
    public enum Kind: String, Sendable {
        case rclone
        case moto
    }

    public static let accessKeyID = "AKIDS3SYNCTEST"
    public static let secretAccessKey = "s3sync-test-secret-0123456789abcdef"

    public let kind: Kind
    public let endpointURL: String
    public let port: Int
    /// rclone's data directory (objects are files under `dataDirectory/bucket/`).
    public let dataDirectory: String
    public let workDirectory: String
    let launch: Launch
    let current: ServerProcess

    public var credentials: AWSCredentials {
        AWSCredentials(accessKeyID: Self.accessKeyID, secretAccessKey: Self.secretAccessKey)
    }

    /// Environment for running the s3sync binary or boto3 against this server.
    public var environment: [String: String] {
        [
            "AWS_ACCESS_KEY_ID": Self.accessKeyID, "AWS_SECRET_ACCESS_KEY": Self.secretAccessKey,
            "AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": endpointURL,
        ]
    }

    public var log: String { current.process.log }

    /// Starts a server, runs `body`, stops the server.
    public static func with<Result: Sendable>(
        _ kind: Kind, tls: TLSMaterial? = nil, extraArguments: [String] = [],
        _ body: (S3TestServer) async throws -> Result
    ) async throws -> Result {
        let server = try await start(kind, tls: tls, extraArguments: extraArguments)
        return try await server.serving(body)
    }

    public static func start(_ kind: Kind, tls: TLSMaterial? = nil, extraArguments: [String] = []) async throws
        -> S3TestServer
    {
        let work = try TestEnvironment.makeTemporaryDirectory("\(kind.rawValue)")
        let data = work + "/data"
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        var lastError: (any Error)?
        for _ in 0..<3 {
            let port = try TestEnvironment.freePort()
            let launch = Launch(
                kind: kind, port: port, workDirectory: work, dataDirectory: data, tls: tls,
                extraArguments: extraArguments)
            let process = try launch.spawn()
            do {
                try await TestEnvironment.waitForPort(port)
                let scheme = tls == nil ? "http" : "https"
                return S3TestServer(
                    kind: kind, endpointURL: "\(scheme)://127.0.0.1:\(port)", port: port, dataDirectory: data,
                    workDirectory: work, launch: launch, current: ServerProcess(process))
            } catch {
                lastError = TestSupportError("\(kind) did not start: \(error)\n\(process.log)")
                await process.stop()
            }
        }
        throw lastError ?? TestSupportError("\(kind) did not start")
    }

    public func stop() async {
        await current.process.stop()
        TestEnvironment.removeTree(workDirectory)
    }

    /// Kills the server with SIGKILL, as a crash would: connections break mid-request and
    /// nothing is flushed. ``restart()`` brings it back on the same port and data directory.
    public func crash() async {
        let process = current.process
        process.signal(SIGKILL)
        _ = await process.wait(timeout: .seconds(10))
    }

    /// Starts the server again on the same port and data directory (after ``crash()``); what it
    /// kept only in memory, such as rclone's multipart uploads in progress, is gone.
    public func restart() async throws {
        await current.process.stop()
        var lastError: (any Error)?
        // The port may take a moment to be free again.
        for _ in 0..<20 {
            let process = try launch.spawn(generation: current.nextGeneration())
            do {
                try await TestEnvironment.waitForPort(port, timeout: .seconds(5))
                if process.isRunning {
                    current.process = process
                    return
                }
            } catch {
                lastError = error
            }
            await process.stop()
            try await Task.sleep(for: .milliseconds(250))
        }
        throw TestSupportError("\(kind) did not restart on port \(port): \(lastError.map { "\($0)" } ?? "")\n\(log)")
    }

    /// A client for this server.
    public func makeClient(
        checksum: ChecksumAlgorithm = .crc32c, secret: String? = nil, caBundle: String? = nil,
        retry: RetryConfiguration = RetryConfiguration(), endpointURL: String? = nil,
        configure: (inout S3ClientConfiguration) -> Void = { _ in }
    ) throws -> S3Client {
        var configuration = S3ClientConfiguration(
            region: "us-east-1", endpoint: try S3Endpoint(url: endpointURL ?? self.endpointURL),
            credentialProvider: StaticCredentialProvider(
                AWSCredentials(accessKeyID: Self.accessKeyID, secretAccessKey: secret ?? Self.secretAccessKey)),
            checksumAlgorithm: checksum, retry: retry, caBundlePath: caBundle)
        configure(&configuration)
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        return try S3Client(configuration: configuration, logger: logger)
    }

    /// Creates a bucket through the S3 API (rclone caches its directory listing, so never mkdir).
    public func createBucket(_ name: String = TestEnvironment.uniqueBucketName()) async throws -> String {
        let client = try makeClient()
        do {
            try await client.createBucket(name)
            try await client.shutdown()
        } catch {
            try? await client.shutdown()
            throw error
        }
        return name
    }
}

extension S3Client {
    /// Runs `body` with the client and shuts it down afterwards.
    public func using<Result: Sendable>(_ body: (S3Client) async throws -> Result) async throws -> Result {
        do {
            let result = try await body(self)
            try await shutdown()
            return result
        } catch {
            try? await shutdown()
            throw error
        }
    }
}

extension S3TestServer {
    /// How to start the server process, kept to start it again the same way.
    struct Launch: Sendable {
        let kind: Kind
        let port: Int
        let workDirectory: String
        let dataDirectory: String
        let tls: TLSMaterial?
        let extraArguments: [String]

        /// - Parameter generation: 0 for the first start; restarts log to `server-N.log`.
        func spawn(generation: Int = 0) throws -> ChildProcess {
            let logPath = workDirectory + (generation == 0 ? "/server.log" : "/server-\(generation).log")
            var environment = ProcessInfo.processInfo.environment
            switch kind {
            case .rclone:
                environment["RCLONE_CONFIG"] = workDirectory + "/rclone.conf"
                var arguments = [
                    "serve", "s3", "--auth-key", "\(accessKeyID),\(secretAccessKey)", "--addr", "127.0.0.1:\(port)",
                    "--log-level", "NOTICE",
                ]
                if let tls { arguments += ["--cert", tls.certificatePath, "--key", tls.keyPath] }
                arguments += extraArguments + [dataDirectory]
                return try ChildProcess(
                    executable: try TestEnvironment.tool("rclone"), arguments: arguments, environment: environment,
                    logPath: logPath)
            case .moto:
                environment["MOTO_ALLOW_NONEXISTENT_REGION"] = "true"
                return try ChildProcess(
                    executable: try TestEnvironment.tool("moto_server"),
                    arguments: ["-H", "127.0.0.1", "-p", String(port)] + extraArguments, environment: environment,
                    logPath: logPath)
            }
        }
    }
}
