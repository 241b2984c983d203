import Foundation
import S3TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// What `s3sync push` finds changed, as a real process against `rclone serve s3`: the index keeps
/// each file's full stat (size, mtime, ctime, inode), so an edit whose mtime was put back is
/// uploaded, and an untouched tree is skipped without reading a file.
@Suite struct ChangeDetectionTests {
    /// The compare modes that trust the index: the default (size and mtime) and `--checksum`.
    static let modes: [[String]] = [[], ["--checksum"]]

    /// A same-size edit, then the old mtime put back with `touch -r` (as `rsync -t` and restored
    /// backups do): only the ctime, which no system call sets back, shows the edit.
    @Test(arguments: modes)
    func aSameSizeEditWhoseMtimeWasPutBackIsUploaded(options: [String]) async throws {
        try await CLIWorld.with { world in
            try world.tree.write("notes.txt", "version A")
            try world.tree.write("other.txt", "not edited")
            let first = try await world.push(options)
            #expect(first.status == 0, "\(first.stderr)")
            #expect(first.int("uploaded_files") == 2)

            let reference = world.home + "/notes.reference"
            #expect(FileManager.default.createFile(atPath: reference, contents: nil))
            try await touch(reference, like: world.tree.path("notes.txt"))
            let before = try sizeAndMtime(world.tree.path("notes.txt"))
            try world.tree.write("notes.txt", "version B")
            try await touch(world.tree.path("notes.txt"), like: reference)
            #expect(try sizeAndMtime(world.tree.path("notes.txt")) == before)

            let second = try await world.push(options)
            #expect(second.status == 0, "\(second.stderr)")
            #expect(second.int("uploaded_files") == 1)
            #expect(second.int("skipped_files") == 1)
            #expect(try await world.remote()["backup/notes.txt"] == Data("version B".utf8).md5Hex)
            #expect(try await world.remote() == (try world.expected()))

            let third = try await world.push(options)
            #expect(third.int("uploaded_files") == 0)
            #expect(third.int("skipped_files") == 2)
        }
    }

    /// Pushed again, an untouched tree uploads nothing and reads no file: the second run goes as
    /// an unprivileged user who may stat the files but not open them (root opens everything).
    /// The tree holds a multipart object too, which rclone lists under another ETag than its
    /// completion returned: adopting it needs no read either.
    @Test(arguments: modes)
    func anUntouchedTreeIsSkippedWithoutReadingAFile(options: [String]) async throws {
        try await CLIWorld.with { world in
            let written = try writeUnreadableTree(world)
            let arguments = options + MixedTree.multipartArguments
            let first = try await world.push(arguments)
            #expect(first.status == 0, "\(first.stderr)")
            #expect(first.int("uploaded_files") == written)
            try handStateToUnprivilegedUser(world)
            if getuid() == 0 {
                let cat = try await Shell.run(
                    "/usr/bin/setpriv",
                    ["--reuid=65534", "--regid=65534", "--clear-groups", "/bin/cat", world.tree.path("a/one.txt")])
                #expect(cat.status != 0, "the unprivileged user can read the files: the test proves nothing")
            }

            let second = try await world.runUnprivileged(world.pushArguments(arguments))
            #expect(second.status == 0, "\(second.stderr)")
            #expect(second.int("uploaded_files") == 0)
            #expect(second.int("skipped_files") == written)
            #expect(second.int("failed_files") == 0)
            #expect(second.int("warnings") == 0, "\(second.stderr)")
            #expect(try await world.remote() == (try world.expected()))
        }
    }

    /// An index written before s3sync kept the ctime (the rows' ctime and device are NULL) is
    /// trusted as before by the default mode: the first push after the upgrade uploads nothing,
    /// reads no file, and records the full stat.
    @Test func anIndexFromBeforeTheCtimeUploadsNothingAndIsCompleted() async throws {
        try await CLIWorld.with { world in
            let written = try writeUnreadableTree(world)
            let first = try await world.push(MixedTree.multipartArguments)
            #expect(first.status == 0, "\(first.stderr)")
            let forget = "UPDATE objectIndex SET ctimeNanoseconds = NULL, device = NULL"
            #expect(try await Shell.run("/usr/bin/sqlite3", [world.state, forget]).status == 0)
            #expect(try await rowsWithoutCtime(world) == "\(written)")
            try handStateToUnprivilegedUser(world)

            let second = try await world.runUnprivileged(world.pushArguments(MixedTree.multipartArguments))
            #expect(second.status == 0, "\(second.stderr)")
            #expect(second.int("uploaded_files") == 0)
            #expect(second.int("skipped_files") == written)
            #expect(try await rowsWithoutCtime(world) == "0")
        }
    }

    /// `touch -r reference path`: gives `path` the access and modification times of `reference`.
    func touch(_ path: String, like reference: String) async throws {
        let result = try await Shell.run("/usr/bin/touch", ["-r", reference, path])
        #expect(result.status == 0, "\(result.errorOutput)")
    }

    /// A file's size and modification time (to the nanosecond), as `stat` reports them.
    func sizeAndMtime(_ path: String) throws -> [Int64] {
        var info = stat()
        guard stat(path, &info) == 0 else { throw TestSupportError("cannot stat \(path)") }
        return [Int64(info.st_size), Int64(info.st_mtim.tv_sec), Int64(info.st_mtim.tv_nsec)]
    }

    /// Small files in a few directories and one of three 5 MiB parts, all readable by their owner
    /// only; directories anyone may search. Returns the number of files.
    func writeUnreadableTree(_ world: CLIWorld) throws -> Int {
        let small = ["a/one.txt", "a/two.txt", "b/c/three.txt", "top.txt"]
        for path in small { try world.tree.write(path, "content of \(path)") }
        try world.tree.writeRandom("big.bin", size: 2 * MixedTree.partSize + 1000)
        for path in small + ["big.bin"] { #expect(chmod(world.tree.path(path), 0o600) == 0) }
        for directory in ["", "a", "b", "b/c"] { #expect(chmod(world.tree.path(directory), 0o755) == 0) }
        return small.count + 1
    }

    /// Lets the unprivileged user of ``CLIWorld/runUnprivileged(_:extraEnvironment:timeout:)`` use
    /// the state root made: its directory, database and lock files. The tree is left as it is.
    func handStateToUnprivilegedUser(_ world: CLIWorld) throws {
        guard getuid() == 0 else { return }
        #expect(chmod(world.home, 0o755) == 0)
        let directory = world.home + "/state"
        var paths = [directory]
        let enumerator = FileManager.default.enumerator(atPath: directory)
        while let path = enumerator?.nextObject() as? String { paths.append(directory + "/" + path) }
        for path in paths { #expect(chown(path, 65534, 65534) == 0, "chown \(path)") }
    }

    /// How many index rows lack the ctime, as the sqlite3 shell prints it.
    func rowsWithoutCtime(_ world: CLIWorld) async throws -> String {
        let query = "SELECT COUNT(*) FROM objectIndex WHERE ctimeNanoseconds IS NULL"
        let result = try await Shell.run("/usr/bin/sqlite3", [world.state, query])
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
