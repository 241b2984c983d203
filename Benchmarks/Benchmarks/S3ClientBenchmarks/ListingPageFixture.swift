import S3Client

/// A ListObjectsV2 response page as S3 sends it for `encoding-type=url`: 1000 `Contents` with
/// URL-encoded keys (some with spaces, `+` and non-ASCII), quoted ETags, sizes and timestamps,
/// and a continuation token.
enum ListingPageFixture {
    static func page(keys: Int = 1000) -> [UInt8] {
        var xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>bench-bucket</Name>\
            <Prefix>backups/host1/</Prefix><KeyCount>\(keys)</KeyCount><MaxKeys>1000</MaxKeys>\
            <EncodingType>url</EncodingType><IsTruncated>true</IsTruncated>
            """
        for index in 0..<keys {
            let directory = index / 100
            let name: String
            switch index % 10 {
            case 3: name = "photo \(index) (copy).jpg"
            case 7: name = "r\u{E9}sum\u{E9}+\(index).pdf"
            default: name = "file-\(index).bin"
            }
            let key = S3PercentEncoding.encodeQueryComponent("backups/host1/dir-\(directory)/\(name)")
            let etag = String(repeating: String(index % 16, radix: 16), count: 32)
            xml += "<Contents><Key>\(key)</Key><LastModified>2025-06-01T12:34:56.000Z</LastModified>"
            xml += "<ETag>&quot;\(etag)&quot;</ETag><Size>\(32768 + index)</Size>"
            xml += "<StorageClass>STANDARD</StorageClass></Contents>"
        }
        xml += "<NextContinuationToken>"
        xml += String(repeating: "Q2xpZW50VG9rZW4", count: 8)
        xml += "</NextContinuationToken></ListBucketResult>"
        return Array(xml.utf8)
    }
}
