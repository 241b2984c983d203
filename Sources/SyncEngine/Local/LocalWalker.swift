#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Walks the source directory in S3 key order (UTF-8 bytes of the relative path), holding only
/// the directories on the current path in memory.
///
/// A walker visits a directory as a unit, but S3 orders `a-b` before `a/b` before `a0`; so each
/// directory's entries are sorted by their key bytes with a directory's name compared as `name/`.
/// Symlinks are followed (with loop detection) unless `followSymlinks` is off; FIFOs, sockets and
/// devices are reported and skipped; names that are not UTF-8 are reported as failures.
public struct LocalWalker: Sequence, IteratorProtocol {
    public enum Entry: Sendable {
        case file(LocalFile)
        case problem(LocalProblem)
    }

    struct DirectoryEntry {
        let name: String
        let sortKey: [UInt8]
        let isDirectory: Bool
        let isSymlink: Bool
    }

    struct Frame {
        let relativePrefix: String
        let absolutePath: String
        let entries: [DirectoryEntry]
        var index: Int
        let identity: DirectoryIdentity
    }

    struct DirectoryIdentity: Hashable {
        let device: UInt64
        let inode: UInt64
    }

    public let root: String
    public let followSymlinks: Bool
    let filter: PathFilter
    var stack: [Frame] = []
    var pending: [Entry] = []
    var ancestors: Set<DirectoryIdentity> = []

    /// A walk of a directory that does not exist yet (a pull's, before it is created): nothing.
    public init(nothingAt root: String) {
        self.root = root
        self.followSymlinks = false
        self.filter = PathFilter([])
    }

    /// - Throws: ``SyncError`` (configuration) when the root is missing, not a directory or unreadable.
    public init(root: String, followSymlinks: Bool = true, filter: PathFilter = PathFilter([])) throws(SyncError) {
        var root = root
        while root.count > 1 && root.hasSuffix("/") { root.removeLast() }
        self.root = root
        self.followSymlinks = followSymlinks
        self.filter = filter
        var info = stat()
        guard stat(root, &info) == 0 else {
            let code = errno
            throw SyncError(
                .configuration,
                code == ENOENT
                    ? "source directory \(root) does not exist"
                    : "cannot access source directory \(root): \(String(cString: strerror(code)))")
        }
        guard (info.st_mode & S_IFMT) == S_IFDIR else {
            throw SyncError(.configuration, "source \(root) is not a directory: the source must be a directory")
        }
        let identity = DirectoryIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
        switch Self.readDirectory(root, relativePrefix: "", followSymlinks: followSymlinks) {
        case .success(let entries):
            stack = [Frame(relativePrefix: "", absolutePath: root, entries: entries.0, index: 0, identity: identity)]
            pending = entries.1
            ancestors = [identity]
        case .failure(let reason):
            throw SyncError(.configuration, "cannot read source directory \(root): \(reason)")
        }
    }

    public mutating func next() -> Entry? {
        while true {
            if !pending.isEmpty { return pending.removeFirst() }
            guard var frame = stack.popLast() else { return nil }
            guard frame.index < frame.entries.count else {
                ancestors.remove(frame.identity)
                continue
            }
            let entry = frame.entries[frame.index]
            frame.index += 1
            stack.append(frame)
            let relativePath = frame.relativePrefix + entry.name
            let absolutePath = frame.absolutePath == "/" ? "/" + entry.name : frame.absolutePath + "/" + entry.name
            if entry.isDirectory {
                if filter.excludesDirectory(relativePath) { continue }
                if let problem = enterDirectory(relativePath: relativePath, absolutePath: absolutePath) {
                    return problem
                }
            } else if filter.includes(relativePath),
                let found = Self.file(entry, relativePath: relativePath, absolutePath: absolutePath)
            {
                return found
            }
        }
    }

    /// Starts walking a directory below the current one; returns the problem when it cannot be
    /// read or loops back to a directory above it.
    mutating func enterDirectory(relativePath: String, absolutePath: String) -> Entry? {
        var info = stat()
        guard stat(absolutePath, &info) == 0 else {
            return .problem(
                LocalProblem(
                    path: relativePath + "/", reason: "cannot stat directory: \(String(cString: strerror(errno)))",
                    severity: .failure))
        }
        let identity = DirectoryIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
        if ancestors.contains(identity) {
            return .problem(
                LocalProblem(
                    path: relativePath + "/",
                    reason: "symbolic link loop: it leads back to a directory above it; skipped",
                    severity: .warning))
        }
        switch Self.readDirectory(absolutePath, relativePrefix: relativePath + "/", followSymlinks: followSymlinks) {
        case .success(let (entries, problems)):
            ancestors.insert(identity)
            stack.append(
                Frame(
                    relativePrefix: relativePath + "/", absolutePath: absolutePath, entries: entries, index: 0,
                    identity: identity))
            pending.append(contentsOf: problems)
            return nil
        case .failure(let reason):
            return .problem(
                LocalProblem(path: relativePath + "/", reason: "cannot read directory: \(reason)", severity: .failure))
        }
    }

    /// What a non-directory entry is now: a file, a problem to report, or `nil` to pass over (it
    /// was deleted, or became a directory, since the directory was read).
    static func file(_ entry: DirectoryEntry, relativePath: String, absolutePath: String) -> Entry? {
        var info = stat()
        guard stat(absolutePath, &info) == 0 else {
            let code = errno
            if code == ENOENT && entry.isSymlink {
                return .problem(
                    LocalProblem(path: relativePath, reason: "broken symbolic link; skipped", severity: .warning))
            }
            if code == ELOOP && entry.isSymlink {
                return .problem(
                    LocalProblem(
                        path: relativePath, reason: "symbolic link loop: it leads back to itself; skipped",
                        severity: .warning))
            }
            if code == ENOENT { return nil }
            return .problem(
                LocalProblem(
                    path: relativePath, reason: "cannot stat: \(String(cString: strerror(code)))", severity: .failure))
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            if (info.st_mode & S_IFMT) == S_IFDIR { return nil }
            return .problem(
                LocalProblem(
                    path: relativePath, reason: "not a regular file (\(kindName(info.st_mode))); skipped",
                    severity: .warning))
        }
        return .file(LocalFile(relativePath: relativePath, absolutePath: absolutePath, stat: FileIdentity(info)))
    }

    static func kindName(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFIFO: return "FIFO"
        case S_IFSOCK: return "socket"
        case S_IFCHR: return "character device"
        case S_IFBLK: return "block device"
        case S_IFLNK: return "symbolic link"
        default: return "special file"
        }
    }

    /// The names of the directories at the top of the tree, in key order: those a prefix that
    /// mirrors the tree has, which a listing can start on before the store names them.
    public func topDirectoryNames() -> [String] {
        let read = Self.readDirectory(root, relativePrefix: "", followSymlinks: followSymlinks)
        guard case .success((let entries, _)) = read else { return [] }
        return entries.filter(\.isDirectory).map(\.name)
    }

    static let typeOffset = MemoryLayout<dirent>.offset(of: \dirent.d_type)!
    static let nameOffset = MemoryLayout<dirent>.offset(of: \dirent.d_name)!

    enum ReadResult {
        case success(([DirectoryEntry], [Entry]))
        case failure(String)
    }

    /// Reads and sorts one directory's entries; reports names and kinds that cannot be uploaded.
    static func readDirectory(_ path: String, relativePrefix: String, followSymlinks: Bool) -> ReadResult {
        guard let directory = opendir(path) else { return .failure(String(cString: strerror(errno))) }
        defer { closedir(directory) }
        var entries: [DirectoryEntry] = []
        var problems: [Entry] = []
        while let pointer = readdir(directory) {
            // A dirent is only as long as its name: reading the whole struct (`pointee`) can run
            // past the end of the directory buffer, so the fields are read in place.
            let record = UnsafeRawPointer(pointer)
            let type = record.load(fromByteOffset: Self.typeOffset, as: UInt8.self)
            let name = record.advanced(by: Self.nameOffset).assumingMemoryBound(to: CChar.self)
            let nameBytes = Array(UnsafeRawBufferPointer(start: name, count: strlen(name)))
            if nameBytes == [UInt8(ascii: ".")] || nameBytes == [UInt8(ascii: "."), UInt8(ascii: ".")] { continue }
            // A pull's temporary files are its own, never part of the tree.
            if DownloadRoot.isTemporaryName(nameBytes) { continue }
            guard let name = String(validating: nameBytes, as: UTF8.self) else {
                problems.append(
                    .problem(
                        LocalProblem(
                            path: relativePrefix + Self.escaped(nameBytes),
                            reason: "the name is not valid UTF-8, so it cannot be an S3 key; rename it",
                            severity: .failure)))
                continue
            }
            var isDirectory = type == DT_DIR
            var isSymlink = type == DT_LNK
            if type == DT_UNKNOWN || type == DT_LNK {
                var info = stat()
                if lstat(path + "/" + name, &info) == 0 {
                    isSymlink = (info.st_mode & S_IFMT) == S_IFLNK
                    isDirectory = (info.st_mode & S_IFMT) == S_IFDIR
                }
                if isSymlink {
                    guard followSymlinks else { continue }
                    if stat(path + "/" + name, &info) == 0 {
                        isDirectory = (info.st_mode & S_IFMT) == S_IFDIR
                    }
                }
            }
            var sortKey = nameBytes
            if isDirectory { sortKey.append(UInt8(ascii: "/")) }
            entries.append(DirectoryEntry(name: name, sortKey: sortKey, isDirectory: isDirectory, isSymlink: isSymlink))
        }
        entries.sort { $0.sortKey.lexicographicallyPrecedes($1.sortKey) }
        return .success((entries, problems))
    }

    /// The name with bytes that are not UTF-8 shown as `\xNN`.
    static func escaped(_ bytes: [UInt8]) -> String {
        var result = ""
        var index = 0
        outer: while index < bytes.count {
            for length in 1...4 where index + length <= bytes.count {
                if let text = String(validating: bytes[index..<(index + length)], as: UTF8.self) {
                    result += text
                    index += length
                    continue outer
                }
            }
            result += String.hexEscape(UInt32(bytes[index]))
            index += 1
        }
        return result
    }
}

extension FileIdentity {
    init(_ info: stat) {
        self.init(
            size: Int64(info.st_size),
            mtimeNanoseconds: Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec),
            ctimeNanoseconds: Int64(info.st_ctim.tv_sec) * 1_000_000_000 + Int64(info.st_ctim.tv_nsec),
            inode: UInt64(info.st_ino), device: UInt64(info.st_dev))
    }

    /// The identity of the file at `path` now, or the errno when it cannot be stat'ed.
    public static func current(path: String) -> Result<FileIdentity, StatError> {
        var info = stat()
        guard stat(path, &info) == 0 else { return .failure(StatError(code: errno)) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { return .failure(StatError(code: EISDIR)) }
        return .success(FileIdentity(info))
    }
}

/// A failed `stat`.
public struct StatError: Error, Sendable {
    public let code: Int32
    public var vanished: Bool { code == ENOENT || code == ENOTDIR }
    public var description: String { String(cString: strerror(code)) }
}
