import Foundation
import NIOCore
import S3Client
import S3TestSupport
import Testing

/// Every operation against `rclone serve s3`, which verifies SigV4 and Content-MD5.
@Suite(.serialized) struct S3ClientIntegrationTests {
    @Test func putHeadGetAndDeleteOneObject() async throws {
        try await S3TestServer.with(.rclone) { server in
            let bucket = try await server.createBucket()
            try await server.makeClient().using { s3 in
                // The bucket exists, so HeadBucket succeeds; rclone sends no x-amz-bucket-region.
                #expect(try await s3.headBucket(bucket) == nil)
                let result = try await s3.putObject(
                    bucket: bucket, key: "dir/hello.txt", body: .bytes(ByteBuffer(string: "hello, world")),
                    metadata: ["mtime": "1700000000.5"], contentType: "text/plain")
                #expect(result.eTag == "e4d7f1b4ed2e42d15898f4b27b019da4")
                let head = try #require(try await s3.headObject(bucket: bucket, key: "dir/hello.txt"))
                #expect(head.size == 12)
                #expect(head.eTag == result.eTag)
                #expect(head.userMetadata["mtime"] == "1700000000.5")
                let body = try await s3.getObject(bucket: bucket, key: "dir/hello.txt")
                #expect(String(buffer: body) == "hello, world")
                #expect(try await s3.headObject(bucket: bucket, key: "dir/missing") == nil)
                try await s3.deleteObject(bucket: bucket, key: "dir/hello.txt")
                #expect(try await s3.headObject(bucket: bucket, key: "dir/hello.txt") == nil)
            }
        }
    }

    @Test(arguments: ChecksumAlgorithm.allCases)
    func everyChecksumAlgorithmIsAccepted(_ algorithm: ChecksumAlgorithm) async throws {
        try await S3TestServer.with(.rclone) { server in
            let bucket = try await server.createBucket()
            let directory = try TestEnvironment.makeTemporaryDirectory("checksum")
            defer { TestEnvironment.removeTree(directory) }
            let path = directory + "/file"
            let bytes = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            try await server.makeClient(checksum: algorithm).using { s3 in
                _ = try await s3.putObject(
                    bucket: bucket, key: "slice", body: .file(FileSlice(path: path, offset: 1000, length: 200_000)))
                let stored = try await s3.getObject(bucket: bucket, key: "slice")
                #expect(Array(stored.readableBytesView) == Array(bytes[1000..<201_000]))
            }
        }
    }

    @Test func aWrongContentMD5IsRejectedAsBadDigest() async throws {
        try await S3TestServer.with(.rclone) { server in
            let bucket = try await server.createBucket()
            try await server.makeClient(checksum: .md5).using { s3 in
                let wrong = Checksum.compute(.md5, of: Array("other bytes".utf8))
                let error = await #expect(throws: S3ServiceError.self) {
                    try await s3.putObject(
                        bucket: bucket, key: "k", body: .bytes(ByteBuffer(string: "bytes")), checksum: wrong)
                }
                #expect(error?.code == "BadDigest")
                #expect(s3.retryStatistics.retries == 0)
            }
        }
    }

    @Test func oddKeysRoundTripExactly() async throws {
        try await S3TestServer.with(.rclone) { server in
            let bucket = try await server.createBucket()
            let keys = OddKeys.all
            try await server.makeClient().using { s3 in
                for key in keys {
                    _ = try await s3.putObject(bucket: bucket, key: key, body: .bytes(ByteBuffer(string: key)))
                }
                var listed: [String] = []
                for try await page in s3.listObjectsV2(bucket: bucket, pageSize: 7) {
                    listed += page.objects.map(\.key)
                }
                #expect(listed == keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
                for key in keys {
                    #expect(String(buffer: try await s3.getObject(bucket: bucket, key: key)) == key)
                }
            }
            let seenByBoto = try await BucketInspector(server).objects(bucket: bucket).map(\.key)
            #expect(Set(seenByBoto) == Set(keys))
        }
    }

    @Test func listingPaginatesAndGroupsByDelimiter() async throws {
        try await S3TestServer.with(.rclone) { server in
            let bucket = try await server.createBucket()
            try await server.makeClient().using { s3 in
                for index in 0..<25 {
                    _ = try await s3.putObject(
                        bucket: bucket, key: String(format: "p/d%d/f%02d", index % 3, index),
                        body: .bytes(ByteBuffer(string: "x")))
                }
                _ = try await s3.putObject(bucket: bucket, key: "p-other", body: .bytes(ByteBuffer(string: "x")))
                var pages = 0
                var keys: [String] = []
                for try await page in s3.listObjectsV2(bucket: bucket, prefix: "p/", pageSize: 10) {
                    pages += 1
                    keys += page.objects.map(\.key)
                }
                #expect(pages == 3)
                #expect(keys.count == 25)
                #expect(keys == keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
                let level = try await s3.listObjectsV2Page(bucket: bucket, prefix: "p/", delimiter: "/")
                #expect(level.commonPrefixes == ["p/d0/", "p/d1/", "p/d2/"])
                #expect(level.objects.isEmpty)
            }
        }
    }

    @Test func deleteObjectsWorksInBatchesOfAThousand() async throws {
        try await S3TestServer.with(.rclone) { server in
            let bucket = try await server.createBucket()
            let keys = (0..<1005).map { "many/\($0 % 10)/k\($0)" }
            try await server.makeClient().using { s3 in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for chunk in stride(from: 0, to: keys.count, by: 100) {
                        let slice = Array(keys[chunk..<min(chunk + 100, keys.count)])
                        group.addTask {
                            for key in slice {
                                _ = try await s3.putObject(
                                    bucket: bucket, key: key, body: .bytes(ByteBuffer(string: "v")))
                            }
                        }
                    }
                    try await group.waitForAll()
                }
                let before = s3.retryStatistics.attempts
                let result = try await s3.deleteObjects(bucket: bucket, keys: keys + ["many/never-existed"])
                #expect(result.failures.isEmpty)
                #expect(Set(result.deleted) == Set(keys + ["many/never-existed"]))
                #expect(s3.retryStatistics.attempts - before >= 2)
                var remaining = 0
                for try await page in s3.listObjectsV2(bucket: bucket, prefix: "many/") {
                    remaining += page.objects.count
                }
                #expect(remaining == 0)
            }
        }
    }

    @Test func aWrongSecretFailsAtOnceWithSignatureDoesNotMatch() async throws {
        try await S3TestServer.with(.rclone) { server in
            let bucket = try await server.createBucket()
            try await server.makeClient(secret: "not-the-secret").using { s3 in
                let error = await #expect(throws: S3ServiceError.self) {
                    try await s3.putObject(bucket: bucket, key: "k", body: .bytes(ByteBuffer(string: "v")))
                }
                #expect(error?.code == "SignatureDoesNotMatch")
                #expect(error?.statusCode == 403)
                #expect(error?.description.contains("secret key") == true)
                #expect(s3.retryStatistics.attempts == 1)
            }
        }
    }

    @Test func aMissingBucketIsNoSuchBucket() async throws {
        try await S3TestServer.with(.rclone) { server in
            try await server.makeClient().using { s3 in
                let error = await #expect(throws: S3ServiceError.self) {
                    try await s3.headBucket("no-such-bucket-here")
                }
                #expect(error?.code == "NoSuchBucket")
                let listError = await #expect(throws: S3ServiceError.self) {
                    try await s3.listObjectsV2Page(bucket: "no-such-bucket-here")
                }
                #expect(listError?.code == "NoSuchBucket")
            }
        }
    }

    @Test func aDeadEndpointIsAConnectionErrorThatNamesTheEndpoint() async throws {
        let port = try TestEnvironment.freePort()
        var configuration = S3ClientConfiguration(
            endpoint: try S3Endpoint(url: "http://127.0.0.1:\(port)"),
            credentialProvider: StaticCredentialProvider(AWSCredentials(accessKeyID: "a", secretAccessKey: "b")),
            retry: RetryConfiguration(maxAttempts: 3, transientBaseDelay: .milliseconds(1)))
        configuration.connectTimeout = .seconds(2)
        try await S3Client(configuration: configuration).using { s3 in
            let error = await #expect(throws: S3ClientError.self) { try await s3.headBucket("bucket") }
            #expect(error?.kind == .connection)
            #expect(error?.description.contains("127.0.0.1:\(port)") == true)
            #expect(s3.retryStatistics.attempts == 3)
        }
    }

    @Test func presignedURLsWork() async throws {
        try await S3TestServer.with(.rclone) { server in
            let bucket = try await server.createBucket()
            try await server.makeClient().using { s3 in
                _ = try await s3.putObject(bucket: bucket, key: "a b+c", body: .bytes(ByteBuffer(string: "presigned")))
                let url = try await s3.presignedURL(bucket: bucket, key: "a b+c", expires: 600)
                let result = try await Shell.run(
                    try TestEnvironment.tool("python"),
                    [
                        "-c",
                        "import sys,urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1]).read().decode())",
                        url,
                    ])
                #expect(result.output == "presigned", "\(result.errorOutput)")
            }
        }
    }

    @Test func tlsWorksWithTheCABundleAndFailsClearlyWithoutIt() async throws {
        let tls = try await TLSMaterial.generate()
        defer { TestEnvironment.removeTree(tls.directory) }
        try await S3TestServer.with(.rclone, tls: tls) { server in
            try await server.makeClient(caBundle: tls.caCertificatePath).using { s3 in
                try await s3.createBucket("tls-bucket")
                _ = try await s3.putObject(bucket: "tls-bucket", key: "k", body: .bytes(ByteBuffer(string: "secure")))
                #expect(String(buffer: try await s3.getObject(bucket: "tls-bucket", key: "k")) == "secure")
            }
            try await server.makeClient().using { s3 in
                let error = await #expect(throws: S3ClientError.self) { try await s3.headBucket("tls-bucket") }
                #expect(error?.kind == .tls)
                #expect(error?.description.contains("private CA") == true)
                #expect(s3.retryStatistics.attempts == 1)
            }
        }
    }

    @Test func aMissingCABundleIsAConfigurationError() throws {
        #expect(throws: S3ClientError.self) {
            _ = try S3Client(
                configuration: S3ClientConfiguration(
                    credentialProvider: StaticCredentialProvider(
                        AWSCredentials(accessKeyID: "a", secretAccessKey: "b")),
                    caBundlePath: "/nonexistent/ca.pem"))
        }
    }
}
