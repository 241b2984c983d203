/// Where requests go: scheme, host and port of an S3 API, from `--endpoint-url` or AWS's regional
/// default.
public struct S3Endpoint: Sendable, Hashable, CustomStringConvertible {
    public let scheme: String
    public let host: String
    public let port: Int?
    /// A path the endpoint is mounted under, without trailing slash (usually empty).
    public let basePath: String

    /// Parses an endpoint URL such as `http://127.0.0.1:9000` or `https://s3.example.com`.
    /// - Throws: ``S3ClientError`` of kind `configuration` when the URL is unusable.
    public init(url: String) throws(S3ClientError) {
        var rest = Substring(url.trimmingSpaces)
        let scheme: String
        if rest.hasPrefix("https://") {
            scheme = "https"
            rest = rest.dropFirst(8)
        } else if rest.hasPrefix("http://") {
            scheme = "http"
            rest = rest.dropFirst(7)
        } else {
            throw S3ClientError(
                .configuration, "endpoint URL '\(url)' must start with http:// or https:// (e.g. http://127.0.0.1:9000)"
            )
        }
        let authority: Substring
        var path: Substring = ""
        if let slash = rest.firstIndex(of: "/") {
            authority = rest[..<slash]
            path = rest[slash...]
        } else {
            authority = rest
        }
        if authority.contains("@") || path.contains("?") || path.contains("#") {
            throw S3ClientError(.configuration, "endpoint URL '\(url)' must not contain user info, query or fragment")
        }
        var host = authority
        var port: Int?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else {
                throw S3ClientError(.configuration, "endpoint URL '\(url)' has an unterminated IPv6 address")
            }
            host = authority[...close]
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") {
                guard let value = Int(after.dropFirst()), (1...65535).contains(value) else {
                    throw S3ClientError(.configuration, "endpoint URL '\(url)' has an invalid port")
                }
                port = value
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            guard let value = Int(authority[authority.index(after: colon)...]), (1...65535).contains(value) else {
                throw S3ClientError(.configuration, "endpoint URL '\(url)' has an invalid port")
            }
            port = value
        }
        guard !host.isEmpty else { throw S3ClientError(.configuration, "endpoint URL '\(url)' has no host") }
        while path.hasSuffix("/") { path = path.dropLast() }
        self.scheme = scheme
        self.host = host.lowercased()
        self.port = port
        self.basePath = String(path)
    }

    public init(scheme: String, host: String, port: Int? = nil, basePath: String = "") {
        self.scheme = scheme
        self.host = host
        self.port = port
        self.basePath = basePath
    }

    /// AWS's regional endpoint, `https://s3.REGION.amazonaws.com`.
    public static func aws(region: String) -> S3Endpoint {
        S3Endpoint(scheme: "https", host: "s3.\(region).amazonaws.com")
    }

    /// Whether the host is an AWS S3 endpoint.
    public var isAWS: Bool { host.hasSuffix(".amazonaws.com") || host.hasSuffix(".amazonaws.com.cn") }

    /// Whether the host is an IP address or `localhost`, which cannot take bucket subdomains.
    public var isIPOrLocalhost: Bool {
        host == "localhost" || host.hasPrefix("[") || Self.looksLikeIPv4(host)
    }

    var defaultPort: Int { scheme == "https" ? 443 : 80 }

    /// `host[:port]` as the `Host` header wants it (the port only when not the scheme's default).
    func authority(host: String) -> String {
        if let port, port != defaultPort { return "\(host):\(port)" }
        return host
    }

    public var description: String { "\(scheme)://\(authority(host: host))\(basePath)" }

    static func looksLikeIPv4(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { !$0.isEmpty && $0.count <= 3 && $0.allSatisfy(\.isNumber) }
    }
}

extension String {
    var trimmingSpaces: String {
        var slice = Substring(self)
        while let first = slice.first, first.isWhitespace { slice = slice.dropFirst() }
        while let last = slice.last, last.isWhitespace { slice = slice.dropLast() }
        return String(slice)
    }
}
