import Foundation
import NIOCore
import S3Client
import S3TestSupport
import Testing

// docs/library.md and Sources/S3Client/S3Client.docc/S3Client.md show `backUp(archive:to:environment:)`
// as it is written here: keep the three in step, so the documented example is the tested one.

/// Puts two notes and a large file (in parts) under `backup/` in `bucket`, lists what is there and
/// reads one note back.
func backUp(archive path: String, to bucket: String, environment: [String: String]) async throws
    -> (keys: [String], note: String)
{
    // Configuration, once: credentials, region, endpoint and retry settings, found where the AWS
    // CLI and SDKs look for them (environment, ~/.aws/config and ~/.aws/credentials, roles).
    let resolved = try await AWSConfigurationLoader(environment: environment).load()
    var configuration = resolved.clientConfiguration()
    configuration.checksumAlgorithm = .crc32c  // the default; .md5 for stores that check only Content-MD5

    // One client for the whole program, shared by every task; shut down when the closure ends.
    return try await S3Client.withClient(configuration: configuration) { s3 in
        // PutObject: two small objects at once, through the same client.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (key, text) in ["backup/notes/a.txt": "first note", "backup/notes/b.txt": "second note"] {
                group.addTask {
                    _ = try await s3.putObject(
                        bucket: bucket, key: key, body: .bytes(ByteBuffer(string: text)), contentType: "text/plain")
                }
            }
            try await group.waitForAll()
        }

        // A multipart upload in 8 MiB parts, each read from the file as it is sent (again on a retry).
        let key = "backup/archive.bin"
        let size = Int64(try URL(fileURLWithPath: path).resourceValues(forKeys: [.fileSizeKey]).fileSize ?? 0)
        let partSize: Int64 = 8 << 20
        let uploadID = try await s3.createMultipartUpload(bucket: bucket, key: key)
        do {
            var parts: [UploadedPart] = []
            var offset: Int64 = 0
            while offset < size {
                let length = min(partSize, size - offset)
                parts.append(
                    try await s3.uploadPart(
                        bucket: bucket, key: key, uploadID: uploadID, partNumber: parts.count + 1,
                        body: .file(FileSlice(path: path, offset: offset, length: length))))
                offset += length
            }
            _ = try await s3.completeMultipartUpload(bucket: bucket, key: key, uploadID: uploadID, parts: parts)
        } catch {
            // Leave no upload open: the store keeps the parts of an unfinished one.
            try? await s3.abortMultipartUpload(bucket: bucket, key: key, uploadID: uploadID)
            throw error
        }

        // ListObjectsV2, page by page; keys come in UTF-8 byte order.
        var keys: [String] = []
        for try await page in s3.listObjectsV2(bucket: bucket, prefix: "backup/") {
            keys += page.objects.map(\.key)
        }

        // GetObject, into memory.
        let note = try await s3.getObject(bucket: bucket, key: "backup/notes/a.txt")
        return (keys, String(buffer: note))
    }
}

/// The library example of docs/library.md, run against `rclone serve s3` (which verifies SigV4 and
/// checksums), with the configuration loaded from the environment as any program would load it.
@Suite(.serialized) struct LibraryExampleTests {
    /// Three 8 MiB parts, the last one short; no byte pattern repeats at the part size.
    static func archiveBytes() -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 2 * (8 << 20) + 12345)
        var state: UInt32 = 2024
        for index in bytes.indices {
            state = state &* 1_103_515_245 &+ 12345
            bytes[index] = UInt8(truncatingIfNeeded: state >> 16)
        }
        return bytes
    }

    @Test func theExamplePutsUploadsInPartsListsAndGetsBack() async throws {
        let directory = try TestEnvironment.makeTemporaryDirectory("library-example")
        defer { TestEnvironment.removeTree(directory) }
        let archive = directory + "/archive.bin"
        let bytes = Self.archiveBytes()
        try Data(bytes).write(to: URL(fileURLWithPath: archive))
        // A home of its own, so the example finds the server's settings and not this machine's files.
        let home = try TemporaryHome()
        defer { home.remove() }

        try await S3TestServer.with(.rclone) { server in
            let bucket = try await server.createBucket()
            let (keys, note) = try await backUp(
                archive: archive, to: bucket, environment: home.environment(server.environment))

            #expect(keys == ["backup/archive.bin", "backup/notes/a.txt", "backup/notes/b.txt"])
            #expect(note == "first note")
            try await server.makeClient().using { s3 in
                let second = try await s3.getObject(bucket: bucket, key: "backup/notes/b.txt")
                #expect(String(buffer: second) == "second note")
                let head = try #require(try await s3.headObject(bucket: bucket, key: "backup/archive.bin"))
                #expect(head.size == Int64(bytes.count))
                let stored = try await s3.getObject(bucket: bucket, key: "backup/archive.bin")
                #expect(Array(stored.readableBytesView) == bytes)
                #expect(try await s3.listMultipartUploads(bucket: bucket).isEmpty)
            }
            // The same bytes as rclone keeps them on disk.
            let onDisk = try Data(
                contentsOf: URL(fileURLWithPath: "\(server.dataDirectory)/\(bucket)/backup/archive.bin"))
            #expect(onDisk == Data(bytes))
        }
    }
}
