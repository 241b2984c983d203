import Foundation

extension FaultProxy {
    /// One request the proxy received, as it arrived.
    public struct SeenRequest: Sendable, Hashable, Decodable {
        public var method: String
        /// The request target: the percent-encoded path and the query.
        public var target: String
        /// The `Host` header.
        public var host: String
        /// The S3 operation the proxy inferred (`PutObject`, `ListObjectsV2`, ...).
        public var operation: String
        /// The SigV4 signature the request carried (`Signature=` in `Authorization`), or empty.
        public var signature: String
        /// The SSE-C key's MD5 the request carried, or empty.
        public var customerKeyMD5: String

        enum CodingKeys: String, CodingKey {
            case method, target, host, operation, signature
            case customerKeyMD5 = "customer_key_md5"
        }

        /// The target's path, percent-decoded (`/bucket/key`).
        public var path: String {
            let raw = String(target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)[0])
            return raw.removingPercentEncoding ?? raw
        }

        /// The query's parameters, percent-decoded (`prefix`, `list-type`, `uploadId`, ...).
        public var query: [String: String] {
            let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2 else { return [:] }
            var result: [String: String] = [:]
            for pair in parts[1].split(separator: "&") {
                let nameAndValue = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let name = String(nameAndValue[0]).removingPercentEncoding ?? String(nameAndValue[0])
                let value = nameAndValue.count > 1 ? String(nameAndValue[1]) : ""
                result[name] = value.removingPercentEncoding ?? value
            }
            return result
        }
    }

    /// Every request seen since the proxy started or since ``resetStatistics()``, in arrival order.
    public func requestsSeen() async throws -> [SeenRequest] {
        try JSONDecoder().decode([SeenRequest].self, from: try await control("GET", "/__proxy/requests"))
    }
}
