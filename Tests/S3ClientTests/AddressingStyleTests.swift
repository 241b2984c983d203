import Testing

@testable import S3Client

@Suite struct AddressingStyleTests {
    @Test func ipAndLocalhostEndpointsUsePathStyle() throws {
        let local = try S3Endpoint(url: "http://127.0.0.1:9000")
        let resolved = AddressingStyle.auto.resolve(endpoint: local, bucket: "bucket", key: "a b/c")
        #expect(resolved.host == "127.0.0.1")
        #expect(resolved.encodedPath == "/bucket/a%20b/c")
        #expect(local.authority(host: resolved.host) == "127.0.0.1:9000")
        let localhost = try S3Endpoint(url: "http://localhost:8080/")
        #expect(AddressingStyle.auto.resolve(endpoint: localhost, bucket: "bucket", key: nil).encodedPath == "/bucket")
    }

    @Test func awsUsesVirtualHostsExceptForDottedBucketsOverHTTPS() {
        let aws = S3Endpoint.aws(region: "us-east-1")
        #expect(
            AddressingStyle.auto.resolve(endpoint: aws, bucket: "bucket-name", key: "k").host
                == "bucket-name.s3.us-east-1.amazonaws.com")
        let dotted = AddressingStyle.auto.resolve(endpoint: aws, bucket: "bucket.name", key: "k")
        #expect(dotted.host == "s3.us-east-1.amazonaws.com")
        #expect(dotted.encodedPath == "/bucket.name/k")
        #expect(aws.authority(host: "x") == "x")
    }

    @Test func customEndpointsFollowTheRuleset() throws {
        let https = try S3Endpoint(url: "https://example.com")
        #expect(
            AddressingStyle.auto.resolve(endpoint: https, bucket: "bucket-name", key: nil).host
                == "bucket-name.example.com")
        let http = try S3Endpoint(url: "http://example.com")
        #expect(
            AddressingStyle.auto.resolve(endpoint: http, bucket: "bucket.name", key: nil).host
                == "bucket.name.example.com")
        #expect(
            AddressingStyle.path.resolve(endpoint: https, bucket: "bucket-name", key: "k").encodedPath
                == "/bucket-name/k")
        let invalid = AddressingStyle.auto.resolve(endpoint: https, bucket: "example.com#", key: nil)
        #expect(invalid.host == "example.com")
        #expect(invalid.encodedPath == "/example.com%23")
    }

    @Test func virtualHostableNames() {
        #expect(AddressingStyle.isVirtualHostable("my-bucket.1"))
        #expect(!AddressingStyle.isVirtualHostable("BucketName"))
        #expect(!AddressingStyle.isVirtualHostable("99_ab"))
        #expect(!AddressingStyle.isVirtualHostable("ab"))
        #expect(!AddressingStyle.isVirtualHostable("a-.b"))
        #expect(!AddressingStyle.isVirtualHostable("a..b"))
        #expect(!AddressingStyle.isVirtualHostable("192.168.1.1"))
    }

    @Test func endpointURLsAreValidated() throws {
        #expect(throws: S3ClientError.self) { try S3Endpoint(url: "127.0.0.1:9000") }
        #expect(throws: S3ClientError.self) { try S3Endpoint(url: "http://host:99999") }
        let endpoint = try S3Endpoint(url: "https://S3.Example.com:8443/base/")
        #expect(endpoint.host == "s3.example.com")
        #expect(endpoint.port == 8443)
        #expect(endpoint.basePath == "/base")
        #expect(AddressingStyle.path.resolve(endpoint: endpoint, bucket: "b", key: "k").encodedPath == "/base/b/k")
    }
}
