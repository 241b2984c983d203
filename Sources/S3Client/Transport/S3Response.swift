import NIOCore
import NIOHTTP1

/// A successful (2xx) answer: status, headers, the whole body, and how many attempts it took.
struct S3Response: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var body: ByteBuffer
    var attempts = AttemptRecord()

    func header(_ name: String) -> String? { headers.first(name: name) }

    /// The body parsed as XML.
    func xml(operation: String) throws(S3ClientError) -> XMLElement {
        do {
            return try XMLDocumentParser.parse(body.readableBytesView)
        } catch {
            throw S3ClientError(.invalidResponse, "the response is not S3 XML (\(error))", operation: operation)
        }
    }
}
