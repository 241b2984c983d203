/// The parts of an HTTP request that SigV4 signs.
public struct SignableRequest: Sendable {
    /// `GET`, `PUT`, ...
    public var method: String
    /// The canonical URI: the path already percent-encoded once (see ``S3PercentEncoding/encodePath(_:)``).
    public var encodedPath: String
    /// Query parameters, not encoded; a parameter without value has an empty value.
    public var query: [(name: String, value: String)]
    /// Headers to send and sign, `host` included. Names in any case.
    public var headers: [(name: String, value: String)]
    /// Lowercase hex SHA-256 of the body, or a constant such as `UNSIGNED-PAYLOAD`.
    public var payloadHash: String

    public init(
        method: String, encodedPath: String, query: [(name: String, value: String)] = [],
        headers: [(name: String, value: String)] = [], payloadHash: String
    ) {
        self.method = method
        self.encodedPath = encodedPath.isEmpty ? "/" : encodedPath
        self.query = query
        self.headers = headers
        self.payloadHash = payloadHash
    }

    /// Replaces a header (case-insensitive) or adds it.
    public mutating func setHeader(_ name: String, _ value: String) {
        let lower = name.lowercased()
        headers.removeAll { $0.name.lowercased() == lower }
        headers.append((name, value))
    }

    /// The value of a header, case-insensitive.
    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.name.lowercased() == lower }?.value
    }
}

extension SignableRequest {
    /// SHA-256 of the empty string, the payload hash of requests without body.
    public static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    /// Payload hash for bodies that are not hashed into the signature.
    public static let unsignedPayload = "UNSIGNED-PAYLOAD"
}
