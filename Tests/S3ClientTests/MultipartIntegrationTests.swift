import Crypto
import Foundation
import NIOCore
import S3Client
import S3TestSupport
import Testing

/// Multipart operations against both servers: rclone verifies signatures and MD5s, moto gives
/// AWS-shaped multipart ETags and errors.
@Suite(.serialized) struct MultipartIntegrationTests {
    static let partSize: Int64 = 5 << 20

    func makeFile(size: Int, in directory: String) throws -> (path: String, bytes: [UInt8]) {
        var bytes = [UInt8](repeating: 0, count: size)
        var state: UInt32 = 12345
        for index in 0..<size {
            state = state &* 1_103_515_245 &+ 12345
            bytes[index] = UInt8(truncatingIfNeeded: state >> 16)
        }
        let path = directory + "/big.bin"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return (path, bytes)
    }

    @Test(arguments: [S3TestServer.Kind.rclone, .moto], [ChecksumAlgorithm.crc32c, .md5])
    func uploadListCompleteRoundTrip(kind: S3TestServer.Kind, checksum: ChecksumAlgorithm) async throws {
        let directory = try TestEnvironment.makeTemporaryDirectory("multipart")
        defer { TestEnvironment.removeTree(directory) }
        let (path, bytes) = try makeFile(size: Int(Self.partSize) * 2 + 12345, in: directory)
        try await S3TestServer.with(kind) { server in
            let bucket = try await server.createBucket()
            let key = "big files/archive+1.bin"
            try await server.makeClient(checksum: checksum).using { s3 in
                let uploadID = try await s3.createMultipartUpload(bucket: bucket, key: key, metadata: ["mtime": "1.5"])
                var parts: [UploadedPart] = []
                for number in 1...3 {
                    let offset = Int64(number - 1) * Self.partSize
                    let length = min(Self.partSize, Int64(bytes.count) - offset)
                    parts.append(
                        try await s3.uploadPart(
                            bucket: bucket, key: key, uploadID: uploadID, partNumber: number,
                            body: .file(FileSlice(path: path, offset: offset, length: length))))
                }
                let listed = try await s3.listParts(bucket: bucket, key: key, uploadID: uploadID)
                #expect(listed.map(\.partNumber) == [1, 2, 3])
                #expect(listed.map(\.eTag) == parts.map(\.eTag))
                #expect(listed.map(\.size) == [Self.partSize, Self.partSize, 12345])
                let open = try await s3.listMultipartUploads(bucket: bucket, prefix: "big files/")
                #expect(open.map(\.uploadID) == [uploadID])
                #expect(open.first?.key == key)

                let result = try await s3.completeMultipartUpload(
                    bucket: bucket, key: key, uploadID: uploadID, parts: parts)
                if kind == .moto {
                    // AWS form: MD5 of the concatenated binary part MD5s, "-" part count.
                    var concatenated: [UInt8] = []
                    for part in parts { concatenated += try #require(Hex.decode(part.eTag)) }
                    #expect(
                        result.eTag == Insecure.MD5.hash(data: concatenated).map { String(format: "%02x", $0) }.joined()
                            + "-3")
                }
                #expect(try await s3.listMultipartUploads(bucket: bucket).isEmpty)
                let head = try #require(try await s3.headObject(bucket: bucket, key: key))
                #expect(head.size == Int64(bytes.count))
                #expect(head.userMetadata["mtime"] == "1.5")
            }
            let stored = try await BucketInspector(server).contents(bucket: bucket, key: key)
            #expect(stored == Data(bytes))
        }
    }

    @Test(arguments: [S3TestServer.Kind.rclone, .moto])
    func abortRemovesTheUpload(kind: S3TestServer.Kind) async throws {
        try await S3TestServer.with(kind) { server in
            let bucket = try await server.createBucket()
            try await server.makeClient().using { s3 in
                let uploadID = try await s3.createMultipartUpload(bucket: bucket, key: "k")
                _ = try await s3.uploadPart(
                    bucket: bucket, key: "k", uploadID: uploadID, partNumber: 1,
                    body: .bytes(ByteBuffer(string: "part")))
                try await s3.abortMultipartUpload(bucket: bucket, key: "k", uploadID: uploadID)
                #expect(try await s3.listMultipartUploads(bucket: bucket).isEmpty)
                // Aborting again is not an error: the upload is gone either way.
                try await s3.abortMultipartUpload(bucket: bucket, key: "k", uploadID: uploadID)
                let error = await #expect(throws: S3ServiceError.self) {
                    try await s3.listParts(bucket: bucket, key: "k", uploadID: uploadID)
                }
                #expect(error?.code == "NoSuchUpload")
            }
            #expect(try await BucketInspector(server).openUploads(bucket: bucket).isEmpty)
        }
    }

    @Test func listPartsAndUploadsFollowPagination() async throws {
        try await S3TestServer.with(.moto) { server in
            let bucket = try await server.createBucket()
            try await server.makeClient(checksum: .none).using { s3 in
                let uploadID = try await s3.createMultipartUpload(bucket: bucket, key: "many-parts")
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for worker in 0..<8 {
                        group.addTask {
                            for number in stride(from: worker + 1, through: 1005, by: 8) {
                                _ = try await s3.uploadPart(
                                    bucket: bucket, key: "many-parts", uploadID: uploadID, partNumber: number,
                                    body: .bytes(ByteBuffer(string: "p\(number)")))
                            }
                        }
                    }
                    try await group.waitForAll()
                }
                let parts = try await s3.listParts(bucket: bucket, key: "many-parts", uploadID: uploadID)
                #expect(parts.map(\.partNumber) == Array(1...1005))
                var ids: Set<String> = [uploadID]
                for index in 0..<1002 {
                    ids.insert(try await s3.createMultipartUpload(bucket: bucket, key: "u/\(index % 3)"))
                }
                let uploads = try await s3.listMultipartUploads(bucket: bucket)
                #expect(Set(uploads.map(\.uploadID)) == ids)
            }
        }
    }

    @Test func partsWithAWrongChecksumAreRejected() async throws {
        try await S3TestServer.with(.rclone) { server in
            let bucket = try await server.createBucket()
            try await server.makeClient(checksum: .md5).using { s3 in
                let uploadID = try await s3.createMultipartUpload(bucket: bucket, key: "k")
                let wrong = Checksum.compute(.md5, of: Array("something else".utf8))
                let error = await #expect(throws: S3ServiceError.self) {
                    try await s3.uploadPart(
                        bucket: bucket, key: "k", uploadID: uploadID, partNumber: 1,
                        body: .bytes(ByteBuffer(string: "part")), checksum: wrong)
                }
                #expect(error?.code == "BadDigest")
                try await s3.abortMultipartUpload(bucket: bucket, key: "k", uploadID: uploadID)
            }
        }
    }
}
