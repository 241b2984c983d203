import Foundation
import S3Client
import S3TestSupport
import Testing

/// What uploaded objects are stored with: content type, cache control, metadata, storage class,
/// encryption and ACL, checked with HeadObject on moto; SSE-C keys on every request that moves an
/// object's bytes, and never in output or the state database.
@Suite struct UploadOptionsTests {
    @Test func objectOptionsReachSinglePutsAndMultipartUploads() async throws {
        try await CLIWorld.with(.moto) { world in
            try world.tree.write("site/index.html", "<html></html>")
            try world.tree.write("data/report.json", "{}")
            try world.tree.write("notes.unknownextension", "text")
            try world.tree.writeRandom("big/archive.tar", size: (5 << 20) * 2 + 17)
            let options = [
                "--part-size", "5MiB", "--multipart-threshold", "5MiB", "--cache-control", "max-age=60",
                "--metadata", "team=ops", "--metadata", "Ticket=OPS-7", "--storage-class", "STANDARD_IA",
                "--sse", "AES256", "--acl", "public-read",
            ]
            let run = try await world.push(options)
            #expect(run.status == 0, "\(run.stderr)")
            let expectedTypes = [
                "site/index.html": "text/html", "data/report.json": "application/json",
                "big/archive.tar": "application/x-tar",
            ]
            for (path, type) in expectedTypes {
                let head = try await world.inspector.head(bucket: world.bucket, key: "backup/" + path)
                #expect(head.contentType == type, "\(path)")
                #expect(head.cacheControl == "max-age=60")
                #expect(head.metadata["team"] == "ops")
                #expect(head.metadata["ticket"] == "OPS-7")
                #expect(head.metadata["mtime"] != nil)
                #expect(head.storageClass == "STANDARD_IA")
                #expect(head.serverSideEncryption == "AES256")
                #expect(head.grants.contains("http://acs.amazonaws.com/groups/global/AllUsers:READ"), "\(head.grants)")
            }
            let unknown = try await world.inspector.head(bucket: world.bucket, key: "backup/notes.unknownextension")
            #expect(unknown.contentType != "text/html")
            // A change of options alone uploads nothing again.
            let again = try await world.push(["--storage-class", "STANDARD", "--cache-control", "no-cache"])
            #expect(again.status == 0, "\(again.stderr)")
            #expect(again.int("uploaded_files") == 0)
        }
    }

    @Test func anExplicitContentTypeWinsAndGuessingCanBeTurnedOff() async throws {
        try await CLIWorld.with(.moto) { world in
            try world.tree.write("page.html", "<html></html>")
            #expect(try await world.push(["--no-guess-mime-type"], prefix: "plain").status == 0)
            let plain = try await world.inspector.head(bucket: world.bucket, key: "plain/page.html")
            #expect(plain.contentType != "text/html")
            #expect(try await world.push(["--content-type", "text/plain"], prefix: "forced").status == 0)
            let forced = try await world.inspector.head(bucket: world.bucket, key: "forced/page.html")
            #expect(forced.contentType == "text/plain")
        }
    }

    @Test func anSSECKeyGoesWithEveryRequestThatMovesBytesAndNowhereElse() async throws {
        try await CLIWorld.with(.moto) { world in
            try world.tree.write("small.txt", "small")
            try world.tree.writeRandom("large.bin", size: (5 << 20) * 2 + 3)
            let keyBytes = (0..<32).map { UInt8(($0 * 37 + 11) & 0xFF) }
            let keyFile = world.home + "/sse-c.key"
            try Data(keyBytes).write(to: URL(fileURLWithPath: keyFile))
            let keyMD5 = try #require(Checksum.compute(.md5, of: keyBytes)).base64
            let restore = world.home + "/restore"
            let outputs = try await FaultProxy.with(upstream: world.server) { proxy in
                var environment = world.s3sync.environment
                environment["AWS_ENDPOINT_URL"] = proxy.endpointURL
                let s3sync = S3SyncBinary(environment: environment, home: world.home)
                let sizes = ["--part-size", "5MiB", "--multipart-threshold", "5MiB", "--sse-c-key-file", keyFile]
                let push = try await s3sync.run(world.pushArguments(sizes))
                #expect(push.status == 0, "\(push.stderr)")
                let pull = try await s3sync.run(
                    ["pull", "s3://\(world.bucket)/backup", restore, "--state", world.state, "--json"] + sizes)
                #expect(pull.status == 0, "\(pull.stderr)")
                #expect(pull.int("downloaded_files") == 2)
                let moving: Set = [
                    "PutObject", "CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload", "GetObject",
                    "HeadObject",
                ]
                let seen = try await proxy.requestsSeen()
                #expect(seen.contains { $0.operation == "UploadPart" })
                #expect(seen.contains { $0.operation == "GetObject" })
                for request in seen where moving.contains(request.operation) {
                    #expect(request.customerKeyMD5 == keyMD5, "\(request.operation) \(request.target)")
                }
                for request in seen where !moving.contains(request.operation) {
                    #expect(request.customerKeyMD5.isEmpty, "\(request.operation) carried the key")
                }
                return push.stdout + push.stderr + pull.stdout + pull.stderr
            }
            #expect(
                try Data(contentsOf: URL(fileURLWithPath: restore + "/large.bin"))
                    == Data(contentsOf: URL(fileURLWithPath: world.tree.path("large.bin"))))
            // The key itself is in no output and no state file.
            let encodings = [
                Data(keyBytes).base64EncodedString(), keyBytes.map { String(format: "%02x", $0) }.joined(),
            ]
            var stateBytes = Data()
            for name in try FileManager.default.subpathsOfDirectory(atPath: world.home + "/state") {
                stateBytes += (try? Data(contentsOf: URL(fileURLWithPath: world.home + "/state/" + name))) ?? Data()
            }
            for encoding in encodings {
                #expect(!outputs.contains(encoding))
                #expect(stateBytes.range(of: Data(encoding.utf8)) == nil)
                #expect(stateBytes.range(of: Data(keyBytes)) == nil)
            }
        }
    }

    @Test func badObjectOptionsAreUsageErrors() async throws {
        try await CLIWorld.with { world in
            try world.tree.write("a.txt", "a")
            let shortKey = world.home + "/short.key"
            try Data("not a key".utf8).write(to: URL(fileURLWithPath: shortKey))
            let cases: [([String], String)] = [
                (["--metadata", "mtime=1"], "mtime"),
                (["--metadata", "no-equals"], "KEY=VALUE"),
                (["--sse", "rot13"], "--sse"),
                (["--acl", "everyone"], "--acl"),
                (["--sse-kms-key-id", "k", "--sse", "AES256"], "--sse-kms-key-id"),
                (["--sse", "AES256", "--sse-c-key-file", shortKey], "--sse-c-key-file"),
                (["--sse-c-key-file", shortKey], shortKey),
            ]
            for (flags, mention) in cases {
                let run = try await world.push(flags)
                #expect(run.status == 2, "\(flags): \(run.stderr)")
                #expect(run.stderr.contains(mention), "\(flags): \(run.stderr)")
            }
            #expect(try await world.remote().isEmpty)
        }
    }
}
