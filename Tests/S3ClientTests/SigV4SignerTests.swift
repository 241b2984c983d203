import Crypto
import Testing

@testable import S3Client

/// The AWS S3 SigV4 examples (s3-protocol.md §1.4).
@Suite struct SigV4SignerTests {
    let signer = SigV4Signer(
        credentials: AWSCredentials(
            accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
        region: "us-east-1")
    let date = AmzDate(secondsSince1970: 1_369_353_600)
    let host = "examplebucket.s3.amazonaws.com"

    @Test func dateFormatsAsAmzTimestamp() {
        #expect(date.timestamp == "20130524T000000Z")
        #expect(date.dateStamp == "20130524")
        #expect(AmzDate(timestamp: "20130524T000000Z")?.secondsSince1970 == 1_369_353_600)
        #expect(date.iso8601 == "2013-05-24T00:00:00Z")
        #expect(AmzDate(secondsSince1970: 1_795_000_000 + 59).iso8601 == "2026-11-18T11:07:39Z")
    }

    @Test func signingKeyMatchesTheExample() {
        #expect(signer.signingKey(for: date).hex == "dbb893acc010964918f1fd433add87c70e8b0db6be30c1fbeafefa5ec6ba8378")
    }

    @Test func getObjectWithRange() {
        var request = SignableRequest(
            method: "GET", encodedPath: "/test.txt", headers: [("Host", host), ("Range", "bytes=0-9")],
            payloadHash: SignableRequest.emptyPayloadHash)
        request.setHeader("x-amz-date", date.timestamp)
        request.setHeader("x-amz-content-sha256", request.payloadHash)
        let (canonical, signedHeaders) = signer.canonicalRequest(request)
        #expect(
            canonical
                == "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\nx-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\nx-amz-date:20130524T000000Z\n\nhost;range;x-amz-content-sha256;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        )
        #expect(signedHeaders == "host;range;x-amz-content-sha256;x-amz-date")
        #expect(
            Hex.encode(SHA256.hash(data: Array(canonical.utf8)))
                == "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972")
        let signature = signer.sign(&request, date: date)
        #expect(signature == "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
        #expect(
            request.header("authorization")
                == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        )
    }

    @Test func putObjectWithDollarInKey() {
        let body = Array("Welcome to Amazon S3.".utf8)
        let payloadHash = Hex.encode(SHA256.hash(data: body))
        #expect(payloadHash == "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072")
        var request = SignableRequest(
            method: "PUT", encodedPath: "/" + S3PercentEncoding.encodePath("test$file.text"),
            headers: [
                ("Host", host), ("Date", "Fri, 24 May 2013 00:00:00 GMT"),
                ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
            ], payloadHash: payloadHash)
        #expect(request.encodedPath == "/test%24file.text")
        #expect(signer.sign(&request, date: date) == "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd")
    }

    @Test func getBucketLifecycle() {
        var request = SignableRequest(
            method: "GET", encodedPath: "/", query: [("lifecycle", "")], headers: [("Host", host)],
            payloadHash: SignableRequest.emptyPayloadHash)
        #expect(signer.sign(&request, date: date) == "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543")
    }

    @Test func listObjectsWithQuery() {
        var request = SignableRequest(
            method: "GET", encodedPath: "/", query: [("prefix", "J"), ("max-keys", "2")], headers: [("Host", host)],
            payloadHash: SignableRequest.emptyPayloadHash)
        #expect(signer.sign(&request, date: date) == "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7")
    }

    @Test func presignedGet() {
        let request = SignableRequest(
            method: "GET", encodedPath: "/test.txt", headers: [("Host", host)],
            payloadHash: SignableRequest.unsignedPayload)
        let query = signer.presignedQuery(request, date: date, expires: 86400)
        #expect(query.last?.name == "X-Amz-Signature")
        #expect(query.last?.value == "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404")
        #expect(
            query.first { $0.name == "X-Amz-Credential" }?.value
                == "AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request")
    }

    @Test func cachedSigningKeyGivesTheSameSignature() {
        let key = signer.signingKey(for: date)
        var first = SignableRequest(
            method: "GET", encodedPath: "/", query: [("lifecycle", "")], headers: [("Host", host)],
            payloadHash: SignableRequest.emptyPayloadHash)
        var second = first
        #expect(signer.sign(&first, date: date, key: key) == signer.sign(&second, date: date))
    }

    @Test func sessionTokenIsSignedAndSent() {
        let temporary = SigV4Signer(
            credentials: AWSCredentials(accessKeyID: "AKID", secretAccessKey: "secret", sessionToken: "TOKEN"),
            region: "eu-west-1")
        var request = SignableRequest(
            method: "GET", encodedPath: "/", headers: [("host", "h")], payloadHash: SignableRequest.emptyPayloadHash)
        temporary.sign(&request, date: date)
        #expect(request.header("x-amz-security-token") == "TOKEN")
        #expect(request.header("authorization")?.contains("x-amz-security-token") == true)
        #expect(request.header("authorization")?.contains("/eu-west-1/s3/") == true)
    }

    @Test func headerValuesAreTrimmedAndCollapsed() {
        #expect(SigV4Signer.canonicalHeaderValue("  a   b  c ") == "a b c")
        #expect(SigV4Signer.canonicalHeaderValue("plain") == "plain")
    }

    @Test func credentialsNeverPrintTheirSecret() {
        let credentials = AWSCredentials(accessKeyID: "AKID", secretAccessKey: "TOPSECRET", sessionToken: "TOKENVALUE")
        #expect(!"\(credentials)".contains("TOPSECRET"))
        #expect(!"\(credentials)".contains("TOKENVALUE"))
    }
}
