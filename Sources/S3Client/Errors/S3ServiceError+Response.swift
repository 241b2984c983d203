import NIOCore
import NIOHTTP1

extension S3ServiceError {
    /// Builds the error from a non-2xx response: the XML `<Error>` body when there is one, else
    /// the status (HEAD responses have no body).
    init(status: Int, headers: HTTPHeaders, body: ByteBuffer, operation: String, bucket: String?, key: String?) {
        if body.readableBytes > 0, let root = try? XMLDocumentParser.parse(body.readableBytesView), root.name == "Error"
        {
            self.init(status: status, headers: headers, element: root, operation: operation)
            return
        }
        let code: String
        let message: String
        switch status {
        case 301: (code, message) = ("PermanentRedirect", "the bucket is in another region")
        case 307: (code, message) = ("TemporaryRedirect", "the bucket is in another region")
        case 400: (code, message) = ("BadRequest", "bad request")
        case 403: (code, message) = ("AccessDenied", "access denied")
        case 404:
            (code, message) = (
                key == nil ? "NoSuchBucket" : "NotFound", key == nil ? "the bucket does not exist" : "not found"
            )
        case 503: (code, message) = ("SlowDown", "service unavailable")
        default: (code, message) = ("HTTP\(status)", "HTTP status \(status)")
        }
        self.init(
            code: code, message: message, statusCode: status, requestID: headers.first(name: "x-amz-request-id"),
            resource: bucket.map { "/\($0)\(key.map { "/" + $0 } ?? "")" }, operation: operation,
            bucketRegion: headers.first(name: "x-amz-bucket-region"), serverDate: headers.first(name: "date"),
            retryAfterMilliseconds: Self.retryAfter(headers))
    }

    init(status: Int, headers: HTTPHeaders, element root: XMLElement, operation: String) {
        self.init(
            code: root.string("Code") ?? "HTTP\(status)", message: root.string("Message") ?? "",
            statusCode: status, requestID: root.string("RequestId") ?? headers.first(name: "x-amz-request-id"),
            resource: root.string("Resource") ?? root.string("Key") ?? root.string("BucketName"),
            operation: operation,
            bucketRegion: headers.first(name: "x-amz-bucket-region") ?? root.string("Region"),
            serverDate: headers.first(name: "date") ?? root.string("ServerTime"),
            retryAfterMilliseconds: Self.retryAfter(headers))
    }

    /// `x-amz-retry-after` (milliseconds) or `Retry-After` (seconds).
    static func retryAfter(_ headers: HTTPHeaders) -> Int? {
        if let value = headers.first(name: "x-amz-retry-after"), let milliseconds = Int(value), milliseconds >= 0 {
            return milliseconds
        }
        if let value = headers.first(name: "retry-after"), let seconds = Int(value), seconds >= 0 {
            return seconds * 1000
        }
        return nil
    }
}
