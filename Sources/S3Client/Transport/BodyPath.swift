import NIOCore
import NIOHTTP1

/// How one attempt's body goes out, chosen in one place from the body, the scheme and pacing.
enum BodyPath: Sendable {
    /// No body (GET, HEAD, DELETE).
    case none
    /// An empty body with `Content-Length: 0` (PUT and POST always send one).
    case empty
    /// Bytes in memory.
    case bytes(ByteBuffer)
    /// A file slice sent with `sendfile(2)`: plain HTTP and no bandwidth limit.
    case sendfile(FileSlice)
    /// A file slice read in chunks: TLS (which cannot take a file region) or a bandwidth limit
    /// (which paces chunks).
    case chunks(FileSlice)

    init(body: S3RequestBody, method: HTTPMethod, scheme: String, paced: Bool) {
        switch body {
        case .empty: self = method == .PUT || method == .POST ? .empty : .none
        case .bytes(let buffer): self = .bytes(buffer)
        case .file(let slice): self = scheme == "http" && !paced ? .sendfile(slice) : .chunks(slice)
        }
    }
}
