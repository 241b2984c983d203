import Foundation
import S3TestSupport
import Testing

@testable import SyncEngine

/// The pull's directory: keys are checked as paths, and every file is reached one name at a time
/// without following a symbolic link.
@Suite struct DownloadRootTests {
    @Test func keysThatAreNotPathsUnderTheDirectoryAreRefused() {
        for bad in [
            "../x", "a/../../x", "./y", "a//b", "/abs", "a/", "", "a/\u{0}b", String(repeating: "n", count: 256),
        ] {
            if case .success = DownloadRoot.components(of: bad) { Issue.record("accepted \(bad.debugDescription)") }
        }
        #expect((try? DownloadRoot.components(of: "a/b c/ü..x").get()) == ["a", "b c", "ü..x"])
    }

    @Test func temporaryNamesAreHiddenStableAndRecognised() {
        let name = DownloadRoot.temporaryName(for: "p/a/file")
        #expect(name == DownloadRoot.temporaryName(for: "p/a/file"))
        #expect(name != DownloadRoot.temporaryName(for: "p/a/other"))
        #expect(name.hasPrefix("."))
        #expect(DownloadRoot.isTemporaryName(Array(name.utf8)))
        #expect(!DownloadRoot.isTemporaryName(Array(".s3sync-notahash.partial".utf8)))
    }

    @Test func nothingIsWrittenThroughASymbolicLinkOrOverADirectory() throws {
        let base = try TestEnvironment.makeTemporaryDirectory("root")
        let outside = try TestEnvironment.makeTemporaryDirectory("outside")
        defer {
            TestEnvironment.removeTree(base)
            TestEnvironment.removeTree(outside)
        }
        let rootPath = base + "/restore"
        let root = try DownloadRoot(path: rootPath)
        try FileManager.default.createSymbolicLink(atPath: rootPath + "/link", withDestinationPath: outside)
        #expect(throws: LocalPathError.self) { _ = try root.directory(["link", "inside"], create: true) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside).isEmpty)

        let directory = try root.directory(["x", "y"], create: true)
        #expect(directory.relativePath == "x/y")
        let parent = try root.directory([], create: false)
        let fd = try #require(try parent.openFile("tmp", create: true))
        close(fd)
        do {
            try parent.rename("tmp", to: "x")
            Issue.record("renamed a file over a directory")
        } catch {
            #expect(error.message.contains("x/y"))
        }
        #expect(throws: LocalPathError.self) { try parent.removeFile("x") }
        #expect(throws: LocalPathError.self) { _ = try root.directory(["tmp", "z"], create: true) }
        #expect(try parent.removeFile("tmp"))
        #expect(try !parent.removeFile("tmp"))
    }

    @Test func aDirectoryThatIsAFileIsAConfigurationError() throws {
        let base = try TestEnvironment.makeTemporaryDirectory("root")
        defer { TestEnvironment.removeTree(base) }
        #expect(FileManager.default.createFile(atPath: base + "/file", contents: Data()))
        #expect(throws: SyncError.self) { _ = try DownloadRoot(path: base + "/file") }
        #expect(throws: SyncError.self) { _ = try DownloadRoot(path: base + "/file/below") }
    }

    @Test func mtimeMetadataIsReadToTheNanosecond() {
        #expect(FileDownloader.mtime("1700000000.123456789") == 1_700_000_000_123_456_789)
        #expect(FileDownloader.mtime("1700000000.5") == 1_700_000_000_500_000_000)
        #expect(FileDownloader.mtime("1700000000") == 1_700_000_000_000_000_000)
        #expect(FileDownloader.mtime("soon") == nil)
        #expect(FileDownloader.mtime("1.2.3") == nil)
        #expect(FileDownloader.mtime(nil) == nil)
        let identity = FileIdentity(
            size: 0, mtimeNanoseconds: 1_700_000_000_000_000_042, ctimeNanoseconds: 0, inode: 0, device: 0)
        #expect(FileDownloader.mtime(identity.mtimeMetadata) == identity.mtimeNanoseconds)
    }

    @Test func etagsSayWhatTheyCanVerify() {
        #expect(FileDownloader.md5(fromETag: "D41D8CD98F00B204E9800998ECF8427E") == "d41d8cd98f00b204e9800998ecf8427e")
        #expect(FileDownloader.md5(fromETag: "d41d8cd98f00b204e9800998ecf8427e-3") == nil)
        #expect(RangedDownloader.multipartCount("d41d8cd98f00b204e9800998ecf8427e-3") == 3)
        #expect(RangedDownloader.multipartCount("d41d8cd98f00b204e9800998ecf8427e") == nil)
    }
}
