import Foundation
import S3TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `s3sync pull` as a real process: what a push stored comes back byte for byte with its mtime,
/// objects other tools wrote come back too, `--delete` is careful, bad input exits 2.
@Suite struct PullCommandTests {
    static let multipart = ["--part-size", "5MiB", "--multipart-threshold", "5MiB"]

    @Test func oddKeysComeBackByteForByteWithTheirMtimesAndPushAndPullShareTheIndex() async throws {
        try await CLIWorld.with { world in
            let names = OddKeys.all.filter { $0.utf8.count < 900 }
            var mtimes: [String: FileTime] = [:]
            for (index, name) in names.enumerated() {
                try world.tree.write(name, "content of \(name)")
                mtimes[name] = FileTime(
                    seconds: 1_650_000_000 + index * 3_607, nanoseconds: 123_456_789 + index * 1_001)
            }
            try world.tree.writeRandom("large/blob.bin", size: 12 << 20 + 4321, seed: 5)  // three 5 MiB ranges
            mtimes["large/blob.bin"] = FileTime(seconds: 1_700_000_001, nanoseconds: 999_999_999)
            for (name, time) in mtimes { try time.apply(to: world.tree.path(name)) }
            let expected = try world.local()
            #expect(expected.count == names.count + 1)

            let pushed = try await world.push(Self.multipart)
            #expect(pushed.status == 0, "\(pushed.stderr)")
            #expect(pushed.int("uploaded_files") == expected.count)
            // Right after the push, the tree it came from has nothing to pull.
            let intoPushed = try await world.pull(world.tree.root, Self.multipart)
            #expect(intoPushed.status == 0, "\(intoPushed.stderr)")
            #expect(intoPushed.int("downloaded_files") == 0, "\(intoPushed.stdout)")

            // DIR is created, parents and all.
            let scratch = try TestEnvironment.makeTemporaryDirectory("restore")
            defer { TestEnvironment.removeTree(scratch) }
            let restored = LocalDirectory(scratch + "/new/restore")
            let pull = try await world.pull(restored.root, Self.multipart)
            #expect(pull.status == 0, "\(pull.stderr)")
            #expect(pull.string("status") == "completed", "\(pull.stdout)")
            #expect(pull.string("direction") == "pull", "\(pull.stdout)")
            #expect(pull.int("downloaded_files") == expected.count, "\(pull.stdout)")
            let bytes = try world.expectedFiles().values.reduce(0) { $0 + $1.size }
            #expect(pull.int("downloaded_bytes") == bytes, "\(pull.stdout)")
            #expect(pull.int("failed_files") == 0)
            let contents = try restored.contents()
            #expect(contents == expected, "\(differences(contents, expected))")
            for (name, time) in mtimes.sorted(by: { $0.key < $1.key }) {
                let got = FileTime.of(restored.path(name))
                #expect(got == time, "\(name): mtime \(got.map(\.description) ?? "missing"), pushed with \(time)")
            }
            #expect(try restored.temporaryFiles().isEmpty)

            let again = try await world.pull(restored.root, Self.multipart)
            #expect(again.status == 0, "\(again.stderr)")
            #expect(again.int("downloaded_files") == 0, "\(again.stdout)")
            #expect(again.int("skipped_files") == expected.count, "\(again.stdout)")

            // The restored tree pushed back with the same state: nothing to upload.
            let pushBack = try await world.s3sync.run(
                ["push", restored.root, "s3://\(world.bucket)/backup", "--state", world.state, "--json"]
                    + Self.multipart, timeout: .seconds(120))
            #expect(pushBack.status == 0, "\(pushBack.stderr)")
            #expect(pushBack.int("uploaded_files") == 0, "\(pushBack.stdout)")

            // Nor has a pull into either tree, the one just pushed back or the original.
            for directory in [restored.root, world.tree.root] {
                let pull = try await world.pull(directory, Self.multipart)
                #expect(pull.status == 0, "\(directory): \(pull.stderr)")
                #expect(pull.int("downloaded_files") == 0, "\(directory): \(pull.stdout)")
            }
            #expect(try restored.contents() == expected)
            #expect(try world.local() == expected)
            #expect(try LocalDirectory(world.tree.root).temporaryFiles().isEmpty)
        }
    }

    /// Objects boto3 wrote: no `x-amz-meta-mtime`, a multipart ETag (`-3`) from parts of another
    /// size than the pull's, a single PUT above the multipart threshold, an empty object and a
    /// directory marker.
    @Test func objectsOtherToolsWroteComeBackWithLastModifiedAsMtime() async throws {
        try await CLIWorld.with(.moto) { world in
            let source = world.tree
            let uploads: [(key: String, size: Int, partSize: Int?)] = [
                ("multi.bin", 2 * (5 << 20) + 777_777, 5 << 20),  // three parts
                ("single.bin", 9 << 20 + 1, nil),  // above the 8 MiB threshold: ranged GETs
                ("notes/readme.txt", 1234, nil),
                ("notes/deeper/data.csv", 65_537, nil),
                ("empty.txt", 0, nil),
            ]
            for (index, upload) in uploads.enumerated() {
                try source.writeRandom(upload.key, size: upload.size, seed: UInt64(index + 11))
                try await world.inspector.putFile(
                    bucket: world.bucket, key: "others/" + upload.key, path: source.path(upload.key),
                    partSize: upload.partSize)
            }
            try await world.inspector.put(bucket: world.bucket, key: "others/empty-dir/", body: "")
            let listed = try await world.inspector.objects(bucket: world.bucket, prefix: "others/")
            let multi = listed.first { $0.key == "others/multi.bin" }
            #expect(multi?.etag.hasSuffix("-3") == true, "moto gives a multipart ETag: \(multi?.etag ?? "")")
            let expected = try world.local()

            let restored = LocalDirectory(try TestEnvironment.makeTemporaryDirectory("restore"))
            defer { TestEnvironment.removeTree(restored.root) }
            let pull = try await world.pull(restored.root, prefix: "others")
            #expect(pull.status == 0, "\(pull.stderr)")
            #expect(pull.int("downloaded_files") == uploads.count, "\(pull.stdout)")
            let contents = try restored.contents()
            #expect(contents == expected, "\(differences(contents, expected))")
            var isDirectory: ObjCBool = false
            let markerExists = FileManager.default.fileExists(
                atPath: restored.path("empty-dir"), isDirectory: &isDirectory)
            #expect(markerExists && isDirectory.boolValue, "a directory marker becomes a directory")
            for object in listed where !object.key.hasSuffix("/") {
                let relative = String(object.key.dropFirst("others/".count))
                let mtime = FileTime.of(restored.path(relative))?.secondsSince1970 ?? 0
                let lastModified = object.lastModified ?? -10
                #expect(
                    abs(mtime - lastModified) <= 1,
                    "\(relative): mtime \(mtime), LastModified \(lastModified)")
            }
            #expect(try restored.temporaryFiles().isEmpty)
            let again = try await world.pull(restored.root, prefix: "others")
            #expect(again.status == 0, "\(again.stderr)")
            #expect(again.int("downloaded_files") == 0, "\(again.stdout)")
        }
    }

    @Test func deleteRemovesOnlyUnexcludedFilesWithoutAnObjectWithinMaxDeleteAndDryRunChangesNothing() async throws {
        try await CLIWorld.with { world in
            for key in ["backup/a.txt", "backup/sub/b.txt", "backup/remote.log", "backupx/neighbour.txt"] {
                try await world.inspector.put(bucket: world.bucket, key: key, body: "remote \(key)")
            }
            let restored = LocalDirectory(try TestEnvironment.makeTemporaryDirectory("restore"))
            defer { TestEnvironment.removeTree(restored.root) }
            let filters = ["--exclude", "*.log"]
            let first = try await world.pull(restored.root, filters)
            #expect(first.status == 0, "\(first.stderr)")
            #expect(try restored.entries(recursive: true) == ["a.txt", "sub", "sub/b.txt"], "excluded: not pulled")

            // Files with no object, one of them excluded; a.txt gone locally.
            try Data("stale".utf8).write(to: URL(fileURLWithPath: restored.path("stale.txt")))
            try Data("stale 2".utf8).write(to: URL(fileURLWithPath: restored.path("sub/stale2.txt")))
            try Data("local log".utf8).write(to: URL(fileURLWithPath: restored.path("local.log")))
            try FileManager.default.removeItem(atPath: restored.path("a.txt"))
            func snapshot() throws -> [String: String] {
                var result: [String: String] = [:]
                for (path, file) in try restored.files() {
                    result[path] = file.md5 + " " + (FileTime.of(restored.path(path))?.description ?? "")
                }
                return result
            }
            let before = try snapshot()

            let dryRun = try await world.pull(restored.root, filters + ["--delete", "--dry-run"])
            #expect(dryRun.status == 0, "\(dryRun.stderr)")
            #expect(try snapshot() == before, "a dry run changes nothing")

            let refused = try await world.pull(restored.root, filters + ["--delete", "--max-delete", "1"])
            #expect(refused.status == 2, "\(refused.stderr)")
            #expect(refused.stderr.contains("--max-delete"), "\(refused.stderr)")
            #expect(FileManager.default.fileExists(atPath: restored.path("stale.txt")))
            #expect(FileManager.default.fileExists(atPath: restored.path("sub/stale2.txt")))
            #expect(FileManager.default.fileExists(atPath: restored.path("local.log")))

            let mirrored = try await world.pull(restored.root, filters + ["--delete", "--max-delete", "2"])
            #expect(mirrored.status == 0, "\(mirrored.stderr)")
            #expect(mirrored.int("deleted_files") == 2, "\(mirrored.stdout)")
            #expect(mirrored.int("downloaded_files") == 1, "\(mirrored.stdout)")
            let files = try restored.contents()
            #expect(Set(files.keys) == ["a.txt", "sub/b.txt", "local.log"], "\(files.keys.sorted())")
            #expect(files["a.txt"] == Data("remote backup/a.txt".utf8).md5Hex)
            #expect(files["local.log"] == Data("local log".utf8).md5Hex, "an excluded path is never deleted")
        }
    }

    @Test func badInputExitsTwoAndWritesNothing() async throws {
        try await CLIWorld.with { world in
            try await world.inspector.put(bucket: world.bucket, key: "backup/a.txt", body: "a")
            let scratch = try TestEnvironment.makeTemporaryDirectory("restore")
            defer { TestEnvironment.removeTree(scratch) }

            let missingBucket = try await world.s3sync.run(
                ["pull", "s3://no-such-bucket-anywhere/x", scratch + "/one", "--state", world.state, "--json"],
                timeout: .seconds(60))
            #expect(missingBucket.status == 2, "\(missingBucket.stderr)")
            #expect(!missingBucket.stderr.isEmpty)
            #expect(!FileManager.default.fileExists(atPath: scratch + "/one/a.txt"))

            let wrongSecret = "wrong-secret-value-Zk2Lp9Vb4"
            let rejected = try await world.s3sync.run(
                world.pullArguments(scratch + "/two"), timeout: .seconds(60),
                extraEnvironment: ["AWS_SECRET_ACCESS_KEY": wrongSecret])
            #expect(rejected.status == 2, "\(rejected.stderr)")
            #expect(!(rejected.stdout + rejected.stderr).contains(wrongSecret))
            #expect(!FileManager.default.fileExists(atPath: scratch + "/two/a.txt"))

            let file = scratch + "/a-file"
            try Data("not a directory".utf8).write(to: URL(fileURLWithPath: file))
            let intoAFile = try await world.pull(file, timeout: .seconds(60))
            #expect(intoAFile.status == 2, "\(intoAFile.stderr)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: file)) == Data("not a directory".utf8))

            // Root writes through permissions, so a read-only mount is what refuses it here.
            let readOnly = try await TemporaryMount.tmpfs("ro,size=1m")
            defer { readOnly.unmount() }
            let intoReadOnly = try await world.pull(readOnly.path, timeout: .seconds(60))
            #expect(intoReadOnly.status == 2, "\(intoReadOnly.stderr)")
            let underReadOnly = try await world.pull(readOnly.path + "/sub", timeout: .seconds(60))
            #expect(underReadOnly.status == 2, "\(underReadOnly.stderr)")
            #expect(try LocalDirectory(readOnly.path).entries().isEmpty)

            // Each --json summary is a pull's.
            for run in [missingBucket, rejected, intoAFile, intoReadOnly, underReadOnly] {
                #expect(run.string("status") == "failed", "\(run.stdout)")
                #expect(run.int("exit_code") == 2, "\(run.stdout)")
                #expect(run.string("direction") == "pull", "\(run.stdout)")
                #expect(run.summary["downloaded_files"] != nil, "\(run.stdout)")
            }
        }
    }
}
