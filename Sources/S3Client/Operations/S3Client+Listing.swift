extension S3Client {
    /// Lists keys under a prefix, page by page (up to 1000 keys each), in UTF-8 byte order.
    ///
    /// Asks for `encoding-type=url` and decodes keys, so keys with control characters survive.
    /// ```swift
    /// for try await page in s3.listObjectsV2(bucket: "b", prefix: "photos/") {
    ///     for object in page.objects { print(object.key, object.size) }
    /// }
    /// ```
    public func listObjectsV2(
        bucket: String, prefix: String? = nil, delimiter: String? = nil, startAfter: String? = nil, pageSize: Int = 1000
    ) -> ListObjectsV2Sequence {
        ListObjectsV2Sequence(
            client: self, bucket: bucket, prefix: prefix, delimiter: delimiter, startAfter: startAfter,
            pageSize: pageSize)
    }

    /// Fetches one ListObjectsV2 page.
    public func listObjectsV2Page(
        bucket: String, prefix: String? = nil, delimiter: String? = nil, startAfter: String? = nil,
        continuationToken: String? = nil, pageSize: Int = 1000
    ) async throws -> ListObjectsPage {
        var query: [(name: String, value: String)] = [
            ("list-type", "2"), ("encoding-type", "url"), ("max-keys", String(min(max(pageSize, 1), 1000))),
        ]
        if let prefix, !prefix.isEmpty { query.append(("prefix", prefix)) }
        if let delimiter, !delimiter.isEmpty { query.append(("delimiter", delimiter)) }
        if let startAfter, !startAfter.isEmpty { query.append(("start-after", startAfter)) }
        if let continuationToken { query.append(("continuation-token", continuationToken)) }
        let response = try await perform(
            S3Request(operation: "ListObjectsV2", method: .GET, bucket: bucket, query: query))
        return try ListObjectsPage.parse(try response.xml(operation: "ListObjectsV2"))
    }
}

/// The pages of a ListObjectsV2 listing; each iteration fetches the next page.
public struct ListObjectsV2Sequence: AsyncSequence, Sendable {
    public typealias Element = ListObjectsPage

    let client: S3Client
    let bucket: String
    let prefix: String?
    let delimiter: String?
    let startAfter: String?
    let pageSize: Int

    public struct AsyncIterator: AsyncIteratorProtocol {
        let sequence: ListObjectsV2Sequence
        var token: String?
        var finished = false

        public mutating func next() async throws -> ListObjectsPage? {
            guard !finished else { return nil }
            let page = try await sequence.client.listObjectsV2Page(
                bucket: sequence.bucket, prefix: sequence.prefix, delimiter: sequence.delimiter,
                startAfter: token == nil ? sequence.startAfter : nil, continuationToken: token,
                pageSize: sequence.pageSize)
            if page.isTruncated, let next = page.nextContinuationToken, !next.isEmpty {
                token = next
            } else {
                finished = true
            }
            return page
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(sequence: self)
    }
}
