import S3Client

/// The objects under a destination prefix in key order, fetching the next page while the current
/// one is consumed.
public struct RemoteListing: AsyncSequence, Sendable {
    public typealias Element = ObjectSummary

    let client: S3Client
    let location: S3Location

    public init(client: S3Client, location: S3Location) {
        self.client = client
        self.location = location
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var pages: AsyncThrowingStream<[ObjectSummary], any Error>.AsyncIterator
        var current: [ObjectSummary] = []
        var index = 0

        public mutating func next() async throws -> ObjectSummary? {
            while index >= current.count {
                guard let page = try await pages.next() else { return nil }
                current = page
                index = 0
            }
            defer { index += 1 }
            return current[index]
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        let (stream, continuation) = AsyncThrowingStream.makeStream(
            of: [ObjectSummary].self, bufferingPolicy: .bufferingOldest(2))
        let client = self.client
        let location = self.location
        let producer = Task {
            do {
                for try await page in client.listObjectsV2(bucket: location.bucket, prefix: location.prefix) {
                    try Task.checkCancellation()
                    // Wait while two pages are already buffered, to bound memory.
                    while case .dropped = continuation.yield(page.objects) {
                        try await Task.sleep(for: .milliseconds(5))
                    }
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in producer.cancel() }
        return AsyncIterator(pages: stream.makeAsyncIterator())
    }
}
