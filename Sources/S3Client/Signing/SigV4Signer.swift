import Crypto

/// AWS Signature Version 4 for S3, as a pure value: the same inputs and date give the same
/// signature, so known-answer tests are exact.
///
/// S3 rules: the path is encoded once and never normalised; every request carries
/// `x-amz-content-sha256`.
///
/// ```swift
/// let signer = SigV4Signer(credentials: creds, region: "us-east-1")
/// var request = SignableRequest(method: "GET", encodedPath: "/bucket/key",
///                               headers: [("host", "s3.amazonaws.com")],
///                               payloadHash: SignableRequest.emptyPayloadHash)
/// signer.sign(&request, date: AmzDate(secondsSince1970: 1_369_353_600))
/// ```
public struct SigV4Signer: Sendable {
    /// The derived key for one day, region and service; deriving it costs four HMACs, so callers
    /// that sign often keep it (``signingKey(for:)``).
    public struct SigningKey: Sendable {
        public let dateStamp: String
        public let region: String
        let key: SymmetricKey

        /// The key bytes as lowercase hex (for tests).
        public var hex: String { key.withUnsafeBytes { Hex.encode($0) } }
    }

    public let credentials: AWSCredentials
    public let region: String
    public let service: String

    public init(credentials: AWSCredentials, region: String, service: String = "s3") {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// Derives the signing key for the date's day.
    public func signingKey(for date: AmzDate) -> SigningKey {
        let dateStamp = String(date.dateStamp)
        let secret = SymmetricKey(data: Array(("AWS4" + credentials.secretAccessKey).utf8))
        let kDate = HMAC<SHA256>.authenticationCode(for: Array(dateStamp.utf8), using: secret)
        let kRegion = HMAC<SHA256>.authenticationCode(for: Array(region.utf8), using: SymmetricKey(data: kDate))
        let kService = HMAC<SHA256>.authenticationCode(for: Array(service.utf8), using: SymmetricKey(data: kRegion))
        let kSigning = HMAC<SHA256>.authenticationCode(
            for: Array("aws4_request".utf8), using: SymmetricKey(data: kService))
        return SigningKey(dateStamp: dateStamp, region: region, key: SymmetricKey(data: kSigning))
    }

    /// The signed header list and canonical request for `request` (after the signing headers were added).
    public func canonicalRequest(_ request: SignableRequest) -> (canonical: String, signedHeaders: String) {
        var headers: [(String, String)] = []
        headers.reserveCapacity(request.headers.count)
        for (name, value) in request.headers {
            let lower = name.lowercased()
            if Self.unsignedHeaders.contains(lower) { continue }
            headers.append((lower, Self.canonicalHeaderValue(value)))
        }
        headers.sort { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }
        // Join repeated names with commas.
        var merged: [(String, String)] = []
        merged.reserveCapacity(headers.count)
        for (name, value) in headers {
            if let last = merged.last, last.0 == name {
                merged[merged.count - 1].1 = last.1 + "," + value
            } else {
                merged.append((name, value))
            }
        }
        var canonical = request.method
        canonical.reserveCapacity(256)
        canonical.append("\n")
        canonical.append(request.encodedPath)
        canonical.append("\n")
        canonical.append(S3PercentEncoding.canonicalQuery(request.query))
        canonical.append("\n")
        var signedHeaders = ""
        for (index, (name, value)) in merged.enumerated() {
            canonical.append(name)
            canonical.append(":")
            canonical.append(value)
            canonical.append("\n")
            if index > 0 { signedHeaders.append(";") }
            signedHeaders.append(name)
        }
        canonical.append("\n")
        canonical.append(signedHeaders)
        canonical.append("\n")
        canonical.append(request.payloadHash)
        return (canonical, signedHeaders)
    }

    /// The string to sign for a canonical request.
    public func stringToSign(canonicalRequest: String, date: AmzDate) -> String {
        let hash = SHA256.hash(data: Array(canonicalRequest.utf8))
        return "AWS4-HMAC-SHA256\n\(date.timestamp)\n\(scope(date))\n\(Hex.encode(hash))"
    }

    /// The credential scope `yyyymmdd/region/service/aws4_request`.
    public func scope(_ date: AmzDate) -> String {
        "\(date.dateStamp)/\(region)/\(service)/aws4_request"
    }

    /// Adds `x-amz-date`, `x-amz-content-sha256`, `x-amz-security-token` (temporary credentials)
    /// and `Authorization` to the request.
    /// - Returns: the signature, lowercase hex.
    @discardableResult
    public func sign(_ request: inout SignableRequest, date: AmzDate, key: SigningKey? = nil) -> String {
        request.setHeader("x-amz-date", date.timestamp)
        request.setHeader("x-amz-content-sha256", request.payloadHash)
        if let token = credentials.sessionToken, !token.isEmpty {
            request.setHeader("x-amz-security-token", token)
        }
        let (canonical, signedHeaders) = canonicalRequest(request)
        let signature = signature(
            stringToSign: stringToSign(canonicalRequest: canonical, date: date), date: date, key: key)
        request.setHeader(
            "Authorization",
            "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope(date)),SignedHeaders=\(signedHeaders),Signature=\(signature)"
        )
        return signature
    }

    /// Query parameters of a presigned URL (`X-Amz-Signature` last) for a request whose only
    /// signed header is `host`.
    /// - Parameter expires: seconds the URL stays valid, at most 604800 (7 days).
    public func presignedQuery(_ request: SignableRequest, date: AmzDate, expires: Int, key: SigningKey? = nil)
        -> [(name: String, value: String)]
    {
        var request = request
        let signedHeaderNames = request.headers.map { $0.name.lowercased() }.filter {
            !Self.unsignedHeaders.contains($0)
        }
        .sorted().joined(separator: ";")
        var query = request.query
        query.append(("X-Amz-Algorithm", "AWS4-HMAC-SHA256"))
        query.append(("X-Amz-Credential", "\(credentials.accessKeyID)/\(scope(date))"))
        query.append(("X-Amz-Date", date.timestamp))
        query.append(("X-Amz-Expires", String(min(max(expires, 1), 604_800))))
        if let token = credentials.sessionToken, !token.isEmpty {
            query.append(("X-Amz-Security-Token", token))
        }
        query.append(("X-Amz-SignedHeaders", signedHeaderNames))
        request.query = query
        request.payloadHash = SignableRequest.unsignedPayload
        let (canonical, _) = canonicalRequest(request)
        let signature = signature(
            stringToSign: stringToSign(canonicalRequest: canonical, date: date), date: date, key: key)
        query.append(("X-Amz-Signature", signature))
        return query
    }

    func signature(stringToSign: String, date: AmzDate, key: SigningKey?) -> String {
        let signingKey: SigningKey
        if let key, key.dateStamp == date.dateStamp, key.region == region {
            signingKey = key
        } else {
            signingKey = self.signingKey(for: date)
        }
        let mac = HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: signingKey.key)
        return Hex.encode(mac)
    }

    static let unsignedHeaders: Set<String> = [
        "authorization", "user-agent", "x-amzn-trace-id", "transfer-encoding", "content-length", "expect",
        "connection",
    ]

    /// Trims and collapses runs of spaces, as the canonical form asks.
    static func canonicalHeaderValue(_ value: String) -> String {
        var needsWork = false
        var previousSpace = true
        for byte in value.utf8 {
            let isSpace = byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")
            if isSpace && previousSpace {
                needsWork = true
                break
            }
            previousSpace = isSpace
        }
        if !needsWork && !previousSpace { return value }
        var out: [UInt8] = []
        var pendingSpace = false
        for byte in value.utf8 {
            if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") {
                pendingSpace = !out.isEmpty
            } else {
                if pendingSpace { out.append(UInt8(ascii: " ")) }
                pendingSpace = false
                out.append(byte)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
