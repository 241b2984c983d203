import Crypto
import NIOCore
import S3Client
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Writes a GetObject body (the whole object or one range) into a file by position, hashing it as
/// it goes, and checks it when it ends: its length; the object's MD5 ETag and the
/// `x-amz-checksum-*` the store sent, when the body is the whole object. A body that fails is
/// refused as an invalid response, so the client fetches it again.
final class BodyWriter: ObjectBodyConsumer {
    struct State {
        var written: Int64 = 0
        var md5 = Insecure.MD5()
        var checksum: ChecksumHasher?
        var expectedChecksum: Checksum?
        var head: ObjectHead?
        /// The `errno` of a write that failed.
        var writeError: Int32?
        /// Why the last body failed verification.
        var verificationFailure: String?
    }

    let descriptor: Int32
    let offset: Int64
    let length: Int64
    /// The MD5 the whole body must have (a single-part ETag), when known.
    let expectedMD5: String?
    let hashes: Bool
    let progress: TransferProgress
    private let state = Mutex(State())

    /// - Parameter hashes: whether to compute the body's MD5 (for a range whose digest is recorded).
    init(
        descriptor: Int32, offset: Int64, length: Int64, expectedMD5: String?, hashes: Bool,
        progress: TransferProgress
    ) {
        self.descriptor = descriptor
        self.offset = offset
        self.length = length
        self.expectedMD5 = expectedMD5
        self.hashes = hashes || expectedMD5 != nil
        self.progress = progress
    }

    /// The head of the answer written, and the hex MD5 of its body (empty when not hashed).
    var result: (head: ObjectHead?, md5: String) {
        state.withLock { state in (state.head, hashes ? Hex.encode(state.md5.finalize()) : "") }
    }

    var writeError: Int32? { state.withLock { $0.writeError } }
    var verificationFailure: String? { state.withLock { $0.verificationFailure } }

    func begin(_ head: ObjectHead) throws {
        state.withLock { state in
            state = State()
            state.head = head
            if let checksum = head.checksum, head.bodyOffset == 0, head.bodyLength == head.objectSize {
                state.expectedChecksum = checksum
                state.checksum = ChecksumHasher(checksum.algorithm)
            }
        }
    }

    func consume(_ bytes: ByteBuffer) throws {
        progress.addReceived(bytes.readableBytes)
        try state.withLock { state in
            guard state.written + Int64(bytes.readableBytes) <= length else {
                throw S3ClientError(.invalidResponse, "the body is longer than the \(length) bytes announced")
            }
            try bytes.withUnsafeReadableBytes { pointer in
                if hashes { state.md5.update(bufferPointer: pointer) }
                state.checksum?.update(pointer)
                var done = 0
                while done < pointer.count {
                    let result = pwrite(
                        descriptor, pointer.baseAddress! + done, pointer.count - done,
                        off_t(offset + state.written) + off_t(done))
                    if result < 0 {
                        if errno == EINTR { continue }
                        state.writeError = errno
                        throw S3ClientError(.localFile, "cannot write: \(String(cString: strerror(errno)))")
                    }
                    done += result
                }
            }
            state.written += Int64(bytes.readableBytes)
        }
    }

    func finish() throws {
        try state.withLock { state in
            guard state.written == length else {
                throw S3ClientError(.invalidResponse, "the body ended after \(state.written) of \(length) bytes")
            }
            var failure: String?
            if let expectedMD5 {
                let md5 = Hex.encode(state.md5.finalize())
                if md5 != expectedMD5 { failure = "its MD5 is \(md5), not the ETag \(expectedMD5)" }
            }
            if let expected = state.expectedChecksum, let computed = state.checksum?.finalize(), computed != expected {
                failure =
                    "its \(expected.algorithm.rawValue) is \(computed.base64), not the \(expected.base64) the store sent"
            }
            if let failure {
                state.verificationFailure = failure
                throw S3ClientError(.invalidResponse, "the body failed verification: \(failure)")
            }
        }
    }
}
