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

/// What identifies a file's content without reading it, as git's index does: size, modification
/// time, status-change time, inode and device.
///
/// The mtime alone is not enough: `touch -r`, `rsync -t` and restored backups put it back after
/// an edit. The ctime is different: the kernel sets it to the current time on every write, rename,
/// `utimensat`, `chmod` or `chown`, and no system call sets it back. So a file whose size, mtime,
/// ctime and inode are all what they were has the same content (``ChangeDetector/compare(_:with:)``;
/// the device is kept but, as in git, not compared there).
public struct FileIdentity: Sendable, Hashable, Codable {
    public var size: Int64
    /// Modification time in nanoseconds since 1970.
    public var mtimeNanoseconds: Int64
    /// Status-change time in nanoseconds since 1970.
    public var ctimeNanoseconds: Int64
    public var inode: UInt64
    public var device: UInt64

    public init(size: Int64, mtimeNanoseconds: Int64, ctimeNanoseconds: Int64, inode: UInt64, device: UInt64) {
        self.size = size
        self.mtimeNanoseconds = mtimeNanoseconds
        self.ctimeNanoseconds = ctimeNanoseconds
        self.inode = inode
        self.device = device
    }

    /// `seconds.nanoseconds`, the form rclone writes to `x-amz-meta-mtime`.
    public var mtimeMetadata: String { Self.mtimeMetadata(mtimeNanoseconds) }

    /// Whether the file has the size and mtime a task was planned with (what every host of a
    /// shared file system sees alike; inodes and devices may differ between hosts).
    func isAsPlanned(_ task: TaskRecord) -> Bool {
        size == task.size && mtimeNanoseconds == task.mtimeNanoseconds
    }

    /// An mtime in nanoseconds as `seconds.nanoseconds`.
    static func mtimeMetadata(_ mtimeNanoseconds: Int64) -> String {
        let seconds = mtimeNanoseconds.quotientAndRemainder(dividingBy: 1_000_000_000)
        var fraction = String(seconds.remainder < 0 ? -seconds.remainder : seconds.remainder)
        fraction = String(repeating: "0", count: 9 - fraction.count) + fraction
        return "\(seconds.quotient).\(fraction)"
    }
}
