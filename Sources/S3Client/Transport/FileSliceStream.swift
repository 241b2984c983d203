import NIOCore
import NIOPosix

/// The bytes of a ``FileSlice`` as an async sequence of chunks, read on NIO's blocking-I/O thread
/// pool. Ends with an error if the file is shorter than the slice (it shrank since planning).
struct FileSliceStream: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    let file: OpenFile
    let slice: FileSlice
    let chunkSize: Int
    let limiter: ByteRateLimiter?
    let observer: (@Sendable (Int) -> Void)?

    struct AsyncIterator: AsyncIteratorProtocol {
        let file: OpenFile
        let end: Int64
        let chunkSize: Int
        let limiter: ByteRateLimiter?
        let observer: (@Sendable (Int) -> Void)?
        var position: Int64
        let allocator = ByteBufferAllocator()

        mutating func next() async throws -> ByteBuffer? {
            guard position < end else { return nil }
            let count = Int(Swift.min(Int64(chunkSize), end - position))
            if let limiter { try await limiter.consume(count) }
            let offset = position
            let file = self.file
            let allocator = self.allocator
            let buffer = try await NIOThreadPool.singleton.runIfActive {
                try file.read(at: offset, count: count, allocator: allocator)
            }
            guard buffer.readableBytes == count else { throw S3ClientError.fileShrank(file.path) }
            position += Int64(count)
            observer?(count)
            return buffer
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(
            file: file, end: slice.offset + slice.length, chunkSize: chunkSize, limiter: limiter, observer: observer,
            position: slice.offset)
    }
}
