import Foundation
import S3Client
import S3TestSupport
import Testing

/// Bad input gets a clear message and the documented exit code, and changes nothing.
@Suite struct ExitCodeTests {
    @Test func badFlagsAreUsageErrors() async throws {
        try await CLIWorld.with { world in
            let cases: [([String], String)] = [
                (["push", world.tree.root], "Missing expected argument"),
                (["push", world.tree.root, "s3://\(world.bucket)", "--part-size", "huge"], "--part-size"),
                (["push", world.tree.root, "s3://\(world.bucket)", "--part-size", "1MiB"], "5MiB"),
                (["push", world.tree.root, "s3://\(world.bucket)", "--concurrency", "0"], "--concurrency"),
                (
                    ["push", world.tree.root, "s3://\(world.bucket)", "--checksum", "--size-only"],
                    "cannot be used together"
                ),
                (["push", world.tree.root, "s3://\(world.bucket)", "--checksum-algorithm", "md6"], "crc32c"),
                (["push", world.tree.root, "s3://"], "no bucket"),
                (["push", world.tree.root, "s3://\(world.bucket)", "--endpoint-url", "ftp://x"], "http://"),
                (["push", world.tree.root, "s3://\(world.bucket)", "--no-such-flag"], "no-such-flag"),
            ]
            for (arguments, message) in cases {
                let run = try await world.s3sync.run(arguments + ["--state", world.state])
                #expect(run.status == 2, "\(arguments): \(run.stderr)")
                #expect(run.stderr.contains(message), "\(arguments): \(run.stderr)")
            }
        }
    }

    @Test func aMissingSourceDirectoryExitsTwo() async throws {
        try await CLIWorld.with { world in
            let run = try await world.s3sync.run(
                ["push", world.tree.root + "/nope", "s3://\(world.bucket)/x", "--state", world.state, "--json"])
            #expect(run.status == 2)
            #expect(run.stderr.contains("does not exist"))
            #expect(run.string("status") == "failed")
            #expect(run.int("exit_code") == 2)
        }
    }

    @Test func aMissingBucketExitsTwoAndSaysSo() async throws {
        try await CLIWorld.with { world in
            try world.tree.write("a", "a")
            let run = try await world.s3sync.run(
                ["push", world.tree.root, "s3://no-such-bucket-anywhere/x", "--state", world.state])
            #expect(run.status == 2)
            #expect(run.stderr.contains("NoSuchBucket"))
        }
    }

    @Test func wrongCredentialsExitTwoWithoutRetrying() async throws {
        try await CLIWorld.with { world in
            try world.tree.write("a", "a")
            let run = try await world.s3sync.run(
                ["push", world.tree.root, "s3://\(world.bucket)/x", "--state", world.state, "--json"],
                extraEnvironment: ["AWS_SECRET_ACCESS_KEY": "wrong-secret-value"])
            #expect(run.status == 2)
            #expect(run.stderr.contains("SignatureDoesNotMatch"))
            #expect(!run.stderr.contains("wrong-secret-value"))
            #expect(!run.stdout.contains("wrong-secret-value"))
        }
    }

    @Test func missingCredentialsSayWhereItLooked() async throws {
        try await CLIWorld.with { world in
            try world.tree.write("a", "a")
            let run = try await world.s3sync.run(
                ["push", world.tree.root, "s3://\(world.bucket)/x", "--state", world.state],
                extraEnvironment: ["AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""])
            #expect(run.status == 2)
            #expect(run.stderr.contains("no AWS credentials found"))
        }
    }

    @Test func aStateFileThatIsNotOursIsRefusedAndKept() async throws {
        try await CLIWorld.with { world in
            try world.tree.write("a", "a")
            try FileManager.default.createDirectory(
                atPath: (world.state as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            let junk = Data(repeating: 7, count: 10000)
            try junk.write(to: URL(fileURLWithPath: world.state))
            let run = try await world.push()
            #expect(run.status == 2)
            #expect(run.stderr.contains("left untouched"))
            #expect(try Data(contentsOf: URL(fileURLWithPath: world.state)) == junk)
            #expect(try await world.inspector.objects(bucket: world.bucket).isEmpty)
        }
    }

    @Test func unreadableFilesFailTheRunWithExitOneAndBlockDeletes() async throws {
        try await CLIWorld.with { world in
            try world.tree.write("ok.txt", "fine")
            try world.tree.write("secret.txt", "nope")
            try await world.inspector.put(bucket: world.bucket, key: "backup/stale.txt", body: "stale")
            _ = chmod(world.tree.path("secret.txt"), 0)
            defer { _ = chmod(world.tree.path("secret.txt"), 0o600) }
            // root reads everything: run the binary as an unprivileged user.
            let user = getuid() == 0 ? ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] : []
            _ = chmod(world.home, 0o777)
            _ = chmod(world.tree.root, 0o755)
            _ = chmod(world.tree.path("ok.txt"), 0o644)
            var environment = world.s3sync.environment
            environment["HOME"] = world.home
            let arguments = [
                "push", world.tree.root, "s3://\(world.bucket)/backup", "--state", world.home + "/nobody/state.db",
                "--json", "--delete",
            ]
            let result = try await Shell.run(
                user.isEmpty ? S3SyncBinary.path : user[0],
                Array(user.dropFirst()) + (user.isEmpty ? [] : [S3SyncBinary.path]) + arguments,
                environment: environment)
            let run = S3SyncBinary.Run(status: result.status, stdout: result.output, stderr: result.errorOutput)
            #expect(run.status == 1, "\(run.stderr)")
            #expect(run.int("failed_files") == 1)
            #expect(run.stderr.contains("secret.txt"))
            #expect(run.stderr.contains("Permission denied"))
            let keys = Set(try await world.inspector.objects(bucket: world.bucket).map(\.key))
            #expect(keys == ["backup/ok.txt", "backup/stale.txt"], "no delete after a failed upload")
        }
    }
}
