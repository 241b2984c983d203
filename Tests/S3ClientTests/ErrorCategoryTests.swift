import AsyncHTTPClient
import NIOCore
import NIOSSL
import Testing

@testable import S3Client

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct ErrorCategoryTests {
    func service(_ code: String, _ status: Int, region: String? = nil) -> S3ServiceError {
        S3ServiceError(code: code, message: "", statusCode: status, operation: "PutObject", bucketRegion: region)
    }

    @Test func eachS3CodeHasOneCategory() {
        let expected: [(String, Int, S3ErrorCategory)] = [
            ("SlowDown", 503, .throttled), ("ServiceUnavailable", 503, .throttled), ("Throttling", 400, .throttled),
            ("InternalError", 500, .transient), ("RequestTimeout", 400, .transient), ("HTTP502", 502, .transient),
            ("RequestTimeTooSkewed", 403, .clockSkew), ("ExpiredToken", 400, .expiredCredentials),
            ("TokenRefreshRequired", 400, .expiredCredentials), ("PermanentRedirect", 301, .wrongRegion),
            ("SignatureDoesNotMatch", 403, .credentials), ("InvalidAccessKeyId", 403, .credentials),
            ("InvalidToken", 400, .credentials), ("AccessDenied", 403, .accessDenied), ("HTTP403", 403, .accessDenied),
            ("AllAccessDisabled", 403, .accessDenied), ("NoSuchBucket", 404, .bucketNotFound),
            ("NoSuchKey", 404, .notFound), ("NoSuchUpload", 404, .notFound), ("HTTP404", 404, .notFound),
            ("PreconditionFailed", 412, .preconditionFailed), ("BadDigest", 400, .integrity),
            ("XAmzContentChecksumMismatch", 400, .integrity), ("InvalidBucketName", 400, .configuration),
            ("EntityTooLarge", 400, .rejected),
        ]
        for (code, status, category) in expected {
            #expect(service(code, status).category == category, "\(code)")
            #expect(S3ErrorCategory(service(code, status)) == category, "\(code)")
        }
    }

    /// Credentials, access, the bucket and the endpoint concern every request; the rest one.
    @Test func failuresOfTheConfigurationAffectEveryRequest() {
        let everyRequest: Set<S3ErrorCategory> = [
            .credentials, .accessDenied, .bucketNotFound, .expiredCredentials, .wrongRegion, .tls, .configuration,
        ]
        for category in S3ErrorCategory.allCases {
            #expect(category.affectsEveryRequest == everyRequest.contains(category), "\(category)")
        }
    }

    @Test func clientErrorsHaveTheirKindsCategory() {
        #expect(S3ClientError(.connection, "reset").category == .connection)
        #expect(S3ClientError(.timeout, "slow").category == .connection)
        #expect(S3ClientError(.tls, "bad cert").category == .tls)
        #expect(S3ClientError(.credentials, "none").category == .credentials)
        #expect(S3ClientError(.localFile, "gone").category == .localFile)
        #expect(S3ErrorCategory(CancellationError()) == .cancelled)
    }

    struct UnknownError: Error, CustomStringConvertible {
        var description: String { "something about a TLS certificate and SSL" }
    }

    /// Transport errors are classified by type: an unknown error is a broken connection (retried),
    /// whatever its text says.
    @Test func transportErrorsAreClassifiedByTypeNotText() {
        let endpoint = try! S3Endpoint(url: "http://127.0.0.1:9")
        func map(_ error: any Error) -> S3ClientError {
            S3ClientError.transport(error, operation: "GetObject", endpoint: endpoint)
        }
        let refused = map(IOError(errnoCode: ECONNREFUSED, reason: "connect"))
        #expect(refused.kind == .connection && refused.message.contains("connection refused"))
        #expect(map(IOError(errnoCode: ECONNRESET, reason: "read")).kind == .connection)
        #expect(map(ChannelError.ioOnClosedChannel).kind == .connection)
        #expect(map(NIOSSLError.uncleanShutdown).kind == .tls)
        #expect(map(NIOSSLExtraError.failedToValidateHostname).kind == .tls)
        #expect(map(HTTPClientError.readTimeout).kind == .timeout)
        #expect(map(HTTPClientError.remoteConnectionClosed).kind == .connection)
        #expect(map(HTTPClientError.cancelled).kind == .cancelled)
        #expect(map(HTTPClientError.bodyLengthMismatch).kind == .localFile)
        #expect(map(NIOTooManyBytesError(maxBytes: 1)).kind == .invalidResponse)
        let unknown = map(UnknownError())
        #expect(unknown.kind == .connection)
        #expect(FailureClass.classify(unknown) == .connection)
    }
}

@Suite struct AttemptPolicyTests {
    let policy = AttemptPolicy(maxAttempts: 3)

    func record(retries: Int = 0, redirect: Bool = false, clock: Bool = false, refresh: Bool = false)
        -> AttemptRecord
    {
        var record = AttemptRecord()
        record.attempts = retries + 1
        record.retries = retries
        record.followedRedirect = redirect
        record.correctedClock = clock
        record.refreshedCredentials = refresh
        return record
    }

    @Test func eachRecoveryIsTriedOnce() {
        #expect(
            policy.next(after: .wrongRegion("eu-west-1"), serverTime: nil, now: 0, record: record())
                == .redirect(region: "eu-west-1"))
        #expect(
            policy.next(after: .wrongRegion("eu-west-1"), serverTime: nil, now: 0, record: record(redirect: true))
                == .fail)
        #expect(
            policy.next(after: .clockSkew, serverTime: 1_000, now: 400, record: record())
                == .correctClock(skewSeconds: 600))
        #expect(policy.next(after: .clockSkew, serverTime: 1_000, now: 400, record: record(clock: true)) == .fail)
        #expect(policy.next(after: .clockSkew, serverTime: nil, now: 400, record: record()) == .fail)
        #expect(policy.next(after: .expiredToken, serverTime: nil, now: 0, record: record()) == .refreshCredentials)
        #expect(policy.next(after: .expiredToken, serverTime: nil, now: 0, record: record(refresh: true)) == .fail)
    }

    @Test func retryableFailuresBackOffUntilTheLastAttempt() {
        for failure in [FailureClass.throttling, .transient, .connection] {
            #expect(
                policy.next(after: failure, serverTime: nil, now: 0, record: record(retries: 0)) == .backOff(failure))
            #expect(
                policy.next(after: failure, serverTime: nil, now: 0, record: record(retries: 1)) == .backOff(failure))
            #expect(policy.next(after: failure, serverTime: nil, now: 0, record: record(retries: 2)) == .giveUp)
        }
        #expect(policy.next(after: .permanent, serverTime: nil, now: 0, record: record()) == .fail)
    }
}
