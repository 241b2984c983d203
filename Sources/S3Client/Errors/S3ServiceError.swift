/// An error answered by the S3 service: it received the request and refused it.
///
/// Carries what a user or a support ticket needs: the S3 code, the HTTP status, the request id and
/// the resource. ``description`` adds what to do about the common codes.
public struct S3ServiceError: Error, Sendable, CustomStringConvertible {
    /// The S3 error code, e.g. `NoSuchBucket`, or `HTTP<status>` when the response had no body (HEAD).
    public let code: String
    public let message: String
    public let statusCode: Int
    public let requestID: String?
    public let resource: String?
    /// The operation that failed, e.g. `PutObject`.
    public let operation: String
    /// The bucket's region when the service told it (`x-amz-bucket-region` or `<Region>`).
    public let bucketRegion: String?
    /// Server time from the `Date` header, used to correct clock skew.
    public let serverDate: String?
    /// The server's `x-amz-retry-after` / `Retry-After` hint.
    public let retryAfterMilliseconds: Int?

    public init(
        code: String, message: String, statusCode: Int, requestID: String? = nil, resource: String? = nil,
        operation: String, bucketRegion: String? = nil, serverDate: String? = nil,
        retryAfterMilliseconds: Int? = nil
    ) {
        self.code = code
        self.message = message
        self.statusCode = statusCode
        self.requestID = requestID
        self.resource = resource
        self.operation = operation
        self.bucketRegion = bucketRegion
        self.serverDate = serverDate
        self.retryAfterMilliseconds = retryAfterMilliseconds
    }

    public var description: String {
        var text = "\(operation) failed: \(code) (HTTP \(statusCode))"
        // The server's message often ends with a period of its own.
        if !message.isEmpty { text += ": " + (message.hasSuffix(".") ? String(message.dropLast()) : message) }
        if let resource, !resource.isEmpty { text += " [resource \(resource)]" }
        if let requestID, !requestID.isEmpty { text += " [request id \(requestID)]" }
        if let hint { text += ". \(hint)" }
        return text
    }

    /// What a user can do about this error, when there is something to say.
    public var hint: String? {
        switch code {
        case "SignatureDoesNotMatch":
            return
                "The secret key does not match the access key, or the request was signed for another region: check AWS_SECRET_ACCESS_KEY or the profile's aws_secret_access_key, and the region"
        case "InvalidAccessKeyId":
            return
                "The endpoint does not know this access key id: check AWS_ACCESS_KEY_ID, the profile and the endpoint"
        default:
            break
        }
        switch category {
        case .accessDenied:
            return
                "The credentials are not allowed to do this: check the bucket policy and the credentials' permissions"
        case .bucketNotFound:
            return "The bucket does not exist: check its name and the endpoint, or create it"
        case .expiredCredentials:
            return "The session token has expired: refresh the credentials"
        case .clockSkew:
            return "This machine's clock differs from the server's: fix the clock (NTP)"
        case .wrongRegion:
            return bucketRegion.map { "The bucket is in region \($0)" } ?? "The bucket is in another region"
        case .integrity:
            return
                "The bytes received differ from those checksummed: the file changed while uploading, or a proxy altered the body"
        case .throttled:
            return "The store is throttling requests: send fewer at once or limit the bandwidth"
        default:
            return nil
        }
    }
}
