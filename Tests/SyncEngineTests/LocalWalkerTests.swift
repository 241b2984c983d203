import Foundation
import S3TestSupport
import Testing

@testable import SyncEngine

@Suite struct LocalWalkerTests {
    func makeTree(_ paths: [String]) throws -> String {
        let root = try TestEnvironment.makeTemporaryDirectory("walk")
        for path in paths {
            let full = root + "/" + path
            try FileManager.default.createDirectory(
                atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(path.utf8).write(to: URL(fileURLWithPath: full))
        }
        return root
    }

    func files(_ walker: LocalWalker) -> [String] {
        walker.compactMap { entry in
            if case .file(let file) = entry { return file.relativePath }
            return nil
        }
    }

    @Test func walksInS3KeyOrder() throws {
        let paths = ["a-b", "a/b", "a/c/d", "a0", "a.b", "b", "A", "a b", "ü", "z/y/x", "a/b-c", "a/b/c"].filter {
            $0 != "a/b"
        }
        let root = try makeTree(paths)
        defer { TestEnvironment.removeTree(root) }
        let walked = files(try LocalWalker(root: root))
        #expect(walked == paths.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
    }

    @Test func reportsSpecialFilesAndLoops() throws {
        let root = try makeTree(["d/file"])
        defer { TestEnvironment.removeTree(root) }
        #expect(mkfifo(root + "/fifo", 0o600) == 0)
        #expect(symlink(root + "/d", root + "/d/loop") == 0)
        #expect(symlink(root + "/missing", root + "/broken") == 0)
        #expect(symlink(root + "/d/file", root + "/link-to-file") == 0)
        var problems: [String] = []
        var walked: [String] = []
        for entry in try LocalWalker(root: root) {
            switch entry {
            case .file(let file): walked.append(file.relativePath)
            case .problem(let problem):
                #expect(problem.severity == .warning)
                problems.append(problem.path)
            }
        }
        #expect(walked == ["d/file", "link-to-file"])
        #expect(Set(problems) == ["broken", "d/loop/", "fifo"])
        let noLinks = files(try LocalWalker(root: root, followSymlinks: false))
        #expect(noLinks == ["d/file"])
    }

    @Test func nonUTF8NamesAreFailuresWithThePathShown() throws {
        let root = try makeTree(["ok"])
        defer { TestEnvironment.removeTree(root) }
        let name: [UInt8] = Array("bad".utf8) + [0xFF, 0xFE] + Array(".txt".utf8)
        let path = Array(root.utf8) + [UInt8(ascii: "/")] + name + [0]
        let fd = path.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { open($0.baseAddress!, O_CREAT | O_WRONLY, 0o600) }
        }
        #expect(fd >= 0)
        close(fd)
        let problems = try LocalWalker(root: root).compactMap { entry -> LocalProblem? in
            if case .problem(let problem) = entry { return problem }
            return nil
        }
        #expect(problems.map(\.path) == ["bad\\xFF\\xFE.txt"])
        #expect(problems.first?.severity == .failure)
    }

    @Test func aMissingSourceIsAConfigurationError() {
        #expect(throws: SyncError.self) { try LocalWalker(root: "/nonexistent/source/dir") }
    }

    /// A file's identity is its full stat, as git's index keeps it; a same-size edit whose mtime
    /// was put back (as `touch -r` does) still changes it, by the ctime.
    @Test func theIdentityIsTheFullStatAndAnEditWhoseMtimeWasPutBackChangesIt() async throws {
        let root = try makeTree(["f"])
        defer { TestEnvironment.removeTree(root) }
        let path = root + "/f"
        var info = stat()
        #expect(stat(path, &info) == 0)
        let before = try FileIdentity.current(path: path).get()
        #expect(before.size == 1)
        #expect(before.mtimeNanoseconds == Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec))
        #expect(before.ctimeNanoseconds == Int64(info.st_ctim.tv_sec) * 1_000_000_000 + Int64(info.st_ctim.tv_nsec))
        #expect(before.inode == UInt64(info.st_ino))
        #expect(before.device == UInt64(info.st_dev))
        let walked = try LocalWalker(root: root).compactMap { entry -> FileIdentity? in
            if case .file(let file) = entry { return file.stat }
            return nil
        }
        #expect(walked == [before])

        // The kernel's file timestamps tick every few milliseconds.
        try await Task.sleep(for: .milliseconds(50))
        try Data("g".utf8).write(to: URL(fileURLWithPath: path))
        let seconds = before.mtimeNanoseconds.quotientAndRemainder(dividingBy: 1_000_000_000)
        var times = [timespec](
            repeating: timespec(tv_sec: Int(seconds.quotient), tv_nsec: Int(seconds.remainder)), count: 2)
        #expect(utimensat(AT_FDCWD, path, &times, 0) == 0)
        let after = try FileIdentity.current(path: path).get()
        #expect(after.size == before.size)
        #expect(after.mtimeNanoseconds == before.mtimeNanoseconds)
        #expect(after.ctimeNanoseconds > before.ctimeNanoseconds)
        #expect(after != before)
    }
}
