import NIOHTTP1
import Testing

@testable import S3Client

/// What a GetObject answer's head says it holds.
@Suite struct ObjectHeadTests {
    func head(_ status: Int, _ fields: [(String, String)]) -> ObjectHead? {
        ObjectHead(status: status, headers: HTTPHeaders(fields))
    }

    @Test func rangesComeFromContentRangeWhateverTheStatus() throws {
        for status in [206, 200] {
            let ranged = try #require(
                head(status, [("Content-Length", "100"), ("Content-Range", "bytes 200-299/1000"), ("ETag", "\"e\"")]))
            #expect(ranged.bodyOffset == 200)
            #expect(ranged.bodyLength == 100)
            #expect(ranged.objectSize == 1000)
            #expect(ranged.eTag == "e")
        }
        #expect(head(206, [("Content-Length", "100")]) == nil)
        #expect(head(206, [("Content-Length", "99"), ("Content-Range", "bytes 200-299/1000")]) == nil)
    }

    @Test func onlyAWholeObjectsOwnChecksumIsKept() throws {
        let whole = try #require(
            head(200, [("Content-Length", "3"), ("x-amz-checksum-crc32c", "yZRlqg=="), ("x-amz-meta-mtime", "1.5")]))
        #expect(whole.checksum?.algorithm == .crc32c)
        #expect(whole.userMetadata["mtime"] == "1.5")
        let composite = try #require(head(200, [("Content-Length", "3"), ("x-amz-checksum-crc32c", "yZRlqg==-2")]))
        #expect(composite.checksum == nil)
        let ranged = try #require(
            head(
                206, [("Content-Length", "1"), ("Content-Range", "bytes 0-0/3"), ("x-amz-checksum-crc32c", "yZRlqg==")])
        )
        #expect(ranged.checksum == nil)
    }
}
