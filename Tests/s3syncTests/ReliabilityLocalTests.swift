import Foundation
import S3TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The local side is hostile too: files change under the upload, cannot be read, have names that
/// are not UTF-8 or keys too long, nest 200 levels deep, are empty, sparse, loops or FIFOs.
@Suite struct ReliabilityLocalTests {
    // MARK: - Files that change between planning and upload

    /// With CRC32C the server (rclone checks only Content-MD5) takes the torn body and s3sync's
    /// second look at the file catches the change; with MD5 the server refuses the torn body.
    @Test(arguments: ["crc32c", "md5"])
    func filesChangedAfterPlanningEndInTheirFinalStateOrAsChanged(algorithm: String) async throws {
        try await CLIWorld.with { world in
            let tree = world.tree
            try tree.writeRandom("a-streamed.bin", size: 30 << 20, seed: 1)  // one streamed PUT
            try tree.writeRandom("b-multipart.bin", size: 34 << 20, seed: 2)  // five 8 MiB parts
            try tree.writeRandom("c-truncated.bin", size: 2 << 20, seed: 3)
            try tree.writeRandom("d-grown.bin", size: 200 << 10, seed: 4)
            try tree.writeRandom("e-replaced.bin", size: 300 << 10, seed: 5)
            try tree.writeRandom("f-deleted.bin", size: 300 << 10, seed: 6)
            try tree.writeRandom("g-growing.log", size: 2 << 20, seed: 7)  // streamed, appended to all along
            try tree.write("h-steady.txt", "never changes")
            // Windows to change files in: the body of a-streamed.bin stops after 3 MiB for 3 s
            // (s3sync has read at most the socket buffers' worth further); the answer to the
            // first part of b-multipart.bin is held back 3 s.
            let rules = [
                FaultProxy.Rule(
                    .holdRequest, contains: "a-streamed", operation: "PutObject", times: 1, stallSeconds: 3,
                    fraction: 0.1),
                FaultProxy.Rule(
                    .holdResponse, contains: "partNumber=1&", operation: "UploadPart", times: 1, stallSeconds: 3),
                // Every upload of g-growing.log lasts half a second: the log grows during each one.
                FaultProxy.Rule(
                    .holdRequest, contains: "g-growing", operation: "PutObject", stallSeconds: 0.5, fraction: 0.5),
            ]
            try await FaultProxy.with(upstream: world.server, rules: rules) { proxy in
                let s3sync = world.through(proxy)
                let arguments = [
                    "--concurrency", "1", "--part-size", "8MiB", "--multipart-threshold", "32MiB",
                    "--checksum-algorithm", algorithm,
                ]
                let process = try s3sync.start(world.pushArguments(arguments), logPath: world.home + "/push.log")
                // g-growing.log is appended to all through the run, like a busy log.
                let growing = Task {
                    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: tree.path("g-growing.log")))
                    defer { try? handle.close() }
                    var line = 0
                    while !Task.isCancelled {
                        try handle.seekToEnd()
                        try handle.write(contentsOf: Data("line \(line) of a log that keeps growing\n".utf8))
                        line += 1
                        try await Task.sleep(for: .milliseconds(5))
                    }
                }
                // In the middle of a-streamed.bin's body: overwrite a block near its end in place,
                // and change the files not uploaded yet (one at a time, in key order).
                try await waitUntil("the hold in a-streamed.bin's body") {
                    try await proxy.statistics().total.holds >= 1
                }
                let middle = try FileHandle(forWritingTo: URL(fileURLWithPath: tree.path("a-streamed.bin")))
                try middle.seek(toOffset: 28 << 20)
                try middle.write(contentsOf: Data(repeating: 0xAB, count: 64 << 10))
                try middle.close()
                #expect(truncate(tree.path("c-truncated.bin"), 100 << 10) == 0)
                let grown = try FileHandle(forWritingTo: URL(fileURLWithPath: tree.path("d-grown.bin")))
                try grown.seekToEnd()
                try grown.write(contentsOf: Data(repeating: 0x47, count: 500 << 10))
                try grown.close()
                try tree.writeRandom("e-replaced.new", size: 400 << 10, seed: 55)
                #expect(rename(tree.path("e-replaced.new"), tree.path("e-replaced.bin")) == 0)
                try tree.remove("f-deleted.bin")
                // While the server has part 1 of b-multipart.bin and s3sync waits for the answer.
                try await waitUntil("the held answer to part 1 of b-multipart.bin") {
                    try await proxy.statistics().total.holds >= 2
                }
                let appended = try FileHandle(forWritingTo: URL(fileURLWithPath: tree.path("b-multipart.bin")))
                try appended.seekToEnd()
                try appended.write(contentsOf: Data(repeating: 0x42, count: 1 << 20))
                try appended.close()

                let status = await process.wait(timeout: .seconds(120))
                growing.cancel()
                _ = await growing.result
                let summary = StatusJSON.summary(process.log)
                let seen = try await proxy.requestsSeen()
                func sent(_ name: String) -> Int {
                    seen.filter { $0.path.hasSuffix("/" + name) && $0.method == "PUT" }.count
                }
                let answers = try await proxy.statistics().operation("PutObject").responses
                print(
                    "ReliabilityLocalTests: files changed under the upload (\(algorithm)): exit \(status.map { "\($0)" } ?? "none"), \(StatusJSON.int(summary, "changed_during_upload") ?? -1) changed, \(StatusJSON.int(summary, "vanished_files") ?? -1) vanished; PUTs of a-streamed.bin \(sent("a-streamed.bin")), of b-multipart.bin parts \(sent("b-multipart.bin")), of g-growing.log \(sent("g-growing.log")); PutObject answers \(answers)"
                )
                // The log never held still: reported as changed, exit 1.
                #expect(status == 1, "\(process.log)")
                #expect(summary["status"] as? String == "failed")
                #expect(StatusJSON.int(summary, "changed_during_upload") == 1)
                #expect(StatusJSON.int(summary, "vanished_files") == 1)
                let failures = (summary["failures"] as? [[String: Any]] ?? []).compactMap { $0["path"] as? String }
                #expect(failures == ["g-growing.log"])
                #expect(sent("a-streamed.bin") == 2, "the torn upload was sent again")
                #expect(sent("b-multipart.bin") >= 5 + 5, "the multipart upload started over for the new version")
                if algorithm == "md5" { #expect(answers["400"] ?? 0 >= 1, "the server refused the torn body") }
                // Everything else is in the bucket as it is now on disk. (The log may be there as
                // it was at some moment, but it is not recorded as done.)
                var expected = try world.expected()
                expected["backup/g-growing.log"] = nil
                var remote = try await world.remote()
                remote["backup/g-growing.log"] = nil
                #expect(remote == expected, "\(differences(remote, expected))")

                // Once the log holds still, resume uploads it; then nothing is left to do.
                let resumed = try await s3sync.run(["resume", "--state", world.state, "--json"], timeout: .seconds(60))
                #expect(resumed.status == 0, "\(resumed.stderr)")
                #expect(resumed.int("uploaded_files") == 1)
                let again = try await s3sync.run(world.pushArguments(arguments), timeout: .seconds(60))
                #expect(again.status == 0)
                #expect(again.int("uploaded_files") == 0, "nothing torn was recorded as done")
            }
            let remote = try await world.remote()
            let expected = try world.expected()
            #expect(remote == expected, "\(differences(remote, expected))")
            #expect(try await world.inspector.openUploads(bucket: world.bucket).isEmpty)
        }
    }

    // MARK: - Unreadable files and directories

    @Test func unreadableDirectoriesAndLargeFilesFailClearlyAndAPushAfterTheFixFinishes() async throws {
        try await CLIWorld.with { world in
            let tree = world.tree
            try tree.write("open/readable.txt", "anyone can read this")
            try tree.write("locked/inner.txt", "behind a directory nobody may list")
            try tree.write("unsearchable/inner.txt", "listed but not reachable")
            try tree.writeRandom("big-unreadable.bin", size: 6 << 20, seed: 8)
            let modes: [(String, mode_t, mode_t)] = [
                ("locked", 0o000, 0o755), ("unsearchable", 0o644, 0o755), ("big-unreadable.bin", 0o000, 0o644),
            ]
            for (path, locked, _) in modes { _ = chmod(tree.path(path), locked) }
            defer { for (path, _, open) in modes { _ = chmod(tree.path(path), open) } }
            _ = chmod(world.home, 0o777)
            let state = world.home + "/nobody/state.db"
            let push =
                [
                    "push", tree.root, "s3://\(world.bucket)/backup", "--state", state, "--json",
                ] + MixedTree.multipartArguments

            let failed = try await world.runUnprivileged(push)
            #expect(failed.status == 1, "\(failed.stderr)")
            #expect(failed.int("failed_files") == 3)
            #expect(Set(failed.failures.keys) == ["locked/", "unsearchable/inner.txt", "big-unreadable.bin"])
            for path in failed.failures.keys {
                #expect(failed.stderr.contains("error: \(path)"), "\(failed.stderr)")
                #expect(failed.failures[path]?.contains("Permission denied") == true, "\(failed.failures)")
            }
            #expect(try await world.remoteKeys() == [Array("backup/open/readable.txt".utf8)])

            // Fixed: resume retries the file that failed to upload; a directory that could not be
            // read needs a new plan, so it stays failed until the next push.
            for (path, _, open) in modes { _ = chmod(tree.path(path), open) }
            let resumed = try await world.runUnprivileged(["resume", "--state", state, "--json"])
            #expect(resumed.status == 1, "\(resumed.stderr)")
            #expect(resumed.int("uploaded_files") == 1)
            #expect(Set(resumed.failures.keys) == ["locked/", "unsearchable/inner.txt"])
            let pushed = try await world.runUnprivileged(push)
            #expect(pushed.status == 0, "\(pushed.stderr)")
            #expect(pushed.int("uploaded_files") == 2)
            #expect(try await world.remote() == (try world.expected()))
        }
    }

    // MARK: - Names and keys

    /// Creates a file whose name is raw bytes (not necessarily UTF-8); returns its relative path bytes.
    @discardableResult
    func writeRaw(_ tree: SourceTree, directory: String, name: [UInt8], contents: [UInt8]) throws -> [UInt8] {
        let full = Array((tree.path(directory) + "/").utf8) + name + [0]
        let fd = full.withUnsafeBufferPointer { pointer in
            pointer.withMemoryRebound(to: CChar.self) { open($0.baseAddress!, O_WRONLY | O_CREAT | O_TRUNC, 0o644) }
        }
        guard fd >= 0 else { throw TestSupportError("cannot create \(name): errno \(errno)") }
        defer { close(fd) }
        guard write(fd, contents, contents.count) == contents.count else { throw TestSupportError("short write") }
        return Array("\(directory)/".utf8) + name
    }

    /// Every byte value in a name: valid UTF-8 round-trips byte for byte, anything else fails
    /// naming the path. Two servers, each with one limit of its own: rclone serve s3 lists a key
    /// holding a control character (U+0001…U+001F) under the character's Unicode picture
    /// (U+2401…) once it reads the directory back from disk, so those bytes are left out there;
    /// moto cannot route a key holding a newline and answers 404, which must fail that one file
    /// with a one-line message.
    @Test(arguments: [S3TestServer.Kind.rclone, .moto])
    func namesWithEveryByteValueRoundTripOrFailNamingThePath(server: S3TestServer.Kind) async throws {
        try await CLIWorld.with(server) { world in
            for directory in ["names", "utf8", "bad"] {
                try FileManager.default.createDirectory(
                    atPath: world.tree.path(directory), withIntermediateDirectories: true)
            }
            var uploaded: [[UInt8]: String] = [:]  // key bytes → MD5 of the content
            var refused: [String] = []  // as shown on stderr
            var refusedByServer: [String] = []  // as named in the JSON summary
            let newlineShown = "names/byte-0A-\\x0A-end"  // moto's 404, shown escaped
            for byte in UInt8(1)...UInt8(255) where byte != UInt8(ascii: "/") {
                if server == .rclone && byte < 0x20 { continue }
                let hex = String(byte, radix: 16, uppercase: true).leftPadded(2)
                let name = Array("byte-\(hex)-".utf8) + [byte] + Array("-end".utf8)
                let contents = Array("the byte \(hex)\n".utf8)
                let path = try writeRaw(world.tree, directory: "names", name: name, contents: contents)
                if byte == UInt8(ascii: "\n") && server == .moto {
                    refused.append(newlineShown)
                    refusedByServer.append("names/byte-0A-\n-end")
                } else if byte < 0x80 {
                    uploaded[Array("backup/".utf8) + path] = Data(contents).md5Hex
                } else {
                    refused.append("names/byte-\(hex)-\\x\(hex)-end")
                }
            }
            // Valid UTF-8 above 0x7F, and names that differ only in Unicode normalization (NFC é
            // and NFD e + U+0301) or by invisible characters: distinct keys, byte for byte.
            let valid: [[UInt8]] = [
                [0xC3, 0xA9], [0x65, 0xCC, 0x81], Array("日本語".utf8), Array("😀".utf8), [0xC2, 0x85],
                [0xE2, 0x80, 0xA8], [0xEF, 0xBB, 0xBF], [0xEF, 0xBF, 0xBD], [0xC2, 0xA0], [0xF4, 0x8F, 0xBF, 0xBF],
            ]
            for (index, name) in valid.enumerated() {
                let contents = Array("valid name \(index)\n".utf8)
                let path = try writeRaw(world.tree, directory: "utf8", name: name, contents: contents)
                uploaded[Array("backup/".utf8) + path] = Data(contents).md5Hex
            }
            // Overlong, surrogate and truncated sequences are not UTF-8 either.
            let invalid: [([UInt8], String)] = [
                ([0xC0, 0xAF], "\\xC0\\xAF"), ([0xED, 0xA0, 0x80], "\\xED\\xA0\\x80"), ([0xE6, 0x97], "\\xE6\\x97"),
            ]
            for (name, shown) in invalid {
                try writeRaw(world.tree, directory: "bad", name: name, contents: [1])
                refused.append("bad/" + shown)
            }

            let run = try await world.s3sync.run(world.pushArguments(), timeout: .seconds(120))
            #expect(run.status == 1, "\(run.stderr)")
            #expect(run.int("failed_files") == refused.count)
            #expect(run.int("uploaded_files") == uploaded.count)
            let lines = run.stderr.split(separator: "\n")
            for path in refused {
                let line = lines.first { $0.hasPrefix("error: \(path): ") }
                #expect(line != nil, "\(path) in \(run.stderr)")
                if server == .moto && path == newlineShown {
                    #expect(line?.contains("PutObject failed: NotFound (HTTP 404)") == true, "\(line ?? "")")
                } else {
                    #expect(
                        line?.hasSuffix("the name is not valid UTF-8, so it cannot be an S3 key; rename it") == true)
                }
            }
            // The JSON lists the first 50 failures, with paths as they are.
            #expect(run.failures.count == min(50, refused.count))
            #expect(Set(run.failures.keys).isSubset(of: refused + refusedByServer))
            var remote: [[UInt8]: String] = [:]
            for object in try await world.inspector.objects(bucket: world.bucket, prefix: "backup/", contents: true) {
                remote[Array(object.key.utf8)] = object.md5
            }
            #expect(remote.count == uploaded.count)
            let missing = Set(uploaded.keys).subtracting(remote.keys).map { String(decoding: $0, as: UTF8.self) }
            let extra = Set(remote.keys).subtracting(uploaded.keys).map { String(decoding: $0, as: UTF8.self) }
            #expect(missing.isEmpty && extra.isEmpty, "missing \(missing.sorted()), unexpected \(extra.sorted())")
            #expect(remote == uploaded, "every valid name round-trips byte for byte")

            // Nothing is uploaded twice, nothing is mistaken for another key.
            let again = try await world.s3sync.run(world.pushArguments(), timeout: .seconds(60))
            #expect(again.status == 1)
            #expect(again.int("uploaded_files") == 0)
            #expect(again.int("skipped_files") == uploaded.count)
        }
    }

    @Test func keysOf1024BytesUploadAndLongerOnesFailClearly() async throws {
        try await CLIWorld.with { world in
            // rclone stores keys as paths, at most 255 bytes a component: build keys from several.
            let ascii =
                (0..<4).map { String(repeating: Character(UnicodeScalar(UInt8(97 + $0))), count: 250) }
                .joined(separator: "/") + "/"  // 1004 bytes
            let wide = (0..<4).map { _ in String(repeating: "日", count: 83) }.joined(separator: "/") + "/"  // 1000
            let prefix = "backup/"
            let fits = [ascii + String(repeating: "x", count: 13), wide + String(repeating: "日", count: 5) + "xy"]
            let tooLong = [
                ascii + String(repeating: "y", count: 14), wide + String(repeating: "日", count: 6),
                ascii + String(repeating: "z", count: 200) + "/" + String(repeating: "z", count: 250),
            ]
            for path in fits { #expect(prefix.utf8.count + path.utf8.count == 1024) }
            for path in tooLong.prefix(2) { #expect(prefix.utf8.count + path.utf8.count == 1025) }
            for path in fits + tooLong { try world.tree.write(path, "content of a \(path.utf8.count)-byte path") }

            let run = try await world.push()
            #expect(run.status == 1, "\(run.stderr)")
            #expect(run.int("uploaded_files") == 2)
            #expect(run.int("failed_files") == 3)
            for path in tooLong {
                let bytes = prefix.utf8.count + path.utf8.count
                #expect(run.failures[path]?.contains("the key would be \(bytes) bytes") == true, "\(run.failures)")
                #expect(run.failures[path]?.contains("at most 1024 bytes") == true)
                #expect(run.stderr.contains("error: \(path)"))
            }
            #expect(try await world.remoteKeys() == Set(fits.map { Array((prefix + $0).utf8) }))
            var expected = try world.expected()
            for path in tooLong { expected[prefix + path] = nil }
            #expect(try await world.remote() == expected)
        }
    }

    // MARK: - Shapes of trees and files

    @Test func deepTreesEmptyFilesAndSparseFilesRoundTrip() async throws {
        try await CLIWorld.with { world in
            let tree = world.tree
            var deep = ""
            for level in 1...200 {
                deep += "d/"
                if level % 25 == 0 { try tree.write(deep + "at-\(level).txt", "level \(level)") }
            }
            try tree.write(deep + "leaf.txt", "200 levels down")
            try tree.write("empty.txt", "")
            try tree.write("nested/empty/file", "")
            try FileManager.default.createDirectory(
                atPath: tree.path("empty-dir/also-empty"), withIntermediateDirectories: true)
            // Sparse: holes with a few written blocks, at and around the multipart threshold.
            let sparse: [(String, Int64, [Int64])] = [
                ("sparse/holes.bin", 12 << 20, [0, 7 << 20, (12 << 20) - 4096]),
                ("sparse/all-hole.bin", 11 << 20, []),
                ("sparse/threshold.bin", 5 << 20, [4096]),
                ("sparse/threshold-plus-one.bin", (5 << 20) + 1, [(5 << 20) - 10]),
            ]
            for (path, size, blocks) in sparse {
                try tree.write(path, "")
                let fd = open(tree.path(path), O_WRONLY)
                defer { close(fd) }
                #expect(ftruncate(fd, off_t(size)) == 0)
                for offset in blocks {
                    let block = [UInt8](repeating: UInt8(truncatingIfNeeded: offset >> 12 | 1), count: 4096)
                    #expect(pwrite(fd, block, min(block.count, Int(size - offset)), off_t(offset)) > 0)
                }
            }
            var info = stat()
            #expect(stat(tree.path("sparse/holes.bin"), &info) == 0)
            #expect(Int64(info.st_blocks) * 512 < 1 << 20, "the file is sparse on disk")

            let run = try await world.push(MixedTree.multipartArguments)
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.int("uploaded_files") == 8 + 3 + sparse.count)
            #expect(try await world.remote() == (try world.expected()))
            let again = try await world.push(MixedTree.multipartArguments)
            #expect(again.int("uploaded_files") == 0)
            #expect(try await world.inspector.openUploads(bucket: world.bucket).isEmpty)
        }
    }

    @Test func symlinkLoopsAndFIFOsNeitherHangNorFailTheRun() async throws {
        try await CLIWorld.with { world in
            let tree = world.tree
            try tree.write("real.txt", "a real file")
            try tree.write("loop/inside.txt", "inside the loop directory")
            #expect(symlink("..", tree.path("loop/up")) == 0)  // back to the root: a directory loop
            #expect(symlink("self", tree.path("loop/self")) == 0)  // points at itself
            try FileManager.default.createDirectory(atPath: tree.path("pair"), withIntermediateDirectories: true)
            #expect(symlink("b", tree.path("pair/a")) == 0)
            #expect(symlink("a", tree.path("pair/b")) == 0)
            #expect(symlink("/nonexistent/target", tree.path("dangling")) == 0)
            #expect(symlink("real.txt", tree.path("link-to-real.txt")) == 0)
            #expect(mkfifo(tree.path("a.fifo"), 0o644) == 0)
            #expect(mkfifo(tree.path("loop/z.fifo"), 0o644) == 0)

            for extra in [[], ["--checksum"], ["--dry-run"]] {
                let run = try await world.s3sync.run(world.pushArguments(extra), timeout: .seconds(60))
                #expect(run.status == 0, "\(extra): \(run.stderr)")
                for path in ["loop/up/", "loop/self", "pair/a", "pair/b", "dangling", "a.fifo", "loop/z.fifo"] {
                    #expect(run.stderr.contains("warning: \(path): "), "\(extra): \(path) in \(run.stderr)")
                }
                #expect(run.stderr.contains("FIFO"))
            }
            #expect(
                try await world.remoteKeys()
                    == Set(
                        ["backup/real.txt", "backup/link-to-real.txt", "backup/loop/inside.txt"].map { Array($0.utf8) })
            )

            // Without following symlinks, the links are not looked at at all.
            let plain = try await world.s3sync.run(
                world.pushArguments(["--no-follow-symlinks"], prefix: "nolinks"), timeout: .seconds(60))
            #expect(plain.status == 0, "\(plain.stderr)")
            #expect(
                try await world.remoteKeys(prefix: "nolinks/")
                    == Set(["nolinks/real.txt", "nolinks/loop/inside.txt"].map { Array($0.utf8) }))
        }
    }

    @Test func aFileReplacedByAFIFOAfterPlanningDoesNotHangTheUpload() async throws {
        try await CLIWorld.with { world in
            try world.tree.writeRandom("a-first.bin", size: 3 << 20, seed: 1)
            try world.tree.write("b-becomes-fifo.txt", "a file for now")
            // The first upload stops halfway for 2 s: the second file becomes a FIFO meanwhile.
            let hold = FaultProxy.Rule(.holdRequest, operation: "PutObject", times: 1, stallSeconds: 2)
            try await FaultProxy.with(upstream: world.server, rules: [hold]) { proxy in
                let process = try world.through(proxy).start(
                    world.pushArguments(["--concurrency", "1"]), logPath: world.home + "/push.log")
                try await waitUntil("the first upload") { try await proxy.statistics().total.holds >= 1 }
                try world.tree.remove("b-becomes-fifo.txt")
                #expect(mkfifo(world.tree.path("b-becomes-fifo.txt"), 0o644) == 0)
                let status = await process.wait(timeout: .seconds(60))
                #expect(status != nil, "the run hung on the FIFO")
                #expect(status == 0 || status == 1, "\(process.log)")
                #expect(process.log.contains("b-becomes-fifo.txt"))
            }
            #expect(try await world.remoteKeys() == [Array("backup/a-first.bin".utf8)])
        }
    }

    // MARK: - The state location

    @Test func aReadOnlyStateLocationIsAClearErrorAndNothingIsUploaded() async throws {
        try await CLIWorld.with { world in
            try world.tree.write("first.txt", "uploaded by the run that made the state")
            _ = chmod(world.home, 0o777)
            let writable = world.home + "/writable"
            let readOnly = world.home + "/read-only"
            try FileManager.default.createDirectory(atPath: writable, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: readOnly, withIntermediateDirectories: true)
            _ = chmod(writable, 0o777)
            _ = chmod(readOnly, 0o555)
            func push(_ state: String) async throws -> S3SyncBinary.Run {
                try await world.runUnprivileged([
                    "push", world.tree.root, "s3://\(world.bucket)/backup", "--state", state, "--json",
                ])
            }
            let made = try await push(writable + "/state.db")
            #expect(made.status == 0, "\(made.stderr)")
            try world.tree.write("second.txt", "must not be uploaded")

            // A directory the user cannot write: the database cannot be created.
            let cases: [(String, String)] = [
                (readOnly + "/state.db", "cannot create the state database \(readOnly)/state.db: Permission denied"),
                (readOnly + "/sub/state.db", "cannot create the state directory \(readOnly)/sub"),
            ]
            for (state, message) in cases {
                let run = try await push(state)
                #expect(run.status == 2, "\(state): \(run.stderr)")
                #expect(run.stderr.contains(message), "\(run.stderr)")
                #expect(run.stderr.contains("--state"), "says what to do")
            }
            // An existing database made read-only, then its directory made read-only.
            _ = chmod(writable + "/state.db", 0o444)
            let readOnlyFile = try await push(writable + "/state.db")
            #expect(readOnlyFile.status == 2, "\(readOnlyFile.stderr)")
            #expect(readOnlyFile.stderr.contains("cannot open the state database \(writable)/state.db for writing"))
            _ = chmod(writable + "/state.db", 0o666)
            _ = chmod(writable, 0o555)
            defer { _ = chmod(writable, 0o777) }
            let readOnlyDirectory = try await push(writable + "/state.db")
            #expect(readOnlyDirectory.status == 2, "\(readOnlyDirectory.stderr)")
            #expect(readOnlyDirectory.stderr.contains("\(writable)/state.db"), "\(readOnlyDirectory.stderr)")
            #expect(readOnlyDirectory.stderr.contains("cannot"), "\(readOnlyDirectory.stderr)")
            print("ReliabilityLocalTests: a read-only state directory: \(readOnlyDirectory.stderr)")

            #expect(try await world.remoteKeys() == [Array("backup/first.txt".utf8)])
        }
    }

    /// Runs the binary with a tiny tmpfs mounted at `mountPoint` in a private mount namespace (so
    /// nothing outside the run sees it), optionally filled up first.
    func runOnTinyFilesystem(
        _ world: CLIWorld, mountPoint: String, size: String, fill: Bool, arguments: [String]
    ) async throws -> S3SyncBinary.Run {
        let script = """
            mount -t tmpfs -o size=\(size),mode=0700 tmpfs "$1" || exit 97
            if [ "$2" = fill ]; then head -c 64M /dev/zero > "$1/filler" 2>/dev/null; fi
            shift 2
            exec "$@"
            """
        // As root, a mount namespace; otherwise a user namespace that maps us to root in it.
        let namespace = getuid() == 0 ? ["--mount"] : ["--map-root-user", "--mount"]
        let result = try await Shell.run(
            "/usr/bin/unshare",
            namespace + ["--propagation", "private", "/bin/sh", "-c", script, "sh", mountPoint, fill ? "fill" : "no"]
                + [S3SyncBinary.path] + arguments,
            environment: world.s3sync.environment, timeout: .seconds(120))
        guard result.status != 97 else {
            throw TestSupportError("cannot mount a tmpfs in a private mount namespace: \(result.errorOutput)")
        }
        return S3SyncBinary.Run(status: result.status, stdout: result.output, stderr: result.errorOutput)
    }

    @Test func aFullDiskUnderTheStateIsAClearErrorBeforeAnythingIsUploaded() async throws {
        try await CLIWorld.with { world in
            for index in 0..<3000 {
                try world.tree.write(
                    "many/\(String(repeating: "n", count: 100))-\(index).txt", "small file \(index)")
            }
            let mountPoint = world.home + "/tiny"
            try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
            let arguments = [
                "push", world.tree.root, "s3://\(world.bucket)/backup", "--state", mountPoint + "/s/state.db",
            ]

            // Full from the start: the database cannot even be set up.
            let full = try await runOnTinyFilesystem(
                world, mountPoint: mountPoint, size: "256k", fill: true, arguments: arguments + ["--json"])
            #expect(full.status == 2, "\(full.stderr)")
            #expect(full.stderr.contains("the disk is full") || full.stderr.contains("No space left"), "\(full.stderr)")
            #expect(full.stderr.contains(mountPoint + "/s"), "\(full.stderr)")

            // Room for the database but not for the plan of 3000 files: fails while planning.
            let filling = try await runOnTinyFilesystem(
                world, mountPoint: mountPoint, size: "400k", fill: false, arguments: arguments + ["--json"])
            print(
                "ReliabilityLocalTests: state on a full tmpfs: \(full.stderr.split(separator: "\n").last ?? ""); on a 400 KiB tmpfs: \(filling.stderr.split(separator: "\n").last ?? "")"
            )
            #expect(filling.status == 2, "\(filling.stderr)")
            #expect(filling.stderr.contains("the disk is full"), "\(filling.stderr)")
            #expect(try await world.inspector.objects(bucket: world.bucket).isEmpty, "nothing was uploaded")
        }
    }

    @Test func corruptOrForeignStateFilesAreRefusedAndNeverReplaced() async throws {
        try await CLIWorld.with { world in
            for index in 0..<1500 {
                try world.tree.write("files/\(index)-\(String(repeating: "p", count: 60))", "\(index)")
            }
            let made = try await world.push()
            #expect(made.status == 0, "\(made.stderr)")
            let checkpoint = try await Shell.run("/usr/bin/sqlite3", [world.state, "PRAGMA wal_checkpoint(TRUNCATE)"])
            #expect(checkpoint.status == 0)
            let original = try Data(contentsOf: URL(fileURLWithPath: world.state))
            #expect(original.count > 256 << 10)
            try world.tree.write("new.txt", "must not be uploaded while the state is unusable")
            let directory = (world.state as NSString).deletingLastPathComponent

            func install(_ data: Data) throws {
                for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: world.state + suffix) }
                try data.write(to: URL(fileURLWithPath: world.state))
            }
            func sqlite(_ sql: String) async throws -> Data {
                let path = directory + "/foreign.db"
                try? FileManager.default.removeItem(atPath: path)
                _ = try await Shell.run("/usr/bin/sqlite3", [path, sql])
                return try Data(contentsOf: URL(fileURLWithPath: path))
            }
            var damaged = original
            damaged.replaceSubrange((128 << 10)..<(192 << 10), with: Data(repeating: 0xFF, count: 64 << 10))
            let cases: [(String, Data, [String])] = [
                ("truncated to 40 %", original.prefix(original.count * 2 / 5), ["corrupt", "malformed"]),
                ("64 KiB overwritten", damaged, ["corrupt", "malformed"]),
                (
                    "header destroyed", Data(repeating: 0, count: 100) + original.dropFirst(100),
                    ["not an SQLite database"]
                ),
                (
                    "another program's SQLite",
                    try await sqlite("CREATE TABLE notes(id, text); INSERT INTO notes VALUES(1, 'x');"),
                    ["another program"]
                ),
                (
                    "a foreign application id",
                    try await sqlite("PRAGMA application_id = 1234; CREATE TABLE grdb_migrations(x);"),
                    ["belongs to another program"]
                ),
            ]
            for (name, data, messages) in cases {
                try install(data)
                var before = stat()
                _ = stat(world.state, &before)
                let run = try await world.s3sync.run(world.pushArguments(), timeout: .seconds(60))
                let status = try await world.s3sync.run(["status", "--state", world.state], timeout: .seconds(30))
                var after = stat()
                _ = stat(world.state, &after)
                print(
                    "ReliabilityLocalTests: state file \(name): exit \(run.status): \(run.stderr.split(separator: "\n").last ?? "")"
                )
                #expect(run.status == 2, "\(name): \(run.stderr)")
                #expect(messages.contains { run.stderr.contains($0) }, "\(name): \(run.stderr)")
                #expect(run.stderr.contains(world.state), "\(name): names the file")
                #expect(status.status == 2, "\(name): status: \(status.stderr)")
                #expect(after.st_ino == before.st_ino, "\(name): the file was not replaced")
                #expect(try Data(contentsOf: URL(fileURLWithPath: world.state)) == data, "\(name): not a byte changed")
            }
            let uploadedNew = try await world.remoteKeys().contains(Array("backup/new.txt".utf8))
            #expect(!uploadedNew, "nothing uploaded with an unusable state")

            // A directory where the file should be.
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: world.state + suffix) }
            try FileManager.default.createDirectory(atPath: world.state, withIntermediateDirectories: true)
            let onDirectory = try await world.s3sync.run(world.pushArguments(), timeout: .seconds(60))
            #expect(onDirectory.status == 2, "\(onDirectory.stderr)")
            #expect(onDirectory.stderr.contains(world.state))
        }
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
