import Foundation
import S3Client
import S3TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Secrets stay secret, the state is private, TLS is verified, and s3sync touches nothing but
/// its destination.
@Suite struct ReliabilitySecurityTests {
    static let sessionToken = "IQoJb3JpZ2luX2VjEXAMPLE-session-token-s3sync-5f0c2a9d7e"

    /// Every file of the state directory (the database, its WAL and shared memory, the locks).
    func stateFiles(_ directory: String) -> [String: Data] {
        var files: [String: Data] = [:]
        let enumerator = FileManager.default.enumerator(atPath: directory)
        while let path = enumerator?.nextObject() as? String {
            if let data = FileManager.default.contents(atPath: directory + "/" + path) { files[path] = data }
        }
        return files
    }

    @Test func secretsAndSignaturesNeverShowInOutputErrorsOrTheStateFiles() async throws {
        try await CLIWorld.with { world in
            try MixedTree.write(world.tree, small: 30, large: 1, largeParts: 2)
            let secret = S3TestServer.secretAccessKey
            let wrongSecret = "wrong-secret-Xq7Zk2Lp9Vb4Nm1Rt8Ys5Wd3"
            // Errors of every kind, so their messages and the retry logs are printed.
            let rules = [
                FaultProxy.Rule(.internalError, operation: "PutObject", times: 3),
                FaultProxy.Rule(.slowDown, operation: "UploadPart", times: 1),
                FaultProxy.Rule(.dropDuringResponse, operation: "UploadPart", times: 1),
                FaultProxy.Rule(.okWithError, operation: "CompleteMultipartUpload", times: 1),
                FaultProxy.Rule(.dropDuringRequestBody, operation: "PutObject", times: 2),
            ]
            // The first run is held at its multipart completion, its state files copied, then killed.
            let hold = FaultProxy.Rule(
                .holdResponse, operation: "CompleteMultipartUpload", times: 1, stallSeconds: 30)
            try await FaultProxy.with(upstream: world.server, rules: [hold]) { proxy in
                let s3sync = world.through(
                    proxy, ["AWS_SESSION_TOKEN": Self.sessionToken, "S3SYNC_LOG_LEVEL": "trace"])
                var outputs: [String] = []
                var stateSnapshots: [[String: Data]] = []
                let directory = (world.state as NSString).deletingLastPathComponent

                // A run killed mid-way, so the WAL is caught on disk as it was.
                let killed = try s3sync.start(
                    world.pushArguments(MixedTree.multipartArguments + ["--verbose"]),
                    logPath: world.home + "/killed.log")
                try await waitUntil("the held completion") { try await proxy.statistics().total.holds >= 1 }
                stateSnapshots.append(stateFiles(directory))
                killed.signal(SIGKILL)
                _ = await killed.wait(timeout: .seconds(10))
                outputs.append(killed.log)
                stateSnapshots.append(stateFiles(directory))
                #expect(stateSnapshots.last?.keys.contains("state.db-wal") == true, "the WAL is there to search")

                try await proxy.setRules(rules)
                try world.tree.write("more.txt", "more")
                try world.tree.writeRandom("large/more.bin", size: 2 * MixedTree.partSize + 1, seed: 77)
                for arguments in [
                    ["resume", "--state", world.state, "--json", "--verbose"],
                    world.pushArguments(MixedTree.multipartArguments + ["--verbose"]),
                    world.pushArguments(["--dry-run", "--verbose"]),
                    ["status", "--state", world.state], ["status", "--state", world.state, "--json"],
                ] {
                    let run = try await s3sync.run(arguments, timeout: .seconds(120))
                    #expect(run.status == 0, "\(arguments): \(run.stderr)")
                    outputs += [run.stdout, run.stderr]
                }
                // A wrong secret: the server's SignatureDoesNotMatch answer is reported.
                try world.tree.write("rejected.txt", "never")
                let rejected = try await s3sync.run(
                    world.pushArguments(["--verbose"]), timeout: .seconds(60),
                    extraEnvironment: ["AWS_SECRET_ACCESS_KEY": wrongSecret])
                #expect(rejected.status == 2)
                #expect(rejected.stderr.contains("SignatureDoesNotMatch"))
                outputs += [rejected.stdout, rejected.stderr]
                stateSnapshots.append(stateFiles(directory))

                let signatures = Set(try await proxy.requestsSeen().map(\.signature).filter { !$0.isEmpty })
                let seen = try await proxy.statistics()
                let text = outputs.joined(separator: "\n")
                let stateBytes = stateSnapshots.flatMap { $0.values }
                print(
                    "ReliabilitySecurityTests: searched \(text.utf8.count) B of output and \(stateBytes.reduce(0) { $0 + $1.count }) B of state files (\(Set(stateSnapshots.flatMap(\.keys)).sorted())) for the secret, the session token and \(signatures.count) signatures; \(seen.total.faultCount) faults injected"
                )
                #expect(signatures.count > 30)
                #expect(seen.total.faultCount >= 8)
                #expect(text.contains("retrying"), "trace logs were printed")
                var needles = [secret, wrongSecret, Self.sessionToken, "Signature=", "X-Amz-Signature"]
                needles += signatures
                for needle in needles {
                    #expect(!text.contains(needle), "\(needle.prefix(12))… shows in the output")
                    for data in stateBytes {
                        #expect(data.range(of: Data(needle.utf8)) == nil, "\(needle.prefix(12))… is in a state file")
                    }
                }
            }
        }
    }

    @Test func theStateDatabaseAndItsDirectoryArePrivateEvenUnderAPermissiveUmask() async throws {
        try await CLIWorld.with { world in
            try MixedTree.write(world.tree, small: 10, large: 1, largeParts: 2)
            let directory = world.home + "/made/for/us"
            let state = directory + "/state.db"
            // The completion is held so the files are looked at while the run is in full swing.
            let hold = FaultProxy.Rule(.holdResponse, operation: "CompleteMultipartUpload", times: 1, stallSeconds: 3)
            try await FaultProxy.with(upstream: world.server, rules: [hold]) { proxy in
                let s3sync = world.through(proxy)
                let arguments =
                    ["push", world.tree.root, "s3://\(world.bucket)/backup", "--state", state, "--json"]
                    + MixedTree.multipartArguments
                // umask 000: whatever s3sync does not set explicitly would be world-writable.
                let process = try ChildProcess(
                    executable: "/bin/sh",
                    arguments: ["-c", "umask 000; exec \"$0\" \"$@\"", S3SyncBinary.path] + arguments,
                    environment: s3sync.environment, logPath: world.home + "/push.log")
                try await waitUntil("the held completion") { try await proxy.statistics().total.holds >= 1 }
                var modes: [String: mode_t] = [:]
                for path in [directory, directory + "/locks"]
                    + (try FileManager.default.contentsOfDirectory(atPath: directory)).map({ directory + "/" + $0 })
                    + (try FileManager.default.contentsOfDirectory(atPath: directory + "/locks")).map({
                        directory + "/locks/" + $0
                    })
                {
                    var info = stat()
                    if stat(path, &info) == 0 { modes[String(path.dropFirst(directory.count))] = info.st_mode & 0o777 }
                }
                #expect(await process.wait(timeout: .seconds(60)) == 0, "\(process.log)")
                print("ReliabilitySecurityTests: modes under umask 000: \(modes.mapValues { String($0, radix: 8) })")
                #expect(modes[""] == 0o700)
                #expect(modes["/locks"] == 0o700)
                #expect(modes["/state.db"] == 0o600)
                #expect(modes["/state.db-wal"] == 0o600)
                #expect(modes["/state.db-shm"] == 0o600)
                let locks = modes.filter { $0.key.hasPrefix("/locks/") }
                #expect(locks.count == 1)
                #expect(locks.values.allSatisfy { $0 == 0o600 })
                #expect(modes.values.allSatisfy { $0 & 0o077 == 0 }, "nothing readable by others")
            }
        }
    }

    // MARK: - TLS

    @Test func tlsCertificatesAreVerifiedUnlessToldOtherwise() async throws {
        let tls = try await TLSMaterial.generate()
        let otherCA = try await TLSMaterial.generate()
        defer {
            TestEnvironment.removeTree(tls.directory)
            TestEnvironment.removeTree(otherCA.directory)
        }
        try await S3TestServer.with(.rclone, tls: tls) { server in
            let bucket = TestEnvironment.uniqueBucketName()
            let client = try server.makeClient(caBundle: tls.caCertificatePath)
            try await client.using { try await $0.createBucket(bucket) }
            let tree = try SourceTree()
            let home = try TestEnvironment.makeTemporaryDirectory("home")
            defer {
                tree.delete()
                TestEnvironment.removeTree(home)
            }
            let s3sync = S3SyncBinary(environment: server.environment, home: home)
            func push(_ name: String, _ extra: [String], environment: [String: String] = [:]) async throws
                -> S3SyncBinary.Run
            {
                try tree.write(name, "sent over TLS: \(name)")
                return try await s3sync.run(
                    ["push", tree.root, "s3://\(bucket)/tls", "--state", home + "/state.db", "--json"] + extra,
                    timeout: .seconds(60), extraEnvironment: environment)
            }
            func keys() async throws -> Set<String> {
                try await server.makeClient(caBundle: tls.caCertificatePath).using { s3 in
                    var keys: Set<String> = []
                    for try await page in s3.listObjectsV2(bucket: bucket, prefix: "tls/") {
                        keys.formUnion(page.objects.map(\.key))
                    }
                    return keys
                }
            }

            let untrusted = try await push("untrusted.txt", [])
            #expect(untrusted.status == 2, "\(untrusted.stderr)")
            #expect(untrusted.stderr.lowercased().contains("certificate"), "\(untrusted.stderr)")
            #expect(untrusted.stderr.contains("--ca-bundle"), "says what to do: \(untrusted.stderr)")
            let wrongCA = try await push("wrong-ca.txt", ["--ca-bundle", otherCA.caCertificatePath])
            #expect(wrongCA.status == 2, "\(wrongCA.stderr)")
            #expect(wrongCA.stderr.lowercased().contains("certificate"), "\(wrongCA.stderr)")
            #expect(try await keys().isEmpty)

            let trusted = try await push("trusted.txt", ["--ca-bundle", tls.caCertificatePath])
            #expect(trusted.status == 0, "\(trusted.stderr)")
            let fromEnvironment = try await push(
                "from-environment.txt", [], environment: ["AWS_CA_BUNDLE": tls.caCertificatePath])
            #expect(fromEnvironment.status == 0, "\(fromEnvironment.stderr)")
            let unverified = try await push("unverified.txt", ["--no-verify-ssl"])
            #expect(unverified.status == 0, "\(unverified.stderr)")
            #expect(try await keys().count == 5)
            print(
                "ReliabilitySecurityTests: an untrusted certificate: \(untrusted.stderr.split(separator: "\n").last ?? "")"
            )
        }

        // A certificate from a trusted CA for another name.
        let elsewhere = try await TLSMaterial.generate(subjectAlternativeName: "DNS:elsewhere.invalid")
        defer { TestEnvironment.removeTree(elsewhere.directory) }
        try await S3TestServer.with(.rclone, tls: elsewhere) { server in
            let home = try TestEnvironment.makeTemporaryDirectory("home")
            let tree = try SourceTree()
            defer {
                tree.delete()
                TestEnvironment.removeTree(home)
            }
            try tree.write("a.txt", "a")
            let run = try await S3SyncBinary(environment: server.environment, home: home).run(
                [
                    "push", tree.root, "s3://some-bucket/x", "--state", home + "/state.db", "--ca-bundle",
                    elsewhere.caCertificatePath,
                ], timeout: .seconds(60))
            #expect(run.status == 2, "\(run.stderr)")
            #expect(run.stderr.contains("TLS"), "\(run.stderr)")
            print(
                "ReliabilitySecurityTests: a certificate for another name: \(run.stderr.split(separator: "\n").last ?? "")"
            )
        }
    }

    // MARK: - Scope

    @Test func noRequestTouchesAnotherBucketOrPrefix() async throws {
        try await CLIWorld.with { world in
            let other = try await world.server.createBucket()
            // (Not the key `backup` itself: rclone keeps objects as files, and a file `backup`
            // cannot live beside a directory `backup/`.)
            let neighbours = ["backup.old", "backup-old/x", "backupx/y", "back/up", "other/z", "Backup/upper"]
            for key in neighbours { try await world.inspector.put(bucket: world.bucket, key: key, body: key) }
            try await world.inspector.put(bucket: world.bucket, key: "backup/gone-locally.txt", body: "delete me")
            try await world.inspector.put(bucket: other, key: "backup/a", body: "another bucket")
            try MixedTree.write(world.tree, small: 40, large: 2)
            try await FaultProxy.with(upstream: world.server) { proxy in
                let s3sync = world.through(proxy)
                let push = world.pushArguments(MixedTree.multipartArguments + ["--delete", "--bwlimit", "4MiB"])
                // Killed with multipart uploads open, resumed, pushed again after changes, a dry run, status.
                let killed = try s3sync.start(push, logPath: world.home + "/killed.log")
                try await world.waitForJob(while: killed) { StatusJSON.partsDone($0) >= 1 }
                killed.signal(SIGKILL)
                _ = await killed.wait(timeout: .seconds(10))
                let resumed = try await s3sync.run(
                    ["resume", "--state", world.state, "--json"], timeout: .seconds(120))
                #expect(resumed.status == 0, "\(resumed.stderr)")
                try world.tree.remove("set0/file-0.dat")
                try world.tree.write("set0/added.txt", "added")
                for arguments in [
                    push, world.pushArguments(["--dry-run", "--delete"]), ["status", "--state", world.state],
                ] {
                    let run = try await s3sync.run(arguments, timeout: .seconds(120))
                    #expect(run.status == 0, "\(arguments): \(run.stderr)")
                }

                let requests = try await proxy.requestsSeen()
                let bucketPath = "/\(world.bucket)"
                var operations: [String: Int] = [:]
                for request in requests {
                    operations[request.operation, default: 0] += 1
                    let path = request.path
                    #expect(request.host == "127.0.0.1:\(proxy.port)", "\(request.host)")
                    #expect(
                        path == bucketPath || path.hasPrefix(bucketPath + "/"), "\(request.method) \(request.target)")
                    if path.hasPrefix(bucketPath + "/") && path != bucketPath + "/" {
                        #expect(path.hasPrefix(bucketPath + "/backup/"), "\(request.method) \(request.target)")
                    }
                    if request.operation.hasPrefix("List") && request.operation != "ListParts" {
                        #expect(request.query["prefix"]?.hasPrefix("backup/") == true, "\(request.target)")
                    }
                }
                print(
                    "ReliabilitySecurityTests: \(requests.count) requests, all inside s3://\(world.bucket)/backup/: \(operations)"
                )
                #expect(operations["ListBuckets"] == nil)
                #expect(operations["DeleteObjects"] ?? 0 >= 1)
            }
            let keys = Set(try await world.inspector.objects(bucket: world.bucket).map(\.key))
            #expect(keys.isSuperset(of: neighbours), "the neighbours are untouched")
            #expect(!keys.contains("backup/gone-locally.txt"))
            #expect(!keys.contains("backup/set0/file-0.dat"))
            #expect(try await world.inspector.objects(bucket: other).map(\.key) == ["backup/a"])
            #expect(try await world.remote() == (try world.expected()))
        }
    }
}
