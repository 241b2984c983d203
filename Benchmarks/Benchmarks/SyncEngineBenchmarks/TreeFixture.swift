import Foundation
import S3Client
import SyncEngine

/// A source tree of empty files on disk, with the bucket listing and the index that a no-op push
/// of it would see: every key present with the same size, and an index record matching each file.
struct TreeFixture: Sendable {
    static let endpoint = "http://127.0.0.1:9000"
    static let location = S3Location(bucket: "bench-bucket", prefix: "tree/")

    let root: String
    let files: [LocalFile]
    /// The listing, in S3 key order (the walker's order), uploaded after the files were written.
    let objects: [ObjectSummary]

    /// Writes `files` empty files spread over `directories` directories under `root`.
    static func make(root: String, files count: Int, directories: Int) throws -> TreeFixture {
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        for directory in 0..<directories {
            let path = root + "/dir-\(directory)"
            guard mkdir(path, 0o755) == 0 || errno == EEXIST else { throw POSIXError(.init(rawValue: errno)!) }
        }
        for index in 0..<count {
            let path = root + "/dir-\(index % directories)/file-\(index).bin"
            let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw POSIXError(.init(rawValue: errno)!) }
            close(fd)
        }
        let walker = try LocalWalker(root: root)
        var files: [LocalFile] = []
        files.reserveCapacity(count)
        for entry in walker {
            if case .file(let file) = entry { files.append(file) }
        }
        precondition(files.count == count, "walked \(files.count) of \(count) files")
        let uploadedAt = Date().timeIntervalSince1970 + 60
        let objects = files.map { file in
            ObjectSummary(
                key: location.key(for: file.relativePath), size: file.stat.size,
                eTag: "d41d8cd98f00b204e9800998ecf8427e", lastModified: uploadedAt)
        }
        return TreeFixture(root: root, files: files, objects: objects)
    }

    /// What s3sync recorded when it uploaded each file.
    func indexRecords() -> [IndexRecord] {
        files.map { file in
            IndexRecord(
                endpoint: Self.endpoint, bucket: Self.location.bucket, key: Self.location.key(for: file.relativePath),
                identity: file.stat, eTag: "d41d8cd98f00b204e9800998ecf8427e", md5: nil, partSize: 8 << 20,
                multipartMD5: nil, uploadedAt: 0)
        }
    }
}
