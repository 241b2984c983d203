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
}
