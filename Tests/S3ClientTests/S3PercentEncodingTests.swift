import Testing

@testable import S3Client

@Suite struct S3PercentEncodingTests {
    @Test func pathEncodingKeepsSlashAndEncodesEverythingElseOnce() {
        #expect(S3PercentEncoding.encodePath("a b/c+d%e#f?g&h=i") == "a%20b/c%2Bd%25e%23f%3Fg%26h%3Di")
        #expect(S3PercentEncoding.encodePath("ü/~._-") == "%C3%BC/~._-")
        #expect(S3PercentEncoding.encodePath("q\"'[]()") == "q%22%27%5B%5D%28%29")
        #expect(S3PercentEncoding.encodePath("a//b/../c") == "a//b/../c")
        #expect(S3PercentEncoding.encodePath("%20") == "%2520")
    }

    @Test func queryEncodingEncodesSlashPlusAndSpace() {
        #expect(S3PercentEncoding.encodeQueryComponent("a/b+c d=e") == "a%2Fb%2Bc%20d%3De")
    }

    @Test func canonicalQuerySortsByEncodedNameThenValue() {
        let query = S3PercentEncoding.canonicalQuery([
            ("prefix", "J"), ("max-keys", "2"), ("a", "z"), ("a", "b"), ("uploads", ""),
        ])
        #expect(query == "a=b&a=z&max-keys=2&prefix=J&uploads=")
    }

    @Test func listingKeysDecodeWithPlusAsSpace() {
        #expect(S3PercentEncoding.decode("a+b%2Bc%20d", plusAsSpace: true) == "a b+c d")
        #expect(S3PercentEncoding.decode("ctl%01char", plusAsSpace: true) == "ctl\u{01}char")
        #expect(S3PercentEncoding.decode("%C3%BC", plusAsSpace: true) == "ü")
        #expect(S3PercentEncoding.decode("bad%2", plusAsSpace: true) == nil)
        #expect(S3PercentEncoding.decode("%FF", plusAsSpace: true) == nil)
    }

    @Test func encodingRoundTripsEveryByteOfAKey() {
        var key = ""
        for scalar in (1...0x7F).compactMap(Unicode.Scalar.init) { key.unicodeScalars.append(scalar) }
        key += "日本語/ü"
        let encoded = S3PercentEncoding.encodeQueryComponent(key)
        #expect(S3PercentEncoding.decode(encoded, plusAsSpace: false) == key)
    }
}
