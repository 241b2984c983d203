extension FaultProxy {
    /// What the proxy does to a request.
    public enum Fault: String, Sendable, Hashable, Codable, CaseIterable {
        /// 503 with an S3 `SlowDown` error body (and `x-amz-retry-after` when the rule sets
        /// ``Rule/retryAfterMilliseconds``); not forwarded.
        case slowDown = "slow_down"
        /// 500 with an S3 `InternalError` body; not forwarded.
        case internalError = "internal_error"
        /// 200 OK whose body is an `<Error>` document with code `InternalError`, as S3 can answer
        /// CompleteMultipartUpload; not forwarded.
        case okWithError = "ok_with_error"
        /// Forwards the head and part of the body (``Rule/fraction``; part of the head for a
        /// request without a body), then closes both connections: the server never sees the
        /// request complete.
        case dropDuringRequestBody = "drop_request"
        /// Forwards the request, relays part of the response (``Rule/fraction``), then closes.
        case dropDuringResponse = "drop_response"
        /// Reads the request and sends nothing for ``Rule/stallSeconds`` (or until the client
        /// closes), then closes; not forwarded.
        case stall
        /// Forwards the request (the server carries it out), then holds the whole answer back for
        /// ``Rule/stallSeconds`` before relaying it: a window in which the client has not heard
        /// what the server did (to kill the client in).
        case holdResponse = "hold_response"
        /// Forwards ``Rule/fraction`` of the request body, stops reading it for
        /// ``Rule/stallSeconds``, then forwards the rest and relays the answer: a window in the
        /// middle of an upload (see ``Statistics/Counters/holds``).
        case holdRequest = "hold_request"
        /// Forwards the request and relays the response with one byte of its body inverted, at
        /// ``Rule/fraction`` of the body; the head is untouched, so `Content-Length`, the ETag and
        /// any checksum header still describe the true body. Only a 2xx response with a body is
        /// altered (a ranged GET's 206 too); any other is relayed as it is, though the rule still
        /// counts as fired.
        case corruptResponse = "corrupt_response"
        /// Forwards untouched; put such a rule first to exempt requests from the rules after it.
        case passThrough = "pass"
    }

    /// When to inject a fault. A rule matches a request when its method, target substring and
    /// operation (each when set) all match; a matching rule fires with its probability, at most
    /// ``times`` times.
    ///
    /// ```swift
    /// FaultProxy.Rule(.slowDown, probability: 0.25)
    /// FaultProxy.Rule(.okWithError, method: "POST", contains: "uploadId=", times: 1)  // CompleteMultipartUpload
    /// FaultProxy.Rule(.stall, operation: "PutObject", times: 1, stallSeconds: 3)
    /// ```
    public struct Rule: Sendable, Hashable, Codable {
        public var fault: Fault
        /// Chance in [0, 1] that a matching request gets the fault.
        public var probability: Double
        /// HTTP method, e.g. `PUT`.
        public var method: String?
        /// A substring of the request target (path and query), e.g. `partNumber=`.
        public var contains: String?
        /// The S3 operation the proxy infers from method, path and query, e.g. `UploadPart`,
        /// `PutObject`, `CompleteMultipartUpload`, `CreateMultipartUpload`, `ListObjectsV2`.
        public var operation: String?
        /// The most times the rule fires; unlimited when `nil`.
        public var times: Int?
        /// For ``Fault/slowDown``: the `x-amz-retry-after` header to send.
        public var retryAfterMilliseconds: Int?
        /// For ``Fault/stall``, ``Fault/holdResponse`` and ``Fault/holdRequest``: how long to stay
        /// silent (default 5 s).
        public var stallSeconds: Double?
        /// For the drops and ``Fault/holdRequest``: the share of the body (or of the head, when there is no body) that gets
        /// through before the connection closes (default 0.5). For ``Fault/corruptResponse``: where
        /// in the response body the inverted byte sits (default 0.5, the middle).
        public var fraction: Double?

        public init(
            _ fault: Fault, probability: Double = 1, method: String? = nil, contains: String? = nil,
            operation: String? = nil, times: Int? = nil, retryAfterMilliseconds: Int? = nil,
            stallSeconds: Double? = nil, fraction: Double? = nil
        ) {
            self.fault = fault
            self.probability = probability
            self.method = method
            self.contains = contains
            self.operation = operation
            self.times = times
            self.retryAfterMilliseconds = retryAfterMilliseconds
            self.stallSeconds = stallSeconds
            self.fraction = fraction
        }

        enum CodingKeys: String, CodingKey {
            case fault, probability, method, contains, operation, times, fraction
            case retryAfterMilliseconds = "retry_after_ms"
            case stallSeconds = "stall_seconds"
        }
    }
}
