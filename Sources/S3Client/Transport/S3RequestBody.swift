import NIOCore

/// The body of a request: nothing, bytes in memory, or a slice of a file read while sending.
public enum S3RequestBody: Sendable {
    case empty
    case bytes(ByteBuffer)
    case file(FileSlice)

    public var length: Int64 {
        switch self {
        case .empty: return 0
        case .bytes(let buffer): return Int64(buffer.readableBytes)
        case .file(let slice): return slice.length
        }
    }
}
