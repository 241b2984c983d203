import NIOHTTP1

/// One S3 API call before signing: what the operation methods build and the client sends,
/// re-signing it on every attempt.
struct S3Request: Sendable {
    /// The API operation name, for errors and logs (`PutObject`).
    var operation: String
    var method: HTTPMethod
    var bucket: String?
    var key: String?
    var query: [(name: String, value: String)] = []
    /// Headers to sign and send (besides the signing headers and `host`).
    var headers: [(name: String, value: String)] = []
    var body: S3RequestBody = .empty
    /// `x-amz-content-sha256`: the body's SHA-256 hex, or `UNSIGNED-PAYLOAD`.
    var payloadHash: String = SignableRequest.emptyPayloadHash
    /// CompleteMultipartUpload and copies can answer 200 with an `<Error>` body.
    var errorMayArriveWithOK = false
    /// The most response body bytes kept; more is an invalid response.
    var maxResponseBytes = 16 << 20
    /// Takes a 2xx answer's body as it arrives (GetObject) instead of collecting it.
    var bodyConsumer: ObjectBodyReader?
}
