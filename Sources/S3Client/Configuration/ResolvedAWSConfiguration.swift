/// What ``AWSConfigurationLoader`` found: credentials, region, endpoint and the client settings
/// a user can put in the environment or a profile, each with where it came from.
public struct ResolvedAWSConfiguration: Sendable {
    /// The profile in use and what chose it (`--profile`, `AWS_PROFILE`, `AWS_DEFAULT_PROFILE` or
    /// the `default` fallback).
    public var profile: ConfiguredValue
    /// The default credential chain. It loads nothing until asked; ``S3Client`` wraps it in a
    /// ``CredentialCache``, which loads once, shares the load between concurrent requests and
    /// refreshes temporary credentials 5 minutes before they expire.
    public var credentialProvider: any CredentialProvider
    /// The signing region.
    public var region: ConfiguredValue
    /// The configured S3 endpoint; `nil` means AWS's regional endpoint.
    public var endpoint: S3Endpoint?
    /// Where ``endpoint`` came from.
    public var endpointSource: String?
    /// `path`, `virtual` or `auto`, from the profile's `s3 =` / `  addressing_style = ...`.
    public var addressingStyle: AddressingStyle
    /// Extra trusted certificates (`--ca-bundle`, `AWS_CA_BUNDLE`, the profile's `ca_bundle`).
    public var caBundlePath: String?
    /// `AWS_MAX_ATTEMPTS` or the profile's `max_attempts`, when set.
    public var maxAttempts: Int?
    /// `AWS_RETRY_MODE` or the profile's `retry_mode` (`legacy` counts as `standard`), when set.
    public var retryMode: RetryConfiguration.Mode?
    /// Oddities in the config files worth a log line (ignored sections, missing files).
    public var warnings: [String]

    public init(
        profile: ConfiguredValue, credentialProvider: any CredentialProvider, region: ConfiguredValue,
        endpoint: S3Endpoint? = nil, endpointSource: String? = nil, addressingStyle: AddressingStyle = .auto,
        caBundlePath: String? = nil, maxAttempts: Int? = nil, retryMode: RetryConfiguration.Mode? = nil,
        warnings: [String] = []
    ) {
        self.profile = profile
        self.credentialProvider = credentialProvider
        self.region = region
        self.endpoint = endpoint
        self.endpointSource = endpointSource
        self.addressingStyle = addressingStyle
        self.caBundlePath = caBundlePath
        self.maxAttempts = maxAttempts
        self.retryMode = retryMode
        self.warnings = warnings
    }

    /// A client configuration with these settings applied over `retry`'s; set the other fields
    /// (checksum, timeouts, concurrency) on the result.
    ///
    /// ```swift
    /// let resolved = try await AWSConfigurationLoader(environment: env, profile: options.profile).load()
    /// var configuration = resolved.clientConfiguration()
    /// configuration.checksumAlgorithm = .crc32c
    /// ```
    public func clientConfiguration(retry: RetryConfiguration = RetryConfiguration()) -> S3ClientConfiguration {
        var retry = retry
        if let retryMode { retry.mode = retryMode }
        if let maxAttempts { retry.maxAttempts = maxAttempts }
        return S3ClientConfiguration(
            region: region.value, endpoint: endpoint, addressingStyle: addressingStyle,
            credentialProvider: credentialProvider, retry: retry, caBundlePath: caBundlePath)
    }
}
