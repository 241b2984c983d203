import Foundation
import S3TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The bucket is not trusted: keys that climb out of DIR or go through a symlink fail, two keys
/// that cannot both be files fail one of them, and a body that does not match its object is
/// fetched again or fails — and nothing is ever written outside DIR or left torn at a final name.
@Suite struct PullSafetyTests {
    @Test func hostileKeysFailAndNothingIsWrittenOutsideTheDirectory() async throws {
        try await CLIWorld.with(.moto) { world in
            // Keys that climb out, are absolute, have empty or `.` components, or go through a
            // symlink DIR holds.
            let hostile = ["a/../../escape", "../x", "./y", "a//b", "/rooted", "..", "a/..", "link/inside"]
            let good = ["good.txt", "sub/good2.txt", "a/fine.txt"]
            for key in hostile + good {
                try await world.inspector.put(bucket: world.bucket, key: key, body: "body of \(key)")
            }
            let parent = try TestEnvironment.makeTemporaryDirectory("hostile")
            let outside = try TestEnvironment.makeTemporaryDirectory("outside")
            defer {
                TestEnvironment.removeTree(parent)
                TestEnvironment.removeTree(outside)
            }
            try Data("sentinel".utf8).write(to: URL(fileURLWithPath: outside + "/sentinel"))
            let directory = LocalDirectory(parent + "/dir")
            try FileManager.default.createDirectory(atPath: directory.root, withIntermediateDirectories: false)
            #expect(symlink(outside, directory.path("link")) == 0)

            let run = try await world.pull(directory.root, prefix: nil)
            print("PullSafetyTests: hostile keys: exit \(run.status)\n\(run.failureLines)\n\(run.stderr)")
            #expect(run.status == 1, "\(run.stderr)")
            #expect(try LocalDirectory(parent).entries() == ["dir"], "nothing beside DIR")
            #expect(try LocalDirectory(outside).entries() == ["sentinel"], "nothing through the symlink")
            #expect(try Data(contentsOf: URL(fileURLWithPath: outside + "/sentinel")) == Data("sentinel".utf8))
            for key in hostile {
                #expect(run.failureNames(key), "no failure names \(key):\n\(run.failureLines)")
            }
            #expect((run.int("failed_files") ?? 0) >= hostile.count, "\(run.stdout)")
            for key in good {
                let data = FileManager.default.contents(atPath: directory.path(key))
                #expect(data == Data("body of \(key)".utf8), "\(key) is restored")
            }
            for relative in ["x", "y", "a/b", "rooted", "escape"] {
                #expect(!FileManager.default.fileExists(atPath: directory.path(relative)), "\(relative)")
            }
            var info = stat()
            let linkStays = lstat(directory.path("link"), &info) == 0 && info.st_mode & S_IFMT == S_IFLNK
            #expect(linkStays, "the symlink is left as it is")
            #expect(try directory.temporaryFiles().isEmpty)
        }
    }

    @Test func aKeyAndAKeyUnderItFailOneAndNameBoth() async throws {
        try await CLIWorld.with(.moto) { world in
            for key in ["clash", "clash/inner", "fine.txt"] {
                try await world.inspector.put(bucket: world.bucket, key: "backup/" + key, body: "body of \(key)")
            }
            let restored = LocalDirectory(try TestEnvironment.makeTemporaryDirectory("restore"))
            defer { TestEnvironment.removeTree(restored.root) }
            let run = try await world.pull(restored.root)
            print("PullSafetyTests: x and x/y: exit \(run.status)\n\(run.failureLines)\n\(run.stderr)")
            #expect(run.status == 1, "\(run.stderr)")
            #expect(run.int("failed_files") == 1, "\(run.stdout)")
            let files = try restored.contents()
            let asFile = files["clash"] == Data("body of clash".utf8).md5Hex
            let asDirectory = files["clash/inner"] == Data("body of clash/inner".utf8).md5Hex
            #expect(asFile != asDirectory, "exactly one is restored: \(files.keys.sorted())")
            #expect(files["fine.txt"] == Data("body of fine.txt".utf8).md5Hex)
            // The message names both keys, the one restored and the one refused.
            let text = run.failureLines + "\n" + run.stderr
            #expect(text.contains("clash/inner"), "\(text)")
            #expect(text.replacingOccurrences(of: "clash/inner", with: "").contains("clash"), "\(text)")
            #expect(try restored.temporaryFiles().isEmpty)
        }
    }

    /// One corrupted answer per object: a single PUT verified by its MD5 ETag and a multipart one
    /// (rclone lists the whole file's MD5, moto the `-N` form and its checksums).
    @Test(arguments: [S3TestServer.Kind.rclone, .moto])
    func aBodyCorruptedOnTheWayIsFetchedAgain(kind: S3TestServer.Kind) async throws {
        try await CLIWorld.with(kind) { world in
            try world.tree.writeRandom("small.bin", size: 1 << 20, seed: 3)
            try world.tree.writeRandom("large.bin", size: (12 << 20) + 99, seed: 4)
            try world.tree.write("other.txt", "untouched")
            let expected = try world.local()
            let pushed = try await world.pushWithOwnState(PullCommandTests.multipart)
            #expect(pushed.status == 0, "\(pushed.stderr)")
            let rules = [
                FaultProxy.Rule(.corruptResponse, contains: "small.bin", operation: "GetObject", times: 1),
                FaultProxy.Rule(
                    .corruptResponse, contains: "large.bin", operation: "GetObject", times: 1, fraction: 0.9),
            ]
            let restored = LocalDirectory(try TestEnvironment.makeTemporaryDirectory("restore"))
            defer { TestEnvironment.removeTree(restored.root) }
            try await FaultProxy.with(upstream: world.server, rules: rules) { proxy in
                let run = try await world.pull(
                    restored.root, PullCommandTests.multipart, using: world.through(proxy))
                let seen = try await proxy.statistics()
                print("PullSafetyTests: corrupted once on \(kind): exit \(run.status)\n\(run.stdout)\n\(run.stderr)")
                #expect(seen.operation("GetObject").faults(.corruptResponse) == 2)
                #expect(run.status == 0, "\(run.stderr)")
                #expect(run.string("status") == "completed", "\(run.stdout)")
                #expect((run.int("retries") ?? 0) >= 1, "\(run.stdout)")
            }
            #expect(try restored.contents() == expected)
            #expect(try restored.temporaryFiles().isEmpty)
        }
    }

    @Test func aBodyCorruptedEveryTimeFailsItsFileAndLeavesNothingAtItsName() async throws {
        try await CLIWorld.with { world in
            try world.tree.writeRandom("small.bin", size: 1 << 20, seed: 3)
            try world.tree.write("other.txt", "untouched")
            let expected = try world.local()
            let pushed = try await world.pushWithOwnState()
            #expect(pushed.status == 0, "\(pushed.stderr)")
            let always = FaultProxy.Rule(.corruptResponse, contains: "small.bin", operation: "GetObject")
            let restored = LocalDirectory(try TestEnvironment.makeTemporaryDirectory("restore"))
            defer { TestEnvironment.removeTree(restored.root) }
            try await FaultProxy.with(upstream: world.server, rules: [always]) { proxy in
                let s3sync = world.through(proxy)
                // Two attempts per request (each verification attempt's GET is retried by the
                // client too) keep the run short.
                let run = try await world.pull(restored.root, ["--retries", "2"], using: s3sync)
                print("PullSafetyTests: corrupted every time: exit \(run.status)\n\(run.failureLines)\n\(run.stderr)")
                #expect(run.status == 1, "\(run.stderr)")
                #expect(run.int("failed_files") == 1, "\(run.stdout)")
                #expect(run.failureNames("small.bin"), "\(run.failureLines)")
                #expect(!FileManager.default.fileExists(atPath: restored.path("small.bin")))
                #expect(try restored.contents()["other.txt"] == expected["other.txt"])
                let corrupted = try await proxy.statistics().operation("GetObject").faults(.corruptResponse)
                print("PullSafetyTests: \(corrupted) corrupted answers before small.bin failed")
                #expect(corrupted >= 2)

                // Healthy again: the job finishes.
                try await proxy.setRules([])
                let resume = try await world.resume(using: s3sync)
                #expect(resume.status == 0, "\(resume.stderr)")
            }
            #expect(try restored.contents() == expected)
            #expect(try restored.temporaryFiles().isEmpty)
        }
    }
}
