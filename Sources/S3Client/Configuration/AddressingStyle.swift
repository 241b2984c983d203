/// How the bucket appears in a request URL.
public enum AddressingStyle: String, Sendable, Codable, CaseIterable {
    /// Virtual-hosted where the bucket name and endpoint allow it, path style otherwise.
    case auto
    /// `https://endpoint/bucket/key`.
    case path
    /// `https://bucket.endpoint/key`.
    case virtual

    /// Host and encoded path for a bucket and key, per the S3 endpoint rules:
    /// virtual-hosted unless the style forces path, the endpoint is an IP or `localhost`, the bucket
    /// name is not DNS-compatible, or the name has dots over HTTPS (the certificate would not match).
    public func resolve(endpoint: S3Endpoint, bucket: String?, key: String?) -> (host: String, encodedPath: String) {
        var path = endpoint.basePath
        guard let bucket, !bucket.isEmpty else {
            return (endpoint.host, path.isEmpty ? "/" : path + "/")
        }
        let usePathStyle: Bool
        switch self {
        case .path:
            usePathStyle = true
        case .virtual:
            usePathStyle = !Self.isVirtualHostable(bucket) || endpoint.isIPOrLocalhost
        case .auto:
            usePathStyle =
                endpoint.isIPOrLocalhost || !Self.isVirtualHostable(bucket)
                || (endpoint.scheme == "https" && bucket.contains("."))
        }
        let host: String
        if usePathStyle {
            host = endpoint.host
            path += "/" + S3PercentEncoding.encodeQueryComponent(bucket)
        } else {
            host = bucket + "." + endpoint.host
        }
        if let key, !key.isEmpty {
            path += "/" + S3PercentEncoding.encodePath(key)
        } else if usePathStyle {
            // `/bucket` lists; keep it without a trailing slash as the SDKs do.
        } else {
            path += "/"
        }
        if path.isEmpty { path = "/" }
        return (host, path)
    }

    /// A bucket name usable as a DNS label: 3–63 of `[a-z0-9.-]`, alphanumeric at both ends,
    /// no `..`, `.-` or `-.`, and not shaped like an IPv4 address.
    public static func isVirtualHostable(_ bucket: String) -> Bool {
        let bytes = Array(bucket.utf8)
        guard (3...63).contains(bytes.count) else { return false }
        func isAlnum(_ byte: UInt8) -> Bool {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
        }
        guard isAlnum(bytes.first!), isAlnum(bytes.last!) else { return false }
        for (index, byte) in bytes.enumerated() {
            guard isAlnum(byte) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-") else { return false }
            if index > 0 {
                let previous = bytes[index - 1]
                if (previous == UInt8(ascii: ".") || previous == UInt8(ascii: "-")) && byte == UInt8(ascii: ".") {
                    return false
                }
                if previous == UInt8(ascii: ".") && byte == UInt8(ascii: "-") { return false }
            }
        }
        return !S3Endpoint.looksLikeIPv4(bucket)
    }
}
