import S3Client

/// One level of a listing with the delimiter, in key order: runs of objects, and directories
/// whose keys take their place when listed. ``RemoteListing`` lists the directories in parallel
/// and drains the segments in order.
struct ListingLevel {
    typealias Pages = AsyncThrowingStream<[ObjectSummary], any Error>

    enum Segment {
        case objects([ObjectSummary])
        case directory(Pages)
    }

    private var segments: [Segment] = []
    private var head = 0
    /// Directories not listing yet, in key order, with the continuation their pages go to.
    private var waiting: [(prefix: String, continuation: Pages.Continuation)] = []

    /// Adds a page of the level: its objects and directories merged in key order.
    mutating func add(_ page: ListObjectsPage) {
        var objects = page.objects[...]
        var batch: [ObjectSummary] = []
        for prefix in page.commonPrefixes {
            while let object = objects.first, object.key.utf8.lexicographicallyPrecedes(prefix.utf8) {
                batch.append(object)
                objects = objects.dropFirst()
            }
            if !batch.isEmpty {
                segments.append(.objects(batch))
                batch = []
            }
            let (stream, continuation) = Pages.makeStream(bufferingPolicy: .bufferingOldest(2))
            segments.append(.directory(stream))
            waiting.append((prefix, continuation))
        }
        batch.append(contentsOf: objects)
        if !batch.isEmpty { segments.append(.objects(batch)) }
    }

    /// The next directory to start listing, first in key order.
    mutating func nextToList() -> (String, Pages.Continuation)? {
        guard !waiting.isEmpty else { return nil }
        let next = waiting.removeFirst()
        return (next.prefix, next.continuation)
    }

    /// The next segment in key order, forgotten here once handed out.
    mutating func next() -> Segment? {
        guard head < segments.count else { return nil }
        let segment = segments[head]
        segments[head] = .objects([])
        head += 1
        if head > 256 {
            segments.removeFirst(head)
            head = 0
        }
        return segment
    }
}
