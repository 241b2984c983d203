import NIOCore
import NIOPosix

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A file descriptor opened for reading, closed when the last reference goes away, so a body
/// stream that outlives its request never reads from a reused descriptor.
package final class OpenFile: Sendable {
    package let descriptor: Int32
    package let path: String

    package init(path: String) throws(S3ClientError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            throw S3ClientError(.localFile, "cannot open \(path): \(String(cString: strerror(code)))")
        }
        self.descriptor = fd
        self.path = path
    }

    deinit { close(descriptor) }

    /// Reads up to `count` bytes at `offset` into a new buffer; fewer only at end of file.
    package func read(at offset: Int64, count: Int, allocator: ByteBufferAllocator) throws(S3ClientError) -> ByteBuffer
    {
        var buffer = allocator.buffer(capacity: count)
        var total = 0
        var failure: Int32 = 0
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { pointer in
            while total < count {
                let result = pread(
                    descriptor, pointer.baseAddress! + total, count - total, off_t(offset) + off_t(total))
                if result < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return total
                }
                if result == 0 { break }
                total += result
            }
            return total
        }
        if failure != 0 {
            throw S3ClientError(.localFile, "cannot read \(path): \(String(cString: strerror(failure)))")
        }
        return buffer
    }

    /// Calls `body` with consecutive chunks of the range, reusing one buffer; returns the bytes read.
    package func forEachChunk(
        in range: Range<Int64>, chunkSize: Int, _ body: (UnsafeRawBufferPointer) throws -> Void
    ) throws -> Int64 {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 64)
        defer { buffer.deallocate() }
        var position = range.lowerBound
        while position < range.upperBound {
            let want = Int(min(Int64(chunkSize), range.upperBound - position))
            let result = pread(descriptor, buffer.baseAddress!, want, off_t(position))
            if result < 0 {
                if errno == EINTR { continue }
                throw S3ClientError(.localFile, "cannot read \(path): \(String(cString: strerror(errno)))")
            }
            if result == 0 { break }
            try body(UnsafeRawBufferPointer(rebasing: buffer[0..<result]))
            position += Int64(result)
        }
        return position - range.lowerBound
    }
}
