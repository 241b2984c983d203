#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// An open directory under a ``DownloadRoot``; files in it are reached by name from its
/// descriptor, never through a symbolic link. Closed when the last reference goes.
public final class Directory: Sendable {
    let descriptor: Int32
    /// The path relative to the root (empty for the root itself).
    public let relativePath: String
    let root: DownloadRoot

    init(descriptor: Int32, relativePath: String, root: DownloadRoot) {
        self.descriptor = descriptor
        self.relativePath = relativePath
        self.root = root
    }

    deinit { close(descriptor) }

    func path(of name: String) -> String {
        relativePath.isEmpty ? name : relativePath + "/" + name
    }

    /// Opens a regular file for writing; `create` makes it (empty) when missing or truncates it.
    /// - Returns: the descriptor, or `nil` when it does not exist (and `create` is off).
    func openFile(_ name: String, create: Bool) throws(LocalPathError) -> Int32? {
        let flags = O_RDWR | O_NOFOLLOW | O_CLOEXEC | (create ? O_CREAT | O_TRUNC : 0)
        let fd = openat(descriptor, name, flags, 0o666)
        if fd < 0 {
            if errno == ENOENT && !create { return nil }
            throw LocalPathError("cannot open \(path(of: name)): \(String(cString: strerror(errno)))")
        }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw LocalPathError("\(path(of: name)) is not a regular file")
        }
        return fd
    }

    /// Puts the file `from` in place of `to`, atomically.
    /// - Throws: ``LocalPathError`` when `to` is a directory (a key `to` beside keys under `to/`).
    func rename(_ from: String, to: String) throws(LocalPathError) {
        guard renameat(descriptor, from, descriptor, to) == 0 else {
            let code = errno
            if code == EISDIR || code == ENOTEMPTY || code == EEXIST {
                let inside = firstEntry(of: to) ?? path(of: to) + "/…"
                throw LocalPathError(
                    "\(path(of: to)) is a directory (holding \(inside)), so it cannot also be a file: \(path(of: to)) and \(inside) cannot both exist"
                )
            }
            throw LocalPathError("cannot rename into \(path(of: to)): \(String(cString: strerror(code)))")
        }
    }

    /// Removes a regular file (never a directory or what a symbolic link points to).
    /// - Returns: whether it was there.
    @discardableResult
    func removeFile(_ name: String) throws(LocalPathError) -> Bool {
        var info = stat()
        guard fstatat(descriptor, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { return false }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw LocalPathError("\(path(of: name)) is not a regular file; it was left alone")
        }
        guard unlinkat(descriptor, name, 0) == 0 else {
            throw LocalPathError("cannot remove \(path(of: name)): \(String(cString: strerror(errno)))")
        }
        return true
    }

    /// The path of the first file in a subdirectory, for messages: a download in progress there
    /// by the file it becomes.
    func firstEntry(of name: String) -> String? {
        let fd = openat(descriptor, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0, let stream = fdopendir(fd) else { return nil }
        defer { closedir(stream) }
        while let entry = readdir(stream) {
            // Read in place: a dirent is only as long as its name (see LocalWalker).
            let bytes = UnsafeRawPointer(entry).advanced(by: LocalWalker.nameOffset).assumingMemoryBound(to: CChar.self)
            let entryName = String(decoding: UnsafeRawBufferPointer(start: bytes, count: strlen(bytes)), as: UTF8.self)
            guard entryName != "." && entryName != ".." else { continue }
            let entryPath = path(of: name) + "/" + entryName
            guard DownloadRoot.isTemporaryName(Array(entryName.utf8)) else { return entryPath }
            if let becoming = root.download(becoming: entryPath) { return becoming }
        }
        return nil
    }
}
