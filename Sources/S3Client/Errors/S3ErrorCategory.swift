/// What kind of failure an S3 request ended in: decided once, here, from the S3 error code, the
/// HTTP status or the transport error, so the retry policy and every caller agree on it.
///
/// ```swift
/// do {
///     try await s3.putObject(bucket: "b", key: "k", body: body)
/// } catch {
///     switch S3ErrorCategory(error) {
///     case .accessDenied, .credentials, .bucketNotFound: stopEverything(error)
///     default: failThisObject(error)
///     }
/// }
/// ```
public enum S3ErrorCategory: Sendable, Hashable, CaseIterable {
    /// The store asks to slow down (`SlowDown`, HTTP 503 or 429, throttling codes). Retried.
    case throttled
    /// A transient server failure (HTTP 500/502/504, `InternalError`, `RequestTimeout`). Retried.
    case transient
    /// The connection failed, broke or timed out before a usable answer. Retried.
    case connection
    /// This machine's clock differs from the server's (`RequestTimeTooSkewed`). Retried once.
    case clockSkew
    /// Temporary credentials expired (`ExpiredToken`, `TokenRefreshRequired`). Retried once after
    /// a refresh.
    case expiredCredentials
    /// The bucket is in another region (a redirect, `AuthorizationHeaderMalformed`). Retried once
    /// when the answer names the region.
    case wrongRegion
    /// The credentials are missing or rejected (`SignatureDoesNotMatch`, `InvalidAccessKeyId`,
    /// `InvalidToken`, no credentials found).
    case credentials
    /// The credentials are valid but not allowed (`AccessDenied`, `AllAccessDisabled`,
    /// `AccountProblem`, HTTP 403).
    case accessDenied
    /// The bucket does not exist (`NoSuchBucket`).
    case bucketNotFound
    /// The object, the upload or the version does not exist (`NoSuchKey`, `NoSuchUpload`, 404).
    case notFound
    /// A precondition on the object failed (`PreconditionFailed`, HTTP 412): it changed.
    case preconditionFailed
    /// The bytes the store received differ from those checksummed (`BadDigest`,
    /// `XAmzContentSHA256Mismatch`, …): the body changed while it was sent, or was altered.
    case integrity
    /// The TLS handshake failed (the certificate is not trusted, a protocol mismatch).
    case tls
    /// The client's settings are unusable (endpoint, region, CA bundle, bucket name).
    case configuration
    /// A local file could not be read as planned (missing, unreadable, changed size).
    case localFile
    /// The answer is not S3 (not XML, missing fields, too large). Retried.
    case invalidResponse
    /// The request was cancelled.
    case cancelled
    /// The store refused this request for another reason (another 4xx). Not retried.
    case rejected

    /// Classifies an error thrown by ``S3Client``; anything else is `.rejected`.
    public init(_ error: any Error) {
        switch error {
        case let service as S3ServiceError: self = service.category
        case let client as S3ClientError: self = client.category
        case is CancellationError: self = .cancelled
        default: self = .rejected
        }
    }

    /// Whether the failure concerns the credentials, the bucket or the endpoint rather than one
    /// request: every other request would fail the same way, so a caller doing many should stop.
    public var affectsEveryRequest: Bool {
        switch self {
        case .credentials, .accessDenied, .bucketNotFound, .expiredCredentials, .wrongRegion, .tls, .configuration:
            return true
        default:
            return false
        }
    }

    /// The S3 error codes of each category; a code not listed here is classified by its status.
    static let codes: [String: S3ErrorCategory] = {
        var table: [String: S3ErrorCategory] = [:]
        for code in [
            "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
            "TooManyRequestsException", "ProvisionedThroughputExceededException", "TransactionInProgressException",
            "RequestLimitExceeded", "BandwidthLimitExceeded", "LimitExceededException", "RequestThrottled", "SlowDown",
            "PriorRequestNotComplete", "EC2ThrottledException",
        ] { table[code] = .throttled }
        for code in ["RequestTimeout", "RequestTimeoutException", "InternalError", "ServiceUnavailable"] {
            table[code] = .transient
        }
        table["RequestTimeTooSkewed"] = .clockSkew
        for code in ["ExpiredToken", "ExpiredTokenException", "TokenRefreshRequired"] {
            table[code] = .expiredCredentials
        }
        for code in [
            "PermanentRedirect", "TemporaryRedirect", "AuthorizationHeaderMalformed",
            "IllegalLocationConstraintException",
        ] { table[code] = .wrongRegion }
        for code in ["SignatureDoesNotMatch", "InvalidAccessKeyId", "InvalidToken", "InvalidSecurity"] {
            table[code] = .credentials
        }
        for code in ["AccessDenied", "AllAccessDisabled", "AccountProblem", "HTTP403"] { table[code] = .accessDenied }
        table["NoSuchBucket"] = .bucketNotFound
        for code in ["NoSuchKey", "NoSuchUpload", "NoSuchVersion", "NotFound"] { table[code] = .notFound }
        table["PreconditionFailed"] = .preconditionFailed
        for code in ["BadDigest", "XAmzContentSHA256Mismatch", "InvalidDigest", "XAmzContentChecksumMismatch"] {
            table[code] = .integrity
        }
        table["InvalidBucketName"] = .configuration
        for code in ["EmptyResponse", "InvalidResponse"] { table[code] = .invalidResponse }
        return table
    }()
}

extension S3ServiceError {
    /// The kind of failure: from the S3 code, else from the HTTP status.
    public var category: S3ErrorCategory {
        if statusCode == 503 || statusCode == 429 { return .throttled }
        if let category = S3ErrorCategory.codes[code] { return category }
        switch statusCode {
        case 500, 502, 504: return .transient
        case 301, 307: return .wrongRegion
        case 403: return .accessDenied
        case 404: return .notFound
        case 412: return .preconditionFailed
        default: return .rejected
        }
    }
}

extension S3ClientError {
    /// The kind of failure, from the error's kind.
    public var category: S3ErrorCategory {
        switch kind {
        case .connection, .timeout: return .connection
        case .tls: return .tls
        case .credentials: return .credentials
        case .localFile: return .localFile
        case .invalidResponse: return .invalidResponse
        case .configuration: return .configuration
        case .cancelled: return .cancelled
        default: return .rejected
        }
    }
}
