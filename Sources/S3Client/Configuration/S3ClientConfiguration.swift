/// Everything an ``S3Client`` needs: where to send requests, how to sign them, how to retry and
/// which checksum protects uploads. Load it once and share the client.
public struct S3ClientConfiguration: Sendable {
    /// The signing region (`us-east-1` when nothing else is configured).
    public var region: String
    public var endpoint: S3Endpoint
    public var addressingStyle: AddressingStyle
    public var credentialProvider: any CredentialProvider
    /// Integrity checksum sent with every upload.
    public var checksumAlgorithm: ChecksumAlgorithm
    public var retry: RetryConfiguration
    /// Time allowed to open a connection.
    public var connectTimeout: Duration
    /// Time allowed without a byte from the server once the request was sent.
    public var readTimeout: Duration
    /// Time allowed without a byte written while sending a request.
    public var writeTimeout: Duration
    /// Extra trusted certificates (PEM) besides the system's, from `--ca-bundle` / `AWS_CA_BUNDLE`.
    public var caBundlePath: String?
    /// Turning this off accepts any certificate; only for testing.
    public var verifyTLS: Bool
    /// Connections kept per host; also the most requests in flight to one host.
    public var maxConnectionsPerHost: Int
    /// Size of the chunks an upload body is read and sent in (TLS, a bandwidth limit). The
    /// default, 60 KiB, is four TLS records whose ciphertext still fits the 64 KiB buffers
    /// NIOSSL writes it into (64 KiB of plaintext would make them 128 KiB).
    public var bodyChunkSize: Int
    /// The bytes of request bodies held in memory at once, shared by every request of the
    /// client: chunks read from files (TLS, a bandwidth limit) and bodies read whole by callers
    /// that take their credit here.
    public var bodyMemory = CreditPool(capacity: Self.defaultBodyMemory)
    /// 16 MiB: a few hundred small files or chunks in flight.
    public static let defaultBodyMemory = 16 << 20
    public var userAgent: String
    /// Paces request bodies to a byte rate (`--bwlimit`), shared by all requests.
    public var bandwidthLimiter: ByteRateLimiter?
    /// Told the size of every body chunk as it is handed to the connection (progress display).
    public var bodyBytesObserver: (@Sendable (Int) -> Void)?
    /// An SSE-C key, sent with every request that writes or reads an object's bytes (PutObject,
    /// CreateMultipartUpload, UploadPart, CompleteMultipartUpload, GetObject, HeadObject).
    public var customerKey: CustomerKey?

    public init(
        region: String = "us-east-1",
        endpoint: S3Endpoint? = nil,
        addressingStyle: AddressingStyle = .auto,
        credentialProvider: any CredentialProvider,
        checksumAlgorithm: ChecksumAlgorithm = .crc32c,
        retry: RetryConfiguration = RetryConfiguration(),
        connectTimeout: Duration = .seconds(10),
        readTimeout: Duration = .seconds(60),
        writeTimeout: Duration = .seconds(60),
        caBundlePath: String? = nil,
        verifyTLS: Bool = true,
        maxConnectionsPerHost: Int = 64,
        bodyChunkSize: Int = 60 << 10,
        userAgent: String = "s3sync/0.1"
    ) {
        self.region = region
        self.endpoint = endpoint ?? .aws(region: region)
        self.addressingStyle = addressingStyle
        self.credentialProvider = credentialProvider
        self.checksumAlgorithm = checksumAlgorithm
        self.retry = retry
        self.connectTimeout = connectTimeout
        self.readTimeout = readTimeout
        self.writeTimeout = writeTimeout
        self.caBundlePath = caBundlePath
        self.verifyTLS = verifyTLS
        self.maxConnectionsPerHost = maxConnectionsPerHost
        self.bodyChunkSize = bodyChunkSize
        self.userAgent = userAgent
    }
}
