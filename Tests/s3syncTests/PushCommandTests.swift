import Foundation
import NIOCore
import S3Client
import S3TestSupport
import Testing

/// `s3sync push` as a real process against `rclone serve s3`.
@Suite struct PushCommandTests {
    @Test func oddKeysAndPrefixesRoundTrip() async throws {
        try await CLIWorld.with { world in
            let names = OddKeys.all.filter { $0.utf8.count < 900 }
            for name in names { try world.tree.write(name, "content of \(name)") }
            let prefix = "odd prefix+ü&=[x]"
            let run = try await world.push(prefix: prefix)
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.int("uploaded_files") == names.count)
            #expect(try await world.remote(prefix: prefix + "/") == (try world.expected(prefix: prefix + "/")))
            let again = try await world.push(prefix: prefix)
            #expect(again.int("uploaded_files") == 0)
            #expect(again.int("skipped_files") == names.count)
        }
    }

    @Test func aSecondRunUploadsNothing() async throws {
        try await CLIWorld.with { world in
            for index in 0..<50 { try world.tree.write("dir\(index % 5)/file\(index).txt", "file \(index)") }
            try world.tree.writeRandom("big/blob.bin", size: 12 << 20)
            let first = try await world.push(["--part-size", "5MiB", "--multipart-threshold", "5MiB"])
            #expect(first.status == 0, "\(first.stderr)")
            #expect(first.int("uploaded_files") == 51)
            #expect(first.string("status") == "completed")
            let second = try await world.push(["--part-size", "5MiB", "--multipart-threshold", "5MiB"])
            #expect(second.status == 0)
            #expect(second.int("uploaded_files") == 0)
            #expect(second.int("skipped_files") == 51)
            #expect(second.int("uploaded_bytes") == 0)
            #expect(try await world.remote() == (try world.expected()))
        }
    }

    /// A multipart upload is recorded with CompleteMultipartUpload's ETag and the server's date
    /// of the completion, without a HEAD. rclone lists the object under the whole file's MD5: the
    /// next push adopts that ETag instead of uploading again (moto lists the completion's ETag).
    /// An object someone writes over it later, even of the same size, is uploaded again.
    @Test(arguments: [S3TestServer.Kind.rclone, .moto])
    func aMultipartObjectListedUnderAnotherETagIsAdoptedAndOneWrittenOverItIsUploadedAgain(
        kind: S3TestServer.Kind
    ) async throws {
        try await CLIWorld.with(kind) { world in
            let size = 11 << 20
            try world.tree.writeRandom("big.bin", size: size)
            try world.tree.setMTime("big.bin", secondsSince1970: 1_600_000_000)
            let options = ["--part-size", "5MiB", "--multipart-threshold", "5MiB"]
            func index() async throws -> String {
                let sql =
                    "SELECT eTag || ' ' || (completedAt IS NOT NULL) FROM objectIndex WHERE key = 'backup/big.bin'"
                let result = try await Shell.run("/usr/bin/sqlite3", [world.state, sql])
                return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            func listedETag() async throws -> String {
                try await world.inspector.objects(bucket: world.bucket, prefix: "backup/").first?.etag ?? "missing"
            }
            let first = try await world.push(options)
            #expect(first.status == 0, "\(first.stderr)")
            #expect(first.int("uploaded_files") == 1)
            let completed = try await index()
            #expect(completed.hasSuffix("-3 1"), "recorded: \(completed)")

            let second = try await world.push(options)
            #expect(second.status == 0, "\(second.stderr)")
            #expect(second.int("uploaded_files") == 0)
            #expect(second.int("skipped_files") == 1)
            #expect(try await index() == (try await listedETag()) + " 1")
            if kind == .rclone { #expect(completed != (try await index()), "rclone lists another ETag") }

            // Someone writes other bytes of the same size over the object a while later.
            try await Task.sleep(for: .seconds(2.1))
            try await world.client().using { s3 in
                _ = try await s3.putObject(
                    bucket: world.bucket, key: "backup/big.bin",
                    body: .bytes(ByteBuffer(repeating: 0x5A, count: size)))
            }
            let third = try await world.push(options)
            #expect(third.status == 0, "\(third.stderr)")
            #expect(third.int("uploaded_files") == 1)
            #expect(try await world.remote() == (try world.expected()))
        }
    }

    @Test func sameSizeEditsAreCaught() async throws {
        try await CLIWorld.with { world in
            try world.tree.write("notes.txt", "version A")
            try world.tree.setMTime("notes.txt", secondsSince1970: 1_600_000_000)
            #expect(try await world.push().status == 0)
            try world.tree.write("notes.txt", "version B")
            try world.tree.setMTime("notes.txt", secondsSince1970: 1_600_000_005)
            let run = try await world.push()
            #expect(run.int("uploaded_files") == 1)
            #expect(try await world.remote()["backup/notes.txt"] == Data("version B".utf8).md5Hex)
            // An edit that even keeps the old mtime but changes it back and forth is still seen by the index.
            try world.tree.write("notes.txt", "version C")
            try world.tree.setMTime("notes.txt", secondsSince1970: 1_500_000_000)
            #expect(try await world.push().int("uploaded_files") == 1)
            #expect(try await world.remote()["backup/notes.txt"] == Data("version C".utf8).md5Hex)
        }
    }

    @Test func theMtimeTravelsInObjectMetadata() async throws {
        try await CLIWorld.with { world in
            try world.tree.write("a.txt", "a")
            try world.tree.setMTime("a.txt", secondsSince1970: 1_700_000_000.25)
            #expect(try await world.push().status == 0)
            let objects = try await world.inspector.objects(bucket: world.bucket, prefix: "backup/", metadata: true)
            let metadata = objects.first?.metadata ?? [:]
            #expect(metadata.first { $0.key.lowercased() == "mtime" }?.value == "1700000000.250000000")
        }
    }

    @Test func deleteIsScopedToThePrefixAndSparesExcludedKeys() async throws {
        try await CLIWorld.with { world in
            for key in [
                "pre/fix/keep.txt", "pre/fix/gone.txt", "pre/fix/sub/gone2.txt", "pre/fix/app.log",
                "pre/fixture/other.txt", "pre/fix.txt",
            ] {
                try await world.inspector.put(bucket: world.bucket, key: key, body: "remote \(key)")
            }
            try world.tree.write("keep.txt", "local keep")
            let run = try await world.push(["--delete", "--exclude", "*.log"], prefix: "pre/fix")
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.int("deleted_files") == 2)
            let keys = Set(try await world.inspector.objects(bucket: world.bucket).map(\.key))
            #expect(keys == ["pre/fix/keep.txt", "pre/fix/app.log", "pre/fixture/other.txt", "pre/fix.txt"])
        }
    }

    @Test func maxDeleteRefusesARunThatWouldDeleteMore() async throws {
        try await CLIWorld.with { world in
            for index in 0..<5 {
                try await world.inspector.put(bucket: world.bucket, key: "backup/old\(index)", body: "x")
            }
            try world.tree.write("new.txt", "new")
            let run = try await world.push(["--delete", "--max-delete", "3"])
            #expect(run.status == 2)
            #expect(run.stderr.contains("--max-delete"))
            let keys = Set(try await world.inspector.objects(bucket: world.bucket).map(\.key))
            #expect(keys == Set((0..<5).map { "backup/old\($0)" }), "nothing may change")
        }
    }

    @Test func theKeyOrderTrapCausesNoReuploadsAndNoDeletes() async throws {
        try await CLIWorld.with { world in
            for path in ["a-b", "a/b", "a0", "a.b", "a/b-c/d", "a/b/c", "a b", "a~", "a/b.c", "ab/c", "a/bc"]
            where path != "a/b" {
                try world.tree.write(path, path)
            }
            #expect(try await world.push(["--delete"]).status == 0)
            let second = try await world.push(["--delete"])
            #expect(second.status == 0)
            #expect(second.int("uploaded_files") == 0)
            #expect(second.int("deleted_files") == 0)
            #expect(try await world.remote() == (try world.expected()))
        }
    }

    @Test func dryRunChangesNothing() async throws {
        try await CLIWorld.with { world in
            try world.tree.write("a.txt", "a")
            try await world.inspector.put(bucket: world.bucket, key: "backup/stale", body: "x")
            let run = try await world.s3sync.run(
                [
                    "push", world.tree.root, "s3://\(world.bucket)/backup", "--state", world.state, "--delete",
                    "--dry-run",
                ])
            #expect(run.status == 0)
            #expect(run.stdout.contains("(dry run) upload a.txt"))
            #expect(run.stdout.contains("(dry run) delete backup/stale"))
            #expect(Set(try await world.inspector.objects(bucket: world.bucket).map(\.key)) == ["backup/stale"])
        }
    }

    @Test func filtersSelectWhatIsUploaded() async throws {
        try await CLIWorld.with { world in
            for path in ["photos/a.jpg", "photos/b.png", "docs/c.jpg", ".git/config", "notes.txt"] {
                try world.tree.write(path, path)
            }
            let run = try await world.push(["--exclude", "*", "--include", "*.jpg", "--exclude", "docs/**"])
            #expect(run.status == 0)
            #expect(Set(try await world.remote().keys) == ["backup/photos/a.jpg"])
        }
    }

    @Test func checksumModeComparesContent() async throws {
        try await CLIWorld.with { world in
            try world.tree.write("same.txt", "identical")
            try world.tree.writeRandom("big.bin", size: 11 << 20)
            #expect(try await world.push(["--part-size", "5MiB", "--multipart-threshold", "5MiB"]).status == 0)
            // Touch both: the mtime changes, the content does not.
            try world.tree.setMTime("same.txt", secondsSince1970: 2_000_000_000)
            try world.tree.setMTime("big.bin", secondsSince1970: 2_000_000_000)
            let run = try await world.push(["--checksum", "--part-size", "5MiB"])
            #expect(run.int("uploaded_files") == 0, "\(run.stdout)")
            try world.tree.write("same.txt", "identicaL")
            try world.tree.setMTime("same.txt", secondsSince1970: 2_000_000_000)
            #expect(try await world.push(["--checksum"]).int("uploaded_files") == 1)
        }
    }
}
