/// How the retry strategy treats a failed attempt: the part of ``S3ErrorCategory`` that decides
/// whether and how a request is tried again.
public enum FailureClass: Sendable, Hashable {
    /// The store asks to slow down: retry with the throttling backoff and lower the shared send rate.
    case throttling
    /// A transient server error or an answer that is not S3: retry.
    case transient
    /// A connection that failed, broke or timed out: retry, at a higher quota cost.
    case connection
    /// The clock differs from the server's: correct and retry.
    case clockSkew
    /// The session token expired: refresh credentials and retry once.
    case expiredToken
    /// The bucket is in another region: re-sign for that region and retry once.
    case wrongRegion(String)
    /// Retrying cannot help.
    case permanent

    /// Classifies an error thrown by a request attempt.
    public static func classify(_ error: any Error) -> FailureClass {
        switch S3ErrorCategory(error) {
        case .throttled: return .throttling
        case .transient, .invalidResponse: return .transient
        case .connection: return .connection
        case .clockSkew: return .clockSkew
        case .expiredCredentials: return .expiredToken
        case .wrongRegion:
            guard let region = (error as? S3ServiceError)?.bucketRegion, !region.isEmpty else { return .permanent }
            return .wrongRegion(region)
        default: return .permanent
        }
    }
}
