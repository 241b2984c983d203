import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOSSL
import Synchronization

/// A client for the S3 API: signs with SigV4, retries with backoff and a shared rate limiter,
/// and sends everything through one pooled HTTP client.
///
/// Create one per process and share it; copies are cheap and share the connection pool, the
/// credential cache and the retry state. Call ``shutdown()`` when done, or use
/// ``withClient(configuration:logger:_:)``.
///
/// ```swift
/// let config = S3ClientConfiguration(
///     endpoint: try S3Endpoint(url: "http://127.0.0.1:9000"),
///     credentialProvider: EnvironmentCredentialProvider(environment: ProcessInfo.processInfo.environment))
/// try await S3Client.withClient(configuration: config) { s3 in
///     try await s3.putObject(bucket: "photos", key: "2024/cat.jpg", body: .file(slice))
/// }
/// ```
public struct S3Client: Sendable {
    public let configuration: S3ClientConfiguration
    public let logger: Logger
    let http: HTTPClient
    let shared: SharedState

    /// State shared by all copies of a client.
    final class SharedState: Sendable {
        let credentials: CredentialCache
        let retry: RetryCoordinator
        let bucketRegions = Mutex<[String: String]>([:])
        let clockSkewSeconds = Mutex<Double>(0)
        let signingKeys = Mutex<[String: SigV4Signer.SigningKey]>([:])
        let ownsHTTPClient: Bool

        init(credentials: CredentialCache, retry: RetryCoordinator, ownsHTTPClient: Bool) {
            self.credentials = credentials
            self.retry = retry
            self.ownsHTTPClient = ownsHTTPClient
        }
    }

    /// Creates a client with its own connection pool.
    /// - Throws: ``S3ClientError`` (configuration) when the CA bundle cannot be read.
    public init(
        configuration: S3ClientConfiguration, logger: Logger = Logger(label: "s3sync.s3client"),
        retryCoordinator: RetryCoordinator? = nil
    ) throws(S3ClientError) {
        var tls = TLSConfiguration.makeClientConfiguration()
        if configuration.endpoint.scheme == "https", !Self.systemTrustRoots.isEmpty {
            tls.trustRoots = .certificates(Self.systemTrustRoots)
        }
        // Only an HTTPS endpoint needs the bundle (parsing one costs tens of milliseconds).
        if let path = configuration.caBundlePath, configuration.endpoint.scheme == "https" {
            do {
                let certificates = try NIOSSLCertificate.fromPEMFile(path)
                guard !certificates.isEmpty else {
                    throw S3ClientError(.configuration, "the CA bundle \(path) holds no PEM certificate")
                }
                tls.additionalTrustRoots = [.certificates(certificates)]
            } catch let error as S3ClientError {
                throw error
            } catch {
                throw S3ClientError(
                    .configuration, "cannot read the CA bundle \(path): \(error)")
            }
        }
        if !configuration.verifyTLS { tls.certificateVerification = .none }
        var httpConfiguration = HTTPClient.Configuration(
            tlsConfiguration: tls,
            redirectConfiguration: .disallow,
            timeout: .init(
                connect: .nanoseconds(configuration.connectTimeout.nanoseconds),
                read: .nanoseconds(configuration.readTimeout.nanoseconds),
                write: .nanoseconds(configuration.writeTimeout.nanoseconds)),
            decompression: .disabled)
        httpConfiguration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit =
            configuration.maxConnectionsPerHost
        httpConfiguration.connectionPool.idleTimeout = .seconds(30)
        // Connection failures surface at once; the retry policy decides what to do with them.
        httpConfiguration.connectionPool.retryConnectionEstablishment = false
        httpConfiguration.httpVersion = .http1Only
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: httpConfiguration)
        self.configuration = configuration
        self.logger = logger
        self.http = http
        self.shared = SharedState(
            credentials: CredentialCache(provider: configuration.credentialProvider),
            retry: retryCoordinator ?? RetryCoordinator(configuration: configuration.retry),
            ownsHTTPClient: true)
    }

    /// The system's trust store (where NIOSSL looks for it on Linux), parsed once per process.
    /// AsyncHTTPClient builds a TLS context for every connection it opens until the first one is
    /// cached, and a context given the default roots parses the whole store again: about 0.8 MB
    /// for each connection of a burst (21 at the start of a no-op push cost 17 MB). Contexts given
    /// these certificates share them instead. Empty where no store file is found, and then the
    /// default roots are used.
    static let systemTrustRoots: [NIOSSLCertificate] = {
        for path in ["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt"]
        where FileManager.default.fileExists(atPath: path) {
            if let certificates = try? NIOSSLCertificate.fromPEMFile(path), !certificates.isEmpty {
                return certificates
            }
        }
        return []
    }()

    /// Closes the connection pool. The client cannot be used afterwards.
    public func shutdown() async throws {
        if shared.ownsHTTPClient { try await http.shutdown() }
    }

    /// Runs `body` with a new client and shuts it down afterwards, also when `body` throws.
    public static func withClient<Result: Sendable>(
        configuration: S3ClientConfiguration, logger: Logger = Logger(label: "s3sync.s3client"),
        _ body: (S3Client) async throws -> Result
    ) async throws -> Result {
        let client = try S3Client(configuration: configuration, logger: logger)
        do {
            let result = try await body(client)
            try await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    /// Counters of attempts, retries, throttles and time spent backing off, for this client.
    public var retryStatistics: RetryCoordinator.Statistics { shared.retry.statistics }
    /// The retry state shared by this client's requests.
    public var retryCoordinator: RetryCoordinator { shared.retry }

    /// The credentials the client signs with now (loading them if needed). Use to check early that
    /// credentials are configured.
    public func currentCredentials() async throws -> AWSCredentials {
        try await shared.credentials.credentials()
    }

    /// The region requests for this bucket are signed for (learned from redirects).
    public func region(for bucket: String?) -> String {
        guard let bucket else { return configuration.region }
        return shared.bucketRegions.withLock { $0[bucket] } ?? configuration.region
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
