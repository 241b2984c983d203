import S3Client

/// The objects under a destination prefix in key order.
///
/// Listing a big tree through one ListObjectsV2 chain is slow on many stores (each page walks
/// the tree), and one page at a time costs a round trip each, so the top level is listed with
/// the delimiter `/` and each "directory" below it is listed on its own, ahead of the consumer:
/// as many at once as the run's request budget has permits (every page request holds one), up
/// to ``mostDirectoriesAtOnce``. Results still come out in key order: a directory's keys are
/// contiguous in that order and take its place. At most a couple of pages per directory listing
/// ahead are held in memory.
public struct RemoteListing: AsyncSequence, Sendable {
    public typealias Element = ObjectSummary

    /// Directories listed ahead of the consumer at most, which bounds the pages held.
    public static let mostDirectoriesAtOnce = 64

    let client: S3Client
    let location: S3Location
    let budget: RequestBudget

    public init(client: S3Client, location: S3Location, budget: RequestBudget) {
        self.client = client
        self.location = location
        self.budget = budget
    }

    /// Directories listed at once now: the budget's permits, within the bound.
    var parallelism: Int { Swift.min(Self.mostDirectoriesAtOnce, budget.capacity) }

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
        let producer = Task {
            do {
                try await produce { try await Self.send($0, to: continuation) }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in producer.cancel() }
        return AsyncIterator(pages: stream.makeAsyncIterator())
    }

    /// Yields into a bounded stream, waiting while it is full.
    static func send(
        _ page: [ObjectSummary], to continuation: AsyncThrowingStream<[ObjectSummary], any Error>.Continuation
    ) async throws {
        guard !page.isEmpty else { return }
        while true {
            switch continuation.yield(page) {
            case .enqueued: return
            case .terminated: throw CancellationError()
            case .dropped:
                try await Task.sleep(for: .milliseconds(2))
            @unknown default: return
            }
        }
    }

    /// Lists everything under the prefix in key order, calling `emit` with batches.
    func produce(emit: @Sendable ([ObjectSummary]) async throws -> Void) async throws {
        // Go down a chain of single directories (`a/b/c/…`) to the first level that branches.
        var level = location.prefix
        while true {
            let first = try await page(prefix: level, delimiter: "/", after: nil)
            if first.objects.isEmpty, first.commonPrefixes.count == 1, !first.isTruncated,
                let only = first.commonPrefixes.first, only != level
            {
                level = only
                continue
            }
            try await listLevel(level, firstPage: first, emit: emit)
            return
        }
    }

    /// Lists one level with the delimiter; each directory of it is listed flat, in parallel.
    func listLevel(
        _ level: String, firstPage: ListObjectsPage, emit: @Sendable ([ObjectSummary]) async throws -> Void
    ) async throws {
        // Discarding: a finished directory's task is freed at once, not kept until the level ends.
        try await withThrowingDiscardingTaskGroup { group in
            var segments = ListingLevel()
            var running = 0
            func startDirectories() {
                while running < parallelism, let (prefix, continuation) = segments.nextToList() {
                    running += 1
                    group.addTask {
                        do {
                            var token: String?
                            repeat {
                                let page = try await self.page(prefix: prefix, delimiter: nil, after: token)
                                try await Self.send(page.objects, to: continuation)
                                token = page.isTruncated ? page.nextContinuationToken : nil
                            } while !(token ?? "").isEmpty
                            continuation.finish()
                        } catch {
                            continuation.finish(throwing: error)
                        }
                    }
                }
            }
            var page = firstPage
            while true {
                segments.add(page)
                startDirectories()
                // The directories of this page list in the background while it drains.
                let token = page.isTruncated ? page.nextContinuationToken : nil
                while let segment = segments.next() {
                    switch segment {
                    case .objects(let objects):
                        try await emit(objects)
                    case .directory(let stream):
                        for try await page in stream { try await emit(page) }
                        running -= 1
                        startDirectories()
                    }
                }
                guard let token, !token.isEmpty else { break }
                page = try await self.page(prefix: level, delimiter: "/", after: token)
            }
        }
    }

    /// One ListObjectsV2 page, holding a permit of the budget.
    func page(prefix: String, delimiter: String?, after token: String?) async throws -> ListObjectsPage {
        try await budget.withPermit {
            try await client.listObjectsV2Page(
                bucket: location.bucket, prefix: prefix, delimiter: delimiter, continuationToken: token)
        }
    }
}
