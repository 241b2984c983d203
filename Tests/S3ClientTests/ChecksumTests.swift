import Testing

@testable import S3Client

/// Vectors from s3-protocol.md §5.
@Suite struct ChecksumTests {
    @Test func crcVectors() {
        var crc32 = CRC32(.ieee)
        crc32.update(Array("test data".utf8))
        #expect(crc32.value == 0xD308_AEB2)
        var crc32c = CRC32(.castagnoli)
        crc32c.update(Array("test data".utf8))
        #expect(crc32c.value == 0x3379_B4CA)
        #expect(Checksum.compute(.crc32, of: Array("123456789".utf8))?.base64 == "y/Q5Jg==")
        #expect(Checksum.compute(.crc32c, of: Array("123456789".utf8))?.base64 == "4waSgw==")
    }

    @Test func crcIsTheSameInAnyChunking() {
        let bytes = (0..<100_003).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        let whole = Checksum.compute(.crc32c, of: bytes)
        var hasher = ChecksumHasher(.crc32c)
        var start = 0
        for size in [1, 7, 8, 9, 4096, 65536] where start < bytes.count {
            let end = min(start + size, bytes.count)
            Array(bytes[start..<end]).withUnsafeBytes { hasher.update($0) }
            start = end
        }
        Array(bytes[start...]).withUnsafeBytes { hasher.update($0) }
        #expect(hasher.finalize() == whole)
    }

    @Test func contentMD5Vector() {
        #expect(Checksum.compute(.md5, of: Array("Welcome to Amazon S3.".utf8))?.base64 == "1EfQ6PKJ8WoS/2AnznfCWA==")
    }

    @Test func sha256IsAlsoThePayloadHash() {
        let checksum = Checksum.compute(.sha256, of: Array("Welcome to Amazon S3.".utf8))!
        #expect(checksum.hex == "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072")
        let (headers, payloadHash) = S3Client.integrityHeaders(checksum)
        #expect(payloadHash == checksum.hex)
        #expect(headers.contains { $0.name == "x-amz-checksum-sha256" && $0.value == checksum.base64 })
    }

    @Test func headersPerAlgorithm() {
        #expect(ChecksumAlgorithm.md5.headerName == "Content-MD5")
        #expect(ChecksumAlgorithm.crc32c.headerName == "x-amz-checksum-crc32c")
        #expect(ChecksumAlgorithm.none.headerName == nil)
        let (headers, payloadHash) = S3Client.integrityHeaders(nil)
        #expect(headers.isEmpty)
        #expect(payloadHash == "UNSIGNED-PAYLOAD")
    }
}

extension ChecksumTests {
    @Test func hardwareAndTableCRC32CAgree() {
        let bytes = (0..<1_000_003).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ ($0 >> 7)) }
        for range in [0..<0, 0..<1, 3..<11, 5..<4100, 0..<bytes.count] {
            var hardware = CRC32(.castagnoli)
            var tables = CRC32(.castagnoliTables)
            Array(bytes[range]).withUnsafeBytes {
                hardware.update($0)
                tables.update($0)
            }
            #expect(hardware.value == tables.value, "range \(range)")
        }
    }
}
