import NIOCore
import NIOHTTP1

extension S3Client {
    /// Downloads an object, or a byte range of it, handing the body to `consumer` as it arrives.
    ///
    /// A failed attempt (connection, throttling, a body the consumer refused) is sent again
    /// whole, per the retry configuration.
    /// - Parameters:
    ///   - range: the bytes to fetch; the whole object when `nil`.
    ///   - ifMatch: the ETag the object must still have; otherwise the store answers 412
    ///     (``S3ErrorCategory/preconditionFailed``) and nothing is consumed.
    ///   - checksumMode: ask for the object's `x-amz-checksum-*` (whole-object requests only).
    /// - Returns: the head of the answer that was consumed in full.
    /// - Throws: ``S3ServiceError`` (`NoSuchKey`, `PreconditionFailed`, …), ``S3ClientError``.
    @discardableResult
    public func getObject(
        bucket: String, key: String, range: Range<Int64>? = nil, ifMatch: String? = nil, checksumMode: Bool = false,
        into consumer: some ObjectBodyConsumer
    ) async throws -> ObjectHead {
        var headers: [(name: String, value: String)] = []
        if let range { headers.append(("range", "bytes=\(range.lowerBound)-\(range.upperBound - 1)")) }
        if let ifMatch { headers.append(("if-match", "\"\(ifMatch)\"")) }
        if checksumMode && range == nil { headers.append(("x-amz-checksum-mode", "ENABLED")) }
        headers += customerKeyHeaders
        var request = S3Request(operation: "GetObject", method: .GET, bucket: bucket, key: key, headers: headers)
        request.bodyConsumer = ObjectBodyReader(
            consumer: consumer, range: range, limiter: configuration.bandwidthLimiter)
        let response = try await perform(request)
        guard let head = ObjectHead(status: response.status, headers: response.headers) else {
            throw S3ClientError(
                .invalidResponse, "the answer does not say which bytes it holds", operation: "GetObject")
        }
        return head
    }
}

/// Checks a GetObject answer's head against the request and feeds its body to the consumer,
/// pacing it by the bandwidth limit.
struct ObjectBodyReader: Sendable {
    let consumer: any ObjectBodyConsumer
    let range: Range<Int64>?
    let limiter: ByteRateLimiter?

    func begin(status: Int, headers: HTTPHeaders) throws {
        guard let head = ObjectHead(status: status, headers: headers) else {
            throw S3ClientError(
                .invalidResponse, "the answer does not say which bytes it holds", operation: "GetObject")
        }
        if let range {
            // A store that ignores Range answers 200 with the whole object: usable only when
            // that is what was asked for.
            guard head.bodyOffset == range.lowerBound, head.bodyLength == Int64(range.count) else {
                throw S3ClientError(
                    .invalidResponse,
                    "asked for bytes \(range.lowerBound)-\(range.upperBound - 1), got \(head.bodyLength) bytes at \(head.bodyOffset)",
                    operation: "GetObject")
            }
        }
        try local { try consumer.begin(head) }
    }

    func consume(_ bytes: ByteBuffer) async throws {
        if let limiter { try await limiter.consume(bytes.readableBytes) }
        try local { try consumer.consume(bytes) }
    }

    func finish() throws { try local { try consumer.finish() } }

    /// Runs a consumer call; an error that is not the client's is the consumer's own (a write
    /// that failed): never retried as if the connection had broken.
    private func local(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as S3ClientError {
            throw error
        } catch {
            throw S3ClientError(.localFile, "\(error)", operation: "GetObject")
        }
    }
}
