import Crypto
import S3Client
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The directory a pull writes into, opened once. Everything under it is reached from its
/// descriptor one name at a time (`openat`, `mkdirat`, `renameat`, `unlinkat` with
/// `O_NOFOLLOW`), never by joining strings: a key can name nothing outside it, and a symbolic
/// link inside it is never followed.
public final class DownloadRoot: Sendable {
    public let path: String
    let descriptor: Int32
    /// Downloads in progress: temporary file → the file it becomes (paths relative to the root),
    /// so a message about a directory that holds one names the file, not the temporary name.
    private let downloads = Mutex<[String: String]>([:])

    /// Opens `path`, creating it (and its parents) when missing.
    /// - Throws: ``SyncError`` (configuration) when it is not a directory, cannot be created or is
    ///   not writable.
    public init(path: String) throws(SyncError) {
        self.path = path
        var info = stat()
        if stat(path, &info) != 0 {
            guard errno == ENOENT else {
                throw SyncError(.configuration, "cannot access \(path): \(String(cString: strerror(errno)))")
            }
            try Self.createDirectories(path)
        } else if (info.st_mode & S_IFMT) != S_IFDIR {
            throw SyncError(
                .configuration, "\(path) is not a directory: a pull writes into a directory (it is created if missing)")
        }
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else {
            throw SyncError(.configuration, "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        guard access(path, W_OK) == 0 else {
            let code = errno
            close(fd)
            throw SyncError(
                .configuration,
                "cannot write into \(path): \(String(cString: strerror(code))); choose a writable directory")
        }
        descriptor = fd
    }

    deinit { close(descriptor) }

    static func createDirectories(_ path: String) throws(SyncError) {
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            current += "/" + component
            if mkdir(current, 0o755) != 0 && errno != EEXIST {
                throw SyncError(.configuration, "cannot create \(current): \(String(cString: strerror(errno)))")
            }
        }
    }

    /// The names of a path relative to the root, or why a key cannot be one: empty names (`a//b`,
    /// a leading `/`), `.` and `..`, NUL, and names longer than the file system takes.
    public static func components(of relativePath: String) -> Result<[Substring], LocalPathError> {
        let names = relativePath.split(separator: "/", omittingEmptySubsequences: false)
        for name in names {
            if name.isEmpty {
                return .failure(LocalPathError("it has an empty path component (a leading, doubled or trailing /)"))
            }
            if name == "." || name == ".." {
                return .failure(LocalPathError("it has a '\(name)' path component, which would leave its place"))
            }
            if name.utf8.contains(0) { return .failure(LocalPathError("it contains a NUL character")) }
            if name.utf8.count > Int(NAME_MAX) {
                return .failure(LocalPathError("the name '\(name.prefix(40))…' is longer than \(NAME_MAX) bytes"))
            }
        }
        return .success(names)
    }

    /// Opens the directory at `names` under the root, making missing ones when `create` is set.
    /// - Throws: ``LocalPathError`` when a name on the way is a file or a symbolic link.
    public func directory(_ names: ArraySlice<Substring>, create: Bool) throws(LocalPathError) -> Directory {
        var current = Directory(descriptor: dup(descriptor), relativePath: "", root: self)
        for name in names {
            let child = current.relativePath.isEmpty ? String(name) : current.relativePath + "/" + name
            var fd = openat(current.descriptor, String(name), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            if fd < 0 && errno == ENOENT && create {
                if mkdirat(current.descriptor, String(name), 0o755) != 0 && errno != EEXIST {
                    throw LocalPathError("cannot create the directory \(child): \(String(cString: strerror(errno)))")
                }
                fd = openat(current.descriptor, String(name), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            }
            guard fd >= 0 else {
                let code = errno
                throw LocalPathError(Self.describeBlocked(child, in: current, name: String(name), code: code))
            }
            current = Directory(descriptor: fd, relativePath: child, root: self)
        }
        return current
    }

    /// Why `child` cannot be opened as a directory.
    static func describeBlocked(_ child: String, in parent: Directory, name: String, code: Int32) -> String {
        var info = stat()
        if fstatat(parent.descriptor, name, &info, AT_SYMLINK_NOFOLLOW) == 0 {
            switch info.st_mode & S_IFMT {
            case S_IFLNK:
                return "\(child) is a symbolic link; s3sync never writes through one"
            case S_IFREG:
                return
                    "\(child) is a file, so it cannot also be a directory (the key \(child) and a key under \(child)/)"
            default:
                return "\(child) is not a directory"
            }
        }
        return "cannot open the directory \(child): \(String(cString: strerror(code)))"
    }

    /// Notes that the temporary file `temporary` is becoming `final` (`nil` when it is done).
    func download(_ temporary: String, becomes final: String?) {
        downloads.withLock { $0[temporary] = final }
    }

    /// The file a temporary file is becoming, while it downloads.
    func download(becoming temporary: String) -> String? {
        downloads.withLock { $0[temporary] }
    }

    /// A pull's temporary file for a key: hidden, in the key's directory, named by a hash of the
    /// key so a later run finds it again.
    public static func temporaryName(for key: String) -> String {
        let digest = SHA256.hash(data: Array(key.utf8))
        return temporaryPrefix + Hex.encode(Array(digest.prefix(8))) + temporarySuffix
    }

    static let temporaryPrefix = ".s3sync-"
    static let temporarySuffix = ".partial"

    /// Whether a file name is a pull's temporary file.
    static func isTemporaryName(_ name: [UInt8]) -> Bool {
        name.count == temporaryPrefix.utf8.count + 16 + temporarySuffix.utf8.count
            && name.starts(with: temporaryPrefix.utf8) && name.reversed().starts(with: temporarySuffix.utf8.reversed())
    }

    /// Makes sure everything written under the root is on disk: `syncfs` on its file system
    /// (looked up, as the Glibc module does not export it), else `sync`.
    public func synchronize() {
        typealias SyncFS = @convention(c) (Int32) -> Int32
        if let symbol = dlsym(nil, "syncfs") {
            _ = unsafeBitCast(symbol, to: SyncFS.self)(descriptor)
        } else {
            sync()
        }
    }
}

/// Why a key cannot be written (or a local file removed) under the root.
public struct LocalPathError: Error, Sendable, CustomStringConvertible {
    public let message: String
    init(_ message: String) { self.message = message }
    public var description: String { message }
}
