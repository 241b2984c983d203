/// A regular file found under the source directory (a symlink to one counts, when followed).
public struct LocalFile: Sendable, Hashable {
    /// Path relative to the source directory, `/`-separated; the key is the prefix plus this.
    public var relativePath: String
    public var absolutePath: String
    public var stat: FileIdentity

    public init(relativePath: String, absolutePath: String, stat: FileIdentity) {
        self.relativePath = relativePath
        self.absolutePath = absolutePath
        self.stat = stat
    }
}

/// What identifies a file's content without reading it: size, modification time, inode.
public struct FileIdentity: Sendable, Hashable, Codable {
    public var size: Int64
    /// Modification time in nanoseconds since 1970.
    public var mtimeNanoseconds: Int64
    public var inode: UInt64
    public var device: UInt64

    public init(size: Int64, mtimeNanoseconds: Int64, inode: UInt64, device: UInt64) {
        self.size = size
        self.mtimeNanoseconds = mtimeNanoseconds
        self.inode = inode
        self.device = device
    }

    /// `seconds.nanoseconds`, the form rclone writes to `x-amz-meta-mtime`.
    public var mtimeMetadata: String {
        let seconds = mtimeNanoseconds.quotientAndRemainder(dividingBy: 1_000_000_000)
        var fraction = String(seconds.remainder < 0 ? -seconds.remainder : seconds.remainder)
        fraction = String(repeating: "0", count: 9 - fraction.count) + fraction
        return "\(seconds.quotient).\(fraction)"
    }
}
