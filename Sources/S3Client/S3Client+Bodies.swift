import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

extension S3Client {
    /// Sends a request with AsyncHTTPClient's async API (no body, or bytes in memory) and collects
    /// the response, or streams a successful one into `consumer`.
    func sendStreaming(
        url: String, method: HTTPMethod, headers: HTTPHeaders, body: BodyPath, maxResponseBytes: Int,
        consumer: ObjectBodyReader? = nil
    ) async throws -> (status: Int, headers: HTTPHeaders, body: ByteBuffer) {
        var httpRequest = HTTPClientRequest(url: url)
        httpRequest.method = method
        httpRequest.headers = headers
        switch body {
        case .none, .chunks, .sendfile:
            break
        case .empty:
            httpRequest.body = .bytes(ByteBuffer())
        case .bytes(let buffer):
            if let limiter = configuration.bandwidthLimiter { try await limiter.consume(buffer.readableBytes) }
            httpRequest.body = .bytes(buffer)
            configuration.bodyBytesObserver?(buffer.readableBytes)
        }
        let response = try await http.execute(httpRequest, timeout: .hours(24), logger: transportLogger)
        let status = Int(response.status.code)
        if let consumer, (200..<300).contains(status) {
            try consumer.begin(status: status, headers: response.headers)
            for try await bytes in response.body {
                try await consumer.consume(bytes)
            }
            try consumer.finish()
            return (status, response.headers, ByteBuffer())
        }
        let collected = try await response.body.collect(upTo: maxResponseBytes)
        return (Int(response.status.code), response.headers, collected)
    }

    /// Sends a request whose body is a file slice read in chunks (TLS, which cannot take a file
    /// region, or a bandwidth limit, which paces chunks). Each chunk takes credit from the
    /// process's ``S3ClientConfiguration/bodyMemory`` before it is read and gives it back once
    /// the connection has written it, and one request has at most two chunks out (one written,
    /// one read ahead): the memory bodies hold is bounded by bytes, however many requests are
    /// in flight.
    func sendChunks(
        url: String, method: HTTPMethod, headers: HTTPHeaders, slice: FileSlice, maxResponseBytes: Int
    ) async throws -> (status: Int, headers: HTTPHeaders, body: ByteBuffer) {
        let file = try OpenFile(path: slice.path)
        let chunkSize = configuration.bodyChunkSize
        let memory = configuration.bodyMemory
        let limiter = configuration.bandwidthLimiter
        let eventLoop = http.eventLoopGroup.next()
        let body = HTTPClient.Body.stream(contentLength: slice.length) { writer in
            let promise = eventLoop.makePromise(of: Void.self)
            promise.completeWithTask {
                try await Self.writeChunks(
                    of: file, slice: slice, chunkSize: chunkSize, memory: memory, limiter: limiter, to: writer)
            }
            return promise.futureResult
        }
        let httpRequest = try HTTPClient.Request(url: url, method: method, headers: headers, body: body)
        return try await perform(httpRequest, maxResponseBytes: maxResponseBytes, watchdog: nil)
    }

    /// Reads `slice` chunk by chunk and writes each to the request body as credit allows.
    static func writeChunks(
        of file: OpenFile, slice: FileSlice, chunkSize: Int, memory: CreditPool, limiter: ByteRateLimiter?,
        to writer: HTTPClient.Body.StreamWriter
    ) async throws {
        let allocator = ByteBufferAllocator()
        let end = slice.offset + slice.length
        var position = slice.offset
        var previous: EventLoopFuture<Void>?
        while position < end {
            let count = Int(min(Int64(chunkSize), end - position))
            if let limiter { try await limiter.consume(count) }
            let credit = try await memory.take(count)
            let offset = position
            let buffer: ByteBuffer
            do {
                buffer = try await NIOThreadPool.singleton.runIfActive {
                    try file.read(at: offset, count: count, allocator: allocator)
                }
            } catch {
                memory.giveBack(credit)
                throw error
            }
            guard buffer.readableBytes == count else {
                memory.giveBack(credit)
                throw S3ClientError.fileShrank(file.path)
            }
            let written = writer.write(.byteBuffer(buffer))
            written.whenComplete { _ in memory.giveBack(credit) }
            position += Int64(count)
            try await previous?.get()
            previous = written
        }
        try await previous?.get()
    }

    /// Sends a request whose body is a file slice on a plain-HTTP connection with `sendfile(2)`:
    /// the bytes go from the page cache to the socket without being copied through this process
    /// or handed between threads. A file that shrinks under the upload would leave `sendfile`
    /// with nothing to send, so a watchdog fails the request when that happens.
    func sendWithSendfile(
        url: String, method: HTTPMethod, headers: HTTPHeaders, slice: FileSlice, maxResponseBytes: Int
    ) async throws -> (status: Int, headers: HTTPHeaders, body: ByteBuffer) {
        let file = try OpenFile(path: slice.path)
        let descriptor = dup(file.descriptor)
        guard descriptor >= 0 else {
            throw S3ClientError(.localFile, "cannot open \(slice.path): \(String(cString: strerror(errno)))")
        }
        let handle = NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: descriptor)
        do {
            let response = try await sendRegions(
                of: handle, file: file, slice: slice, url: url, method: method, headers: headers,
                maxResponseBytes: maxResponseBytes)
            await Self.close(handle)
            return response
        } catch {
            await Self.close(handle)
            throw error
        }
    }

    private func sendRegions(
        of handle: NIOFileHandle, file: OpenFile, slice: FileSlice, url: String, method: HTTPMethod,
        headers: HTTPHeaders, maxResponseBytes: Int
    ) async throws -> (status: Int, headers: HTTPHeaders, body: ByteBuffer) {
        let end = slice.offset + slice.length
        let regionBytes = Int64(Self.sendfileRegionBytes)
        let body = HTTPClient.Body.stream(contentLength: slice.length) { writer in
            @Sendable func write(from offset: Int64) -> EventLoopFuture<Void> {
                let upper = min(end, offset + regionBytes)
                let region = FileRegion(fileHandle: handle, readerIndex: Int(offset), endIndex: Int(upper))
                let written = writer.write(.fileRegion(region))
                return upper >= end ? written : written.flatMap { write(from: upper) }
            }
            return write(from: slice.offset)
        }
        let httpRequest = try HTTPClient.Request(url: url, method: method, headers: headers, body: body)
        // A file that shrinks under the upload would leave `sendfile` with nothing to send.
        return try await perform(httpRequest, maxResponseBytes: maxResponseBytes) {
            var status = stat()
            guard fstat(file.descriptor, &status) == 0, Int64(status.st_size) < end else { return nil }
            return S3ClientError.fileShrank(slice.path)
        }
    }

    /// Executes a request whose body the delegate API sends, collecting the response; fails it
    /// when `watchdog`, asked every second, returns an error.
    private func perform(
        _ httpRequest: HTTPClient.Request, maxResponseBytes: Int, watchdog: (@Sendable () -> S3ClientError?)?
    ) async throws -> (status: Int, headers: HTTPHeaders, body: ByteBuffer) {
        let collector = ResponseCollector(
            maxBodyBytes: maxResponseBytes, bodyBytesSent: configuration.bodyBytesObserver)
        let task = http.execute(
            request: httpRequest, delegate: collector, eventLoop: .indifferent, deadline: .now() + .hours(24),
            logger: transportLogger)
        let watch = watchdog.map { check in
            task.eventLoop.scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(1)) { _ in
                if let error = check() { task.fail(reason: error) }
            }
        }
        defer { watch?.cancel() }
        return try await withTaskCancellationHandler {
            try await task.futureResult.get()
        } onCancel: {
            task.cancel()
        }
    }

    /// Closes a handle an event loop may still be inside a `sendfile` on (after a failed request
    /// NIO discards the rest of the body); NIO refuses that with `EBUSY` for the moment it lasts.
    static func close(_ handle: NIOFileHandle) async {
        while true {
            do {
                try handle.close()
                return
            } catch let error as IOError where error.errnoCode == EBUSY {
                await Task.yield()
            } catch {
                return
            }
        }
    }

    /// How much of a file one `sendfile` write covers; progress is reported per region.
    static let sendfileRegionBytes = 1 << 20

    /// The logger for AsyncHTTPClient: at debug level at most, because at trace it prints whole
    /// message heads, and a head can carry a credential (a server may echo
    /// `x-amz-security-token` back, a redirect a presigned URL).
    var transportLogger: Logger {
        var transport = logger
        if transport.logLevel < .debug { transport.logLevel = .debug }
        return transport
    }
}
