import Benchmark
import BenchmarkSupport
import S3Client

/// Signer, listing parser and checksums: the per-request and per-byte work of the S3 client.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration.metrics = [.wallClock, .cpuTotal, .throughput, .mallocCountTotal]
    Benchmark.defaultConfiguration.maxDuration = .seconds(3)
    Benchmark.defaultConfiguration.maxIterations = 1_000

    let credentials = AWSCredentials(
        accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    let signer = SigV4Signer(credentials: credentials, region: "us-east-1")
    let signingKey = signer.signingKey(for: AmzDate(secondsSince1970: 1_750_000_000))

    // One PutObject as the uploader sends it: encode the key, stamp the date, sign with the
    // day's cached key.
    Benchmark(
        "SigV4 sign PutObject (cached signing key)",
        configuration: .init(scalingFactor: .kilo)
    ) { benchmark in
        for index in benchmark.scaledIterations {
            let path = S3PercentEncoding.encodePath("/bench-bucket/backups/host1/dir-\(index % 20)/photo \(index).jpg")
            var request = SignableRequest(
                method: "PUT", encodedPath: path,
                headers: [
                    ("host", "127.0.0.1:9000"), ("content-length", "32768"),
                    ("x-amz-checksum-crc32c", "yZRlqg=="), ("x-amz-meta-mtime", "1750000000.123456789"),
                ],
                payloadHash: SignableRequest.unsignedPayload)
            let date = AmzDate(secondsSince1970: 1_750_000_000 + index % 60)
            blackHole(signer.sign(&request, date: date, key: signingKey))
        }
    }

    Benchmark(
        "SigV4 derive signing key",
        configuration: .init(scalingFactor: .kilo)
    ) { benchmark in
        for index in benchmark.scaledIterations {
            blackHole(signer.signingKey(for: AmzDate(secondsSince1970: 1_750_000_000 + index * 86_400)))
        }
    }

    let page = ListingPageFixture.page(keys: 1000)
    Benchmark(
        "ListObjectsV2 parse 1000-key page",
        configuration: .init(timeUnits: .microseconds)
    ) { benchmark in
        do {
            let root = try XMLDocumentParser.parse(page)
            let listing = try ListObjectsPage.parse(root)
            precondition(listing.objects.count == 1000)
            blackHole(listing)
        } catch {
            benchmark.error("parse failed: \(error)")
        }
    }

    // 16 MiB hashed in 256 KiB updates, the chunk size the uploader reads parts with.
    let buffer = (0..<(16 << 20)).map { UInt8(truncatingIfNeeded: ($0 &* 2_654_435_761) >> 13) }
    let chunk = 256 << 10
    for algorithm in [ChecksumAlgorithm.crc32c, .crc32, .sha256, .md5] {
        Benchmark(
            "Checksum \(algorithm.rawValue) 16 MiB",
            configuration: .init(
                metrics: [.wallClock, .cpuTotal, .throughput, .mallocCountTotal, Rate.megabytesPerSecond],
                maxDuration: .seconds(3))
        ) { benchmark in
            let start = ContinuousClock.now
            var hasher = ChecksumHasher(algorithm)
            buffer.withUnsafeBytes { bytes in
                var offset = 0
                while offset < bytes.count {
                    hasher.update(UnsafeRawBufferPointer(rebasing: bytes[offset..<min(offset + chunk, bytes.count)]))
                    offset += chunk
                }
            }
            blackHole(hasher.finalize())
            Rate.record(benchmark, Rate.megabytesPerSecond, units: Double(buffer.count) / 1e6, since: start)
        }
    }
}
