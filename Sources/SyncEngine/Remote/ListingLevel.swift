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
    /// Directories listing before a page named them, by prefix.
    private var early: [String: (stream: Pages, continuation: Pages.Continuation)] = [:]

    /// Makes the stream of a directory that starts listing before a page names it; returns
    /// where its pages go.
    mutating func startEarly(_ prefix: String) -> Pages.Continuation {
        let (stream, continuation) = Pages.makeStream(bufferingPolicy: .bufferingOldest(2))
        early[prefix] = (stream, continuation)
        return continuation
    }

    /// Ends the early listings no page named: their tasks stop at their next page.
    mutating func abandonEarly() {
        for (_, listing) in early { listing.continuation.finish() }
        early = [:]
    }

    /// Adds a page of the level: its objects and directories merged in key order. Returns how
    /// many of its directories were already listing (started early).
    @discardableResult
    mutating func add(_ page: ListObjectsPage) -> Int {
        var adopted = 0
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
            if let listing = early.removeValue(forKey: prefix) {
                segments.append(.directory(listing.stream))
                adopted += 1
                continue
            }
            let (stream, continuation) = Pages.makeStream(bufferingPolicy: .bufferingOldest(2))
            segments.append(.directory(stream))
            waiting.append((prefix, continuation))
        }
        batch.append(contentsOf: objects)
        if !batch.isEmpty { segments.append(.objects(batch)) }
        return adopted
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
