import Crypto
import Foundation
import NIOCore
import S3Client
import S3TestSupport
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The client against `rclone serve s3` behind ``FaultProxy``: throttling, 5xx, dropped
/// connections, stalls and errors inside 200 answers. Each test starts its own server and proxy
/// and checks what landed independently of the client (boto3, or the proxy's own counters).
@Suite struct FaultInjectionTests {
    // MARK: - Throughput under faults

    @Test func manyObjectsAndAMultipartObjectSurviveSlowDownsAndDroppedConnections() async throws {
        let directory = try TestEnvironment.makeTemporaryDirectory("faults")
        defer { TestEnvironment.removeTree(directory) }
        let partSize = 5 << 20
        let big = Self.bytes(count: 4 * partSize + (1 << 20) + 4321, seed: 1)
        let bigPath = directory + "/big.bin"
        try Data(big).write(to: URL(fileURLWithPath: bigPath))
        // The small objects are slices of one corpus: the even ones sent from the file, the odd
        // ones from memory.
        let corpus = Self.bytes(count: 1 << 20, seed: 2)
        let corpusPath = directory + "/corpus.bin"
        try Data(corpus).write(to: URL(fileURLWithPath: corpusPath))
        let objects: [(key: String, offset: Int, length: Int)] = (0..<200).map { index in
            let length = index == 0 ? 0 : (index &* 7919) % (96 << 10) + 1
            return ("small/\(index)", (index &* 104_729) % (corpus.count - length), length)
        }
        // The drops come first so that of all requests 2.5 % + 2.5 % are dropped and 25 % throttled.
        let rules = [
            FaultProxy.Rule(.dropDuringRequestBody, probability: 0.025),
            FaultProxy.Rule(.dropDuringResponse, probability: 0.025 / 0.975),
            FaultProxy.Rule(.slowDown, probability: 0.25 / 0.95),
        ]
        try await Self.withProxiedRclone(rules: rules, seed: 2026) { server, proxy, bucket in
            // Standard mode: at a steady 25 % of SlowDowns the adaptive limiter settles at a few
            // requests per second, as designed (the next test pins that); this one is about every
            // request getting through, with the default backoff, attempts and retry quota.
            let s3 = try server.makeClient(retry: RetryConfiguration(mode: .standard), endpointURL: proxy.endpointURL)
            let started = ContinuousClock.now
            try await s3.using { s3 in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        let uploadID = try await s3.createMultipartUpload(bucket: bucket, key: "big.bin")
                        let parts = try await withThrowingTaskGroup(of: UploadedPart.self) { parts in
                            for number in 1...5 {
                                let offset = (number - 1) * partSize
                                let slice = FileSlice(
                                    path: bigPath, offset: Int64(offset),
                                    length: Int64(min(partSize, big.count - offset)))
                                parts.addTask {
                                    try await s3.uploadPart(
                                        bucket: bucket, key: "big.bin", uploadID: uploadID, partNumber: number,
                                        body: .file(slice))
                                }
                            }
                            return try await parts.reduce(into: []) { $0.append($1) }
                        }
                        _ = try await s3.completeMultipartUpload(
                            bucket: bucket, key: "big.bin", uploadID: uploadID, parts: parts)
                    }
                    var next = 0
                    func addUpload() {
                        let (key, offset, length) = objects[next]
                        let body: S3RequestBody =
                            next.isMultiple(of: 2)
                            ? .file(FileSlice(path: corpusPath, offset: Int64(offset), length: Int64(length)))
                            : .bytes(ByteBuffer(bytes: corpus[offset..<offset + length]))
                        group.addTask { _ = try await s3.putObject(bucket: bucket, key: key, body: body) }
                        next += 1
                    }
                    while next < 16 { addUpload() }
                    while try await group.next() != nil {
                        if next < objects.count { addUpload() }
                    }
                }
            }
            let elapsed = ContinuousClock.now - started
            let retry = s3.retryStatistics
            let seen = try await proxy.statistics()
            let payload = big.count + objects.reduce(0) { $0 + $1.length }
            print(
                """
                FaultInjectionTests: 200 objects + a 5-part multipart object (\(payload) bytes) through \
                25 % SlowDown + 5 % dropped connections in \(Self.seconds(elapsed.seconds)):
                  client: \(retry.attempts) attempts, \(retry.retries) retries, \(retry.throttles) throttles, \
                \(Self.seconds(retry.backoffSeconds)) backing off, \(Self.seconds(retry.rateLimitSeconds)) waiting \
                for the rate limiter, \(retry.quotaRefusals) quota refusals
                  proxy: \(seen.total.requests) requests, \(seen.total.forwarded) forwarded, faults \
                \(seen.total.faults.sorted { $0.key < $1.key }), \(seen.total.forwardedBodyBytes) body bytes \
                forwarded for \(payload) bytes of objects
                """)

            // 200 PutObject + CreateMultipartUpload + 5 UploadPart + CompleteMultipartUpload.
            #expect(retry.attempts == 207 + retry.retries)
            #expect(seen.total.requests == retry.attempts)
            #expect(retry.throttles == seen.total.faults(.slowDown))
            #expect(retry.retries >= seen.total.faultCount)
            #expect(seen.total.faults(.slowDown) > 30)
            #expect(seen.total.faults(.dropDuringRequestBody) + seen.total.faults(.dropDuringResponse) > 3)
            #expect(seen.total.forwardedBodyBytes > Int64(payload))

            let stored = try await BucketInspector(server).objects(bucket: bucket, contents: true)
            var expected = Dictionary(
                uniqueKeysWithValues: objects.map { ($0.key, Self.md5(corpus[$0.offset..<$0.offset + $0.length])) })
            expected["big.bin"] = Self.md5(big)
            #expect(Dictionary(uniqueKeysWithValues: stored.map { ($0.key, $0.md5 ?? "") }) == expected)
        }
    }

    // MARK: - Adaptive rate limiting

    @Test func theSendRateDropsUnderThrottlingAndRecoversAfterwards() async throws {
        try await Self.withProxiedRclone { server, proxy, bucket in
            try await server.makeClient(checksum: .none, endpointURL: proxy.endpointURL).using { s3 in
                let coordinator = s3.retryCoordinator
                let stop = StopFlag()
                let samples = RateSamples()
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for worker in 0..<4 {
                        group.addTask {
                            var index = 0
                            while !stop.isSet {
                                _ = try await s3.putObject(
                                    bucket: bucket, key: "w\(worker)/\(index % 16)",
                                    body: .bytes(ByteBuffer(string: "x")))
                                index += 1
                            }
                        }
                    }
                    group.addTask {
                        while !stop.isSet {
                            if let rate = coordinator.sendRate { samples.append(rate) }
                            try await Task.sleep(for: .milliseconds(5))
                        }
                    }

                    // Healthy traffic long enough for the limiter to measure the send rate; it stays off.
                    let warmUp = ContinuousClock.now + .seconds(1.5)
                    while ContinuousClock.now < warmUp || s3.retryStatistics.attempts < 100 {
                        try await Task.sleep(for: .milliseconds(50))
                    }
                    #expect(coordinator.sendRate == nil)

                    // Eight SlowDowns in a row, then healthy again.
                    try await proxy.setRules([.init(.slowDown, times: 8)])
                    let deadline = ContinuousClock.now + .seconds(30)
                    while try await proxy.statistics().total.faults(.slowDown) < 8, ContinuousClock.now < deadline {
                        try await Task.sleep(for: .milliseconds(50))
                    }
                    // Recovered: the rate has at least doubled from its lowest point.
                    while ContinuousClock.now < deadline {
                        let rates = samples.values
                        let (lowest, latest) = (rates.min() ?? 0, rates.last ?? 0)
                        if latest > 2 * lowest { break }
                        try await Task.sleep(for: .milliseconds(50))
                    }
                    stop.set()
                    try await group.waitForAll()
                }

                let rates = samples.values
                let first = try #require(rates.first)
                let lowestIndex = try #require(rates.indices.min { rates[$0] < rates[$1] })
                let lowest = rates[lowestIndex]
                let last = try #require(rates.last)
                print(
                    "FaultInjectionTests: send rate \(Self.rate(first)) at the first throttle, lowest \(Self.rate(lowest)), "
                        + "\(Self.rate(last)) after recovering; \(s3.retryStatistics.throttles) throttles")
                #expect(s3.retryStatistics.throttles == 8)
                #expect(lowest < first / 2, "the rate did not drop under throttling")
                #expect(last > 2 * lowest, "the rate did not recover after the throttling stopped")
                #expect(lowestIndex < rates.count - 1)
            }
        }
    }

    // MARK: - Single faults

    @Test func aStallPastTheReadTimeoutIsRetried() async throws {
        let rules = [FaultProxy.Rule(.stall, operation: "PutObject", times: 1, stallSeconds: 30)]
        try await Self.withProxiedRclone(rules: rules) { server, proxy, bucket in
            let s3 = try server.makeClient(endpointURL: proxy.endpointURL) { $0.readTimeout = .seconds(1) }
            try await s3.using { s3 in
                let started = ContinuousClock.now
                _ = try await s3.putObject(bucket: bucket, key: "k", body: .bytes(ByteBuffer(string: "after a stall")))
                // Far less than the stall: the client gave up after its read timeout.
                #expect(ContinuousClock.now - started < .seconds(20))
                #expect(s3.retryStatistics.retries == 1)
                #expect(String(buffer: try await s3.getObject(bucket: bucket, key: "k")) == "after a stall")
            }
            let put = try await proxy.statistics().operation("PutObject")
            #expect(put.requests == 2)
            #expect(put.faults(.stall) == 1)
            #expect(put.stallsEndedByClient == 1)
            #expect(put.forwarded == 1)
        }
    }

    @Test func anErrorInsideA200CompleteMultipartUploadIsRetried() async throws {
        let complete = FaultProxy.Rule(.okWithError, method: "POST", contains: "uploadId=")
        var once = complete
        once.times = 1
        try await Self.withProxiedRclone(rules: [once]) { server, proxy, bucket in
            let s3 = try server.makeClient(
                retry: RetryConfiguration(maxAttempts: 3, transientBaseDelay: .milliseconds(10)),
                endpointURL: proxy.endpointURL)
            let body = Self.bytes(count: (5 << 20) + 99, seed: 3)
            try await s3.using { s3 in
                // Once: retried, and the object is whole.
                let uploadID = try await s3.createMultipartUpload(bucket: bucket, key: "k")
                let parts = try await Self.uploadParts(s3, bucket: bucket, key: "k", uploadID: uploadID, body: body)
                _ = try await s3.completeMultipartUpload(bucket: bucket, key: "k", uploadID: uploadID, parts: parts)
                let seen = try await proxy.statistics().operation("CompleteMultipartUpload")
                #expect(seen.requests == 2)
                #expect(seen.faults(.okWithError) == 1)
                #expect(seen.forwarded == 1)

                // Every time: the call fails with the code from the body.
                try await proxy.setRules([complete])
                try await proxy.resetStatistics()
                let second = try await s3.createMultipartUpload(bucket: bucket, key: "k2")
                let secondParts = try await Self.uploadParts(
                    s3, bucket: bucket, key: "k2", uploadID: second, body: body)
                let error = await #expect(throws: S3ServiceError.self) {
                    try await s3.completeMultipartUpload(
                        bucket: bucket, key: "k2", uploadID: second, parts: secondParts)
                }
                #expect(error?.code == "InternalError")
                #expect(error?.statusCode == 200)
                #expect(error?.description.contains("gave up after 3 attempts") == true)
                #expect(try await proxy.statistics().operation("CompleteMultipartUpload").requests == 3)
                try await s3.abortMultipartUpload(bucket: bucket, key: "k2", uploadID: second)
            }
            let stored = try await BucketInspector(server).objects(bucket: bucket, contents: true)
            #expect(stored.map(\.key) == ["k"])
            #expect(stored.first?.md5 == Self.md5(body))
        }
    }

    @Test func aCompleteMultipartUploadWhoseAnswerIsLostStillSucceeds() async throws {
        // The server completes the upload, the answer never arrives; the retry finds no upload.
        let rules = [FaultProxy.Rule(.dropDuringResponse, operation: "CompleteMultipartUpload", times: 1)]
        try await Self.withProxiedRclone(rules: rules) { server, proxy, bucket in
            let body = Self.bytes(count: (5 << 20) + 1234, seed: 6)
            try await server.makeClient(endpointURL: proxy.endpointURL).using { s3 in
                let uploadID = try await s3.createMultipartUpload(bucket: bucket, key: "k")
                let parts = try await Self.uploadParts(s3, bucket: bucket, key: "k", uploadID: uploadID, body: body)
                let result = try await s3.completeMultipartUpload(
                    bucket: bucket, key: "k", uploadID: uploadID, parts: parts)
                #expect(result.eTag == (try await s3.headObject(bucket: bucket, key: "k"))?.eTag)
                #expect(try await proxy.statistics().operation("CompleteMultipartUpload").forwarded == 2)

                // Without a lost answer, NoSuchUpload stays an error, even with a same-size object there.
                let aborted = try await s3.createMultipartUpload(bucket: bucket, key: "k")
                let again = try await Self.uploadParts(s3, bucket: bucket, key: "k", uploadID: aborted, body: body)
                try await s3.abortMultipartUpload(bucket: bucket, key: "k", uploadID: aborted)
                let error = await #expect(throws: S3ServiceError.self) {
                    try await s3.completeMultipartUpload(bucket: bucket, key: "k", uploadID: aborted, parts: again)
                }
                #expect(error?.code == "NoSuchUpload")
            }
            #expect(try await BucketInspector(server).contents(bucket: bucket, key: "k") == Data(body))
        }
    }

    @Test func aBurstOf500sIsRetriedAndAPermanentOneGivesUpAfterMaxAttempts() async throws {
        let rule = FaultProxy.Rule(.internalError, operation: "PutObject")
        var burst = rule
        burst.times = 3
        try await Self.withProxiedRclone(rules: [burst]) { server, proxy, bucket in
            let s3 = try server.makeClient(
                retry: RetryConfiguration(maxAttempts: 5, transientBaseDelay: .milliseconds(10)),
                endpointURL: proxy.endpointURL)
            try await s3.using { s3 in
                _ = try await s3.putObject(bucket: bucket, key: "k", body: .bytes(ByteBuffer(string: "fourth time")))
                #expect(s3.retryStatistics.retries == 3)
                #expect(try await proxy.statistics().operation("PutObject").requests == 4)

                try await proxy.setRules([rule])
                try await proxy.resetStatistics()
                let error = await #expect(throws: S3ServiceError.self) {
                    try await s3.putObject(bucket: bucket, key: "k2", body: .bytes(ByteBuffer(string: "never")))
                }
                #expect(error?.code == "InternalError")
                #expect(error?.statusCode == 500)
                #expect(error?.description.contains("gave up after 5 attempts") == true)
                let put = try await proxy.statistics().operation("PutObject")
                #expect(put.requests == 5)
                #expect(put.forwarded == 0)
            }
            #expect(try await BucketInspector(server).contents(bucket: bucket, key: "k") == Data("fourth time".utf8))
        }
    }

    @Test(arguments: [FaultProxy.UpstreamDownBehaviour.badGateway, .close])
    func aDeadServerEmptiesTheRetryQuotaInsteadOfRetryingForever(
        behaviour: FaultProxy.UpstreamDownBehaviour
    ) async throws {
        let deadPort = try RefusingPort()
        try await FaultProxy.with(upstreamPort: deadPort.port, whenUpstreamIsDown: behaviour) { proxy in
            let configuration = S3ClientConfiguration(
                endpoint: try S3Endpoint(url: proxy.endpointURL),
                credentialProvider: StaticCredentialProvider(
                    AWSCredentials(accessKeyID: S3TestServer.accessKeyID, secretAccessKey: "secret")),
                retry: RetryConfiguration(
                    maxAttempts: 10, transientBaseDelay: .milliseconds(5), quotaCapacity: 50))
            try await S3Client(configuration: configuration).using { s3 in
                let started = ContinuousClock.now
                let errors = await withTaskGroup(of: (any Error)?.self) { group in
                    for index in 0..<20 {
                        group.addTask {
                            do {
                                _ = try await s3.putObject(
                                    bucket: "bucket", key: "k\(index)", body: .bytes(ByteBuffer(string: "x")))
                                return nil
                            } catch {
                                return error
                            }
                        }
                    }
                    return await group.reduce(into: [String]()) { $0.append($1.map { "\($0)" } ?? "succeeded") }
                }
                let statistics = s3.retryStatistics
                print(
                    "FaultInjectionTests: dead server (\(behaviour)): 20 requests failed after \(statistics.attempts) "
                        + "attempts in \(Self.seconds((ContinuousClock.now - started).seconds)); "
                        + "\(statistics.quotaRefusals) retries refused")
                #expect(errors.count == 20)
                #expect(!errors.contains("succeeded"))
                #expect(errors.contains { $0.contains("the retry quota is exhausted") })
                #expect(statistics.quotaRefusals > 0)
                // Without the quota: 20 × 10 attempts.
                #expect(statistics.attempts <= 20 + 50 / RetryQuota.retryCost)
                // Retrying 20 requests 10 times each with backoff would take minutes; the bound is loose
                // so that a machine loaded by the rest of the suite does not fail it.
                #expect(ContinuousClock.now - started < .seconds(30))
                let seen = try await proxy.statistics()
                #expect(seen.total.requests == statistics.attempts)
            }
        }
        withExtendedLifetime(deadPort) {}
    }

    // MARK: - The proxy itself

    @Test func requestsPassThroughUnchangedSoSignaturesStayValid() async throws {
        try await Self.withProxiedRclone { server, proxy, bucket in
            let body = Self.bytes(count: 3 << 20, seed: 4)
            try await server.makeClient(endpointURL: proxy.endpointURL).using { s3 in
                _ = try await s3.putObject(
                    bucket: bucket, key: "dir/with space+plus", body: .bytes(ByteBuffer(bytes: body)))
                #expect(try await s3.headObject(bucket: bucket, key: "dir/with space+plus")?.size == Int64(body.count))
                #expect(Array(buffer: try await s3.getObject(bucket: bucket, key: "dir/with space+plus")) == body)
                #expect(try await s3.listObjectsV2Page(bucket: bucket).objects.map(\.key) == ["dir/with space+plus"])
            }
            // rclone checks signatures through the proxy: a wrong secret is refused.
            try await server.makeClient(secret: "wrong", endpointURL: proxy.endpointURL).using { s3 in
                let error = await #expect(throws: S3ServiceError.self) {
                    try await s3.putObject(bucket: bucket, key: "k", body: .bytes(ByteBuffer(string: "x")))
                }
                #expect(error?.code == "SignatureDoesNotMatch")
            }
            let seen = try await proxy.statistics()
            #expect(seen.total.faultCount == 0)
            #expect(seen.operation("PutObject").forwardedBodyBytes == Int64(body.count) + 1)
            #expect(seen.operation("GetObject").responses(200) == 1)
        }
    }

    @Test func chunkedListingsPassThroughAndSurviveADroppedAnswer() async throws {
        try await Self.withProxiedRclone { server, proxy, bucket in
            let keys = (0..<60).map { "a-key-long-enough-to-make-the-listing-go-out-in-chunks/\($0)" }
            try await server.makeClient(endpointURL: proxy.endpointURL).using { s3 in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for key in keys {
                        group.addTask {
                            _ = try await s3.putObject(bucket: bucket, key: key, body: .bytes(ByteBuffer(string: key)))
                        }
                    }
                    try await group.waitForAll()
                }
                #expect(try await s3.listObjectsV2Page(bucket: bucket).objects.map(\.key) == keys.sorted())
                try await proxy.setRules([.init(.dropDuringResponse, operation: "ListObjectsV2", times: 1)])
                let retriesBefore = s3.retryStatistics.retries
                #expect(try await s3.listObjectsV2Page(bucket: bucket).objects.map(\.key) == keys.sorted())
                #expect(s3.retryStatistics.retries == retriesBefore + 1)
            }
            let listings = try await proxy.statistics().operation("ListObjectsV2")
            #expect(listings.requests == 3)
            #expect(listings.faults(.dropDuringResponse) == 1)
        }
    }

    @Test func aRetryAfterHintLengthensTheBackoff() async throws {
        let rules = [FaultProxy.Rule(.slowDown, operation: "PutObject", times: 1, retryAfterMilliseconds: 1500)]
        try await Self.withProxiedRclone(rules: rules) { server, proxy, bucket in
            let retry = RetryConfiguration(throttlingBaseDelay: .milliseconds(1))
            try await server.makeClient(retry: retry, endpointURL: proxy.endpointURL).using { s3 in
                let started = ContinuousClock.now
                _ = try await s3.putObject(bucket: bucket, key: "k", body: .bytes(ByteBuffer(string: "x")))
                #expect(ContinuousClock.now - started >= .milliseconds(1500))
                #expect(s3.retryStatistics.backoffSeconds >= 1.5)
                #expect(s3.retryStatistics.throttles == 1)
            }
        }
    }

    @Test func aDroppedRequestBodyIsSentAgainWhole() async throws {
        let directory = try TestEnvironment.makeTemporaryDirectory("drops")
        defer { TestEnvironment.removeTree(directory) }
        let body = Self.bytes(count: (5 << 20) + 17, seed: 5)
        let path = directory + "/part.bin"
        try Data(body).write(to: URL(fileURLWithPath: path))
        let rules = [
            FaultProxy.Rule(.dropDuringRequestBody, operation: "UploadPart", times: 1, fraction: 0.5),
            FaultProxy.Rule(.dropDuringRequestBody, operation: "PutObject", times: 1, fraction: 0.25),
            FaultProxy.Rule(.dropDuringResponse, operation: "PutObject", times: 1),
            FaultProxy.Rule(.dropDuringRequestBody, operation: "HeadObject", times: 1),
        ]
        try await Self.withProxiedRclone(rules: rules) { server, proxy, bucket in
            try await server.makeClient(endpointURL: proxy.endpointURL).using { s3 in
                let slice = FileSlice(path: path, length: Int64(body.count))
                let uploadID = try await s3.createMultipartUpload(bucket: bucket, key: "multi")
                let part = try await s3.uploadPart(
                    bucket: bucket, key: "multi", uploadID: uploadID, partNumber: 1, body: .file(slice))
                _ = try await s3.completeMultipartUpload(
                    bucket: bucket, key: "multi", uploadID: uploadID, parts: [part])
                _ = try await s3.putObject(bucket: bucket, key: "single", body: .bytes(ByteBuffer(bytes: body)))
                #expect(try await s3.headObject(bucket: bucket, key: "single")?.size == Int64(body.count))
                #expect(s3.retryStatistics.retries == 4)
            }
            let seen = try await proxy.statistics()
            // Half the part, then all of it; a quarter of the object, then all of it twice (the
            // second answer was lost).
            #expect(seen.operation("UploadPart").forwardedBodyBytes == Int64(body.count / 2 + body.count))
            #expect(seen.operation("PutObject").forwardedBodyBytes == Int64(body.count / 4 + 2 * body.count))
            let inspector = BucketInspector(server)
            #expect(try await inspector.contents(bucket: bucket, key: "multi") == Data(body))
            #expect(try await inspector.contents(bucket: bucket, key: "single") == Data(body))
        }
    }

    /// A file body goes out with `sendfile` on plain HTTP, which finds nothing to send once the
    /// file is shorter than the slice: the request must fail, naming the file, and not spin.
    @Test func aFileThatShrinksWhileItsBodyIsSentFailsTheRequestNamingTheFile() async throws {
        let directory = try TestEnvironment.makeTemporaryDirectory("shrinks")
        defer { TestEnvironment.removeTree(directory) }
        let body = Self.bytes(count: 24 << 20, seed: 6)
        let path = directory + "/shrinking.bin"
        try Data(body).write(to: URL(fileURLWithPath: path))
        let rules = [FaultProxy.Rule(.holdRequest, operation: "PutObject", times: 1, stallSeconds: 2, fraction: 0.05)]
        try await Self.withProxiedRclone(rules: rules) { server, proxy, bucket in
            try await server.makeClient(endpointURL: proxy.endpointURL).using { s3 in
                let ended = Mutex(false)
                let upload = Task {
                    defer { ended.withLock { $0 = true } }
                    let result: Result<PutObjectResult, any Error>
                    do {
                        result = .success(
                            try await s3.putObject(
                                bucket: bucket, key: "shrinking",
                                body: .file(FileSlice(path: path, length: Int64(body.count)))))
                    } catch {
                        result = .failure(error)
                    }
                    return result
                }
                try await waitUntil("the hold in the body") { try await proxy.statistics().total.holds >= 1 }
                #expect(truncate(path, 1 << 20) == 0)
                do {
                    try await waitUntil("the end of the upload", timeout: .seconds(15)) { ended.withLock { $0 } }
                } catch {
                    upload.cancel()
                    throw error
                }
                let result = await upload.value
                guard case .failure(let error) = result else {
                    Issue.record("the upload of a file that shrank succeeded")
                    return
                }
                let failure = try #require(error as? S3ClientError, "\(error)")
                #expect(failure.kind == .localFile)
                #expect(failure.message.contains(path) && failure.message.contains("changed while uploading"))
                #expect(try await s3.headObject(bucket: bucket, key: "shrinking") == nil)
            }
        }
    }

    @Test func theSameSeedInjectsTheSameFaults() async throws {
        let rules = [
            FaultProxy.Rule(.slowDown, probability: 0.3, retryAfterMilliseconds: 1),
            FaultProxy.Rule(.internalError, probability: 0.1),
        ]
        try await S3TestServer.with(.rclone) { server in
            let bucket = try await server.createBucket()
            var runs: [FaultProxy.Statistics.Counters] = []
            for _ in 0..<2 {
                let seen = try await FaultProxy.with(upstream: server, rules: rules, seed: 99) { proxy in
                    let retry = RetryConfiguration(
                        mode: .standard, maxAttempts: 20, transientBaseDelay: .milliseconds(1),
                        throttlingBaseDelay: .milliseconds(1))
                    try await server.makeClient(retry: retry, endpointURL: proxy.endpointURL).using { s3 in
                        try await withThrowingTaskGroup(of: Void.self) { group in
                            for index in 0..<40 {
                                group.addTask {
                                    _ = try await s3.putObject(
                                        bucket: bucket, key: "k\(index)", body: .bytes(ByteBuffer(string: "\(index)")))
                                }
                            }
                            try await group.waitForAll()
                        }
                    }
                    return try await proxy.statistics().operation("PutObject")
                }
                runs.append(seen)
            }
            #expect(runs[0].faultCount > 5)
            #expect(runs[0] == runs[1])
        }
    }

    // MARK: - Helpers

    /// `rclone serve s3` with a bucket (made directly), behind a proxy with these rules. The
    /// bucket's name is fixed, since the proxy's draws depend on the request paths.
    static func withProxiedRclone<Result: Sendable>(
        rules: [FaultProxy.Rule] = [], seed: Int = 1,
        _ body: (S3TestServer, FaultProxy, String) async throws -> Result
    ) async throws -> Result {
        try await S3TestServer.with(.rclone) { server in
            let bucket = try await server.createBucket("bucket")
            return try await FaultProxy.with(upstream: server, rules: rules, seed: seed) { proxy in
                try await body(server, proxy, bucket)
            }
        }
    }

    /// Uploads `body` as 5 MiB parts, concurrently.
    static func uploadParts(_ s3: S3Client, bucket: String, key: String, uploadID: String, body: [UInt8])
        async throws -> [UploadedPart]
    {
        let partSize = 5 << 20
        return try await withThrowingTaskGroup(of: UploadedPart.self) { group in
            for (index, offset) in stride(from: 0, to: body.count, by: partSize).enumerated() {
                let bytes = ByteBuffer(bytes: body[offset..<min(offset + partSize, body.count)])
                group.addTask {
                    try await s3.uploadPart(
                        bucket: bucket, key: key, uploadID: uploadID, partNumber: index + 1, body: .bytes(bytes))
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
    }

    /// Reproducible pseudo-random bytes.
    static func bytes(count: Int, seed: UInt32) -> [UInt8] {
        var state = seed &* 2_654_435_761
        return (0..<count).map { _ in
            state = state &* 1_103_515_245 &+ 12345
            return UInt8(truncatingIfNeeded: state >> 16)
        }
    }

    static func md5(_ bytes: some Sequence<UInt8>) -> String {
        Insecure.MD5.hash(data: Array(bytes)).map { String(format: "%02x", $0) }.joined()
    }

    static func seconds(_ value: Double) -> String { String(format: "%.1f s", value) }
    static func rate(_ value: Double) -> String { String(format: "%.1f/s", value) }
}

/// A port on 127.0.0.1 that refuses connections for as long as this lives: bound, never listening,
/// so no server that other tests start can take it.
final class RefusingPort: Sendable {
    let port: Int
    private let descriptor: Int32

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestSupportError("socket() failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound else {
            close(fd)
            throw TestSupportError("bind() failed")
        }
        descriptor = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(descriptor) }
}

/// Send rates sampled while a test runs.
final class RateSamples: Sendable {
    private let samples = Mutex<[Double]>([])
    var values: [Double] { samples.withLock { $0 } }
    func append(_ rate: Double) { samples.withLock { $0.append(rate) } }
}

/// A flag the test sets once to stop its workers.
final class StopFlag: Sendable {
    private let stopped = Mutex(false)
    var isSet: Bool { stopped.withLock { $0 } }
    func set() { stopped.withLock { $0 = true } }
}
