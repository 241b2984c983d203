/// A byte range of a local file, the body of an upload. A retry reads it again rather than keeping
/// the bytes in memory.
public struct FileSlice: Sendable, Hashable {
    public var path: String
    public var offset: Int64
    public var length: Int64

    public init(path: String, offset: Int64 = 0, length: Int64) {
        self.path = path
        self.offset = offset
        self.length = length
    }
}
