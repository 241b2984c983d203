import S3Client

/// A bucket listing already in memory, as the planner consumes it: the merge is measured, not
/// the network.
struct ListedObjects: AsyncSequence, Sendable {
    typealias Element = ObjectSummary
    typealias Failure = any Error

    let objects: [ObjectSummary]

    struct AsyncIterator: AsyncIteratorProtocol {
        typealias Failure = any Error
        var base: IndexingIterator<[ObjectSummary]>

        mutating func next() async throws -> ObjectSummary? { base.next() }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: objects.makeIterator()) }
}
