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
    /// Names of directories the prefix probably has (those of the local tree), listed at once
    /// rather than after the first page names them.
    let likelyDirectories: [String]

    public init(client: S3Client, location: S3Location, budget: RequestBudget, likelyDirectories: [String] = []) {
        self.client = client
        self.location = location
        self.budget = budget
        self.likelyDirectories = likelyDirectories
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

    /// A listing already under way, read later by a planner: its first round trips overlap
    /// whatever the run does before planning (the lock, the job's records).
    public struct Prefetched: AsyncSequence {
        public typealias Element = ObjectSummary
        let iterator: AsyncIterator

        public func makeAsyncIterator() -> AsyncIterator { iterator }
    }

    /// Starts listing now; read the result once.
    public func prefetch() -> Prefetched {
        Prefetched(iterator: makeAsyncIterator())
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
        // Discarding: a finished directory's task is freed at once, not kept until the level ends.
        try await withThrowingDiscardingTaskGroup { group in
            var segments = ListingLevel()
            // The likely directories start listing now, beside the first page that names the
            // real ones: a round trip saved, the one that dominates a no-op far from the store.
            // One permit stays free for that first page, which decides the rest.
            for name in likelyDirectories.prefix(parallelism - 1) {
                let prefix = location.prefix + name + "/"
                let continuation = segments.startEarly(prefix)
                group.addTask { await self.listDirectory(prefix, into: continuation) }
            }
            // Go down a chain of single directories (`a/b/c/…`) to the first level that branches.
            var level = location.prefix
            while true {
                let first = try await page(prefix: level, delimiter: "/", after: nil)
                if first.objects.isEmpty, first.commonPrefixes.count == 1, !first.isTruncated,
                    let only = first.commonPrefixes.first, only != level
                {
                    // The guesses were for the level above.
                    segments.abandonEarly()
                    level = only
                    continue
                }
                try await listLevel(level, firstPage: first, segments: &segments, group: &group, emit: emit)
                segments.abandonEarly()
                return
            }
        }
    }

    /// Lists one level with the delimiter; each directory of it is listed flat, in parallel.
    func listLevel(
        _ level: String, firstPage: ListObjectsPage, segments: inout ListingLevel,
        group: inout ThrowingDiscardingTaskGroup<any Error>, emit: @Sendable ([ObjectSummary]) async throws -> Void
    ) async throws {
        var running = 0
        func startDirectories() {
            while running < parallelism, let (prefix, continuation) = segments.nextToList() {
                running += 1
                group.addTask { await self.listDirectory(prefix, into: continuation) }
            }
        }
        var page = firstPage
        while true {
            running += segments.add(page)
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

    /// Lists one directory flat into its stream; an error ends the stream with it.
    func listDirectory(_ prefix: String, into continuation: ListingLevel.Pages.Continuation) async {
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

    /// One ListObjectsV2 page, holding a permit of the budget.
    func page(prefix: String, delimiter: String?, after token: String?) async throws -> ListObjectsPage {
        try await budget.withPermit {
            try await client.listObjectsV2Page(
                bucket: location.bucket, prefix: prefix, delimiter: delimiter, continuationToken: token)
        }
    }
}
