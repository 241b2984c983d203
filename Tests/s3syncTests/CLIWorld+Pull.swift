import Foundation
import S3TestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// What the pull tests share: running `s3sync pull`, filling the bucket with a push that keeps
/// its own state, and looking at the directory pulled into.
extension CLIWorld {
    /// `pull s3://BUCKET[/PREFIX] DIRECTORY --state … --json` plus `extra`; no prefix when `nil`.
    func pullArguments(_ directory: String, _ extra: [String] = [], prefix: String? = "backup") -> [String] {
        let source = prefix.map { "s3://\(bucket)/\($0)" } ?? "s3://\(bucket)"
        return ["pull", source, directory, "--state", state, "--json"] + extra
    }

    /// Runs `s3sync pull` to completion (through `binary` when given, e.g. one aimed at a proxy).
    func pull(
        _ directory: String, _ extra: [String] = [], prefix: String? = "backup", using binary: S3SyncBinary? = nil,
        timeout: Duration = .seconds(180)
    ) async throws -> S3SyncBinary.Run {
        try await (binary ?? s3sync).run(pullArguments(directory, extra, prefix: prefix), timeout: timeout)
    }

    /// `s3sync resume --state … --json` plus `extra`, to completion.
    func resume(
        _ extra: [String] = [], using binary: S3SyncBinary? = nil, timeout: Duration = .seconds(180)
    ) async throws -> S3SyncBinary.Run {
        try await (binary ?? s3sync).run(["resume", "--state", state, "--json"] + extra, timeout: timeout)
    }

    /// Pushes the tree with a state database of its own, so the pull's job and index start empty,
    /// as on another host restoring a backup.
    func pushWithOwnState(_ extra: [String] = [], prefix: String = "backup") async throws -> S3SyncBinary.Run {
        try await s3sync.run(
            ["push", tree.root, "s3://\(bucket)/\(prefix)", "--state", home + "/pusher/state.db", "--json"] + extra,
            timeout: .seconds(180))
    }

    /// Size and MD5 of every file in the tree, by relative path.
    func expectedFiles() throws -> [String: ExpectedFile] {
        try LocalDirectory(tree.root).files().mapValues { ExpectedFile(size: $0.size, md5: $0.md5) }
    }
}

/// The size and content a file must have to count as restored.
struct ExpectedFile: Sendable, Hashable {
    var size: Int
    var md5: String
}

/// A file's modification time to the nanosecond.
struct FileTime: Sendable, Hashable, CustomStringConvertible {
    var seconds: Int
    var nanoseconds: Int

    /// The mtime of `path` (not following a final symlink), or `nil` when there is nothing there.
    static func of(_ path: String) -> FileTime? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        return FileTime(seconds: Int(info.st_mtim.tv_sec), nanoseconds: Int(info.st_mtim.tv_nsec))
    }

    /// Sets the access and modification times of `path` to this time.
    func apply(to path: String) throws {
        let time = timespec(tv_sec: seconds, tv_nsec: nanoseconds)
        var times = [time, time]
        guard utimensat(AT_FDCWD, path, &times, 0) == 0 else {
            throw TestSupportError("utimensat \(path): errno \(errno)")
        }
    }

    var secondsSince1970: Double { Double(seconds) + Double(nanoseconds) / 1e9 }
    var description: String { "\(seconds).\(String(format: "%09d", nanoseconds))" }
}

/// A directory as the pull tests look at it.
struct LocalDirectory: Sendable {
    struct File: Sendable, Hashable {
        var size: Int
        var md5: String
    }

    let root: String

    init(_ root: String) { self.root = root }

    func path(_ relative: String) -> String { root + "/" + relative }

    /// Every regular file under the root, by relative path, s3sync's temporary files included
    /// (a test comparing with what it expects sees them as a difference). Symlinks are not
    /// followed.
    func files() throws -> [String: File] {
        var result: [String: File] = [:]
        for relative in try entries(recursive: true) {
            var info = stat()
            guard lstat(path(relative), &info) == 0, info.st_mode & S_IFMT == S_IFREG else { continue }
            let data = try Data(contentsOf: URL(fileURLWithPath: path(relative)))
            result[relative] = File(size: data.count, md5: data.md5Hex)
        }
        return result
    }

    /// Relative path → MD5, as ``CLIWorld/local()`` gives it for the source tree.
    func contents() throws -> [String: String] { try files().mapValues(\.md5) }

    /// Relative paths of everything under the root (or only its own entries), symlinks not followed.
    func entries(recursive: Bool = false) throws -> Set<String> {
        var result: Set<String> = []
        var pending = [""]
        while let directory = pending.popLast() {
            let full = directory.isEmpty ? root : path(directory)
            for name in try FileManager.default.contentsOfDirectory(atPath: full) {
                let relative = directory.isEmpty ? name : directory + "/" + name
                result.insert(relative)
                var info = stat()
                if recursive, lstat(path(relative), &info) == 0, info.st_mode & S_IFMT == S_IFDIR {
                    pending.append(relative)
                }
            }
        }
        return result
    }

    /// s3sync's temporary files (`.s3sync-<hex>.partial`) anywhere under the root.
    func temporaryFiles() throws -> [String] {
        try entries(recursive: true).filter { Self.isTemporary($0) }.sorted()
    }

    static func isTemporary(_ relative: String) -> Bool {
        let name = relative.split(separator: "/").last.map(String.init) ?? relative
        return name.hasPrefix(".s3sync-") && name.hasSuffix(".partial")
    }

    /// Files at a final name (not a temporary one) whose size or content is not what `expected`
    /// says, or that `expected` does not know: each a line saying what is wrong.
    func tornFiles(expected: [String: ExpectedFile]) throws -> [String] {
        var problems: [String] = []
        for (relative, file) in try files() where !Self.isTemporary(relative) {
            guard let want = expected[relative] else {
                problems.append("\(relative): not expected here")
                continue
            }
            if file.size != want.size || file.md5 != want.md5 {
                problems.append("\(relative): \(file.size) bytes, md5 \(file.md5); expected \(want.size), \(want.md5)")
            }
        }
        return problems.sorted()
    }

    /// Watches the directory until the task is cancelled: every expected file must be whole from
    /// the moment it shows at its final name. Returns what was seen wrong.
    func watchFinalNames(expected: [String: ExpectedFile]) -> Task<[String], Never> {
        let root = self.root
        return Task {
            var whole: Set<String> = []
            var problems: [String] = []
            var looks = 0
            while !Task.isCancelled {
                looks += 1
                for (relative, want) in expected where !whole.contains(relative) {
                    let full = root + "/" + relative
                    var info = stat()
                    guard lstat(full, &info) == 0 else { continue }
                    whole.insert(relative)
                    guard Int(info.st_size) == want.size else {
                        problems.append(
                            "\(relative) showed at its final name with \(info.st_size) of \(want.size) bytes")
                        continue
                    }
                    guard let data = FileManager.default.contents(atPath: full), data.md5Hex == want.md5 else {
                        problems.append("\(relative) showed at its final name with other content")
                        continue
                    }
                }
                try? await Task.sleep(for: .milliseconds(10))
            }
            if looks < 10 { problems.append("the watch looked only \(looks) times") }
            return problems
        }
    }
}

/// A tmpfs mounted for one test (they run as root), unmounted and removed by ``unmount()``.
struct TemporaryMount: Sendable {
    let path: String

    /// Mounts a tmpfs with `options` (e.g. `size=20m`, `ro`) on a new directory.
    static func tmpfs(_ options: String) async throws -> TemporaryMount {
        let path = try TestEnvironment.makeTemporaryDirectory("mount")
        let mounted = try await Shell.run("/usr/bin/mount", ["-t", "tmpfs", "-o", options, "tmpfs", path])
        guard mounted.status == 0 else {
            TestEnvironment.removeTree(path)
            throw TestSupportError("mount -t tmpfs -o \(options) failed: \(mounted.errorOutput)")
        }
        return TemporaryMount(path: path)
    }

    /// `mount -o remount,OPTIONS`.
    func remount(_ options: String) async throws {
        let result = try await Shell.run("/usr/bin/mount", ["-o", "remount," + options, path])
        guard result.status == 0 else { throw TestSupportError("remount \(options) failed: \(result.errorOutput)") }
    }

    /// Unmounts (lazily, so a process still inside cannot keep it) and removes the directory.
    func unmount() {
        _ = try? Shell.runSync("/usr/bin/umount", ["-l", path])
        TestEnvironment.removeTree(path)
    }
}

extension S3SyncBinary.Run {
    /// Whether a failure of the `--json` summary names `key`: its path is the key (or ends with
    /// it as whole components), or its error mentions it.
    func failureNames(_ key: String) -> Bool {
        failures.contains { path, error in
            path == key || path.hasSuffix("/" + key) || error.contains(key)
        }
    }

    /// The failures as lines, for messages.
    var failureLines: String {
        failures.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: "\n")
    }
}
