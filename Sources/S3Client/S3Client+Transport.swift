import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

extension S3Client {
    /// Sends a request, retrying per the configuration, and returns the 2xx response.
    func perform(_ request: S3Request) async throws -> S3Response {
        var outcomeUnknown = false
        return try await perform(request, outcomeUnknown: &outcomeUnknown)
    }

    /// Sends a request, retrying per the configuration, and returns the 2xx response.
    /// - Parameter outcomeUnknown: set when an attempt failed in a way that leaves open whether the
    ///   server carried it out (the connection broke or timed out, a 5xx): a later attempt's answer
    ///   may then describe what that attempt did, e.g. `NoSuchUpload` after a completion.
    func perform(_ request: S3Request, outcomeUnknown: inout Bool) async throws -> S3Response {
        let coordinator = shared.retry
        let maxAttempts = configuration.retry.maxAttempts
        var attempt = 0
        var lastRetryCost: Int?
        var followedRedirect = false
        var correctedSkew = false
        var refreshedCredentials = false
        while true {
            try Task.checkCancellation()
            try await coordinator.waitForSendToken()
            coordinator.recordAttempt(isRetry: attempt > 0)
            let sentAt = coordinator.currentTime
            do {
                let response = try await sendOnce(request)
                coordinator.recordResponse(throttled: false, sentAt: sentAt)
                coordinator.recordSuccess(lastRetryCost: lastRetryCost)
                return response
            } catch {
                if Task.isCancelled { throw S3ClientError(.cancelled, "cancelled", operation: request.operation) }
                let failure = FailureClass.classify(error)
                if error is S3ServiceError {
                    coordinator.recordResponse(throttled: failure == .throttling, sentAt: sentAt)
                }
                switch failure {
                case .wrongRegion(let region) where !followedRedirect && request.bucket != nil:
                    followedRedirect = true
                    shared.bucketRegions.withLock { $0[request.bucket!] = region }
                    logger.info(
                        "bucket is in another region; re-signing",
                        metadata: ["bucket": "\(request.bucket!)", "region": "\(region)"])
                    continue
                case .clockSkew where !correctedSkew:
                    correctedSkew = true
                    if let service = error as? S3ServiceError, let serverDate = service.serverDate,
                        let server = HTTPDate.parse(serverDate)
                    {
                        let skew = server - Date().timeIntervalSince1970
                        shared.clockSkewSeconds.withLock { $0 = skew }
                        logger.warning("clock skew corrected", metadata: ["skew_seconds": "\(Int(skew))"])
                        continue
                    }
                    throw error
                case .expiredToken where !refreshedCredentials:
                    refreshedCredentials = true
                    shared.credentials.invalidate()
                    continue
                case .throttling, .transient, .connection:
                    if failure != .throttling { outcomeUnknown = true }
                    attempt += 1
                    guard attempt < maxAttempts else {
                        throw Self.exhausted(error, attempts: attempt, operation: request.operation)
                    }
                    guard
                        let (delay, cost) = coordinator.retryDelay(
                            retry: attempt - 1, failure: failure, serverHint: Self.retryAfter(error))
                    else {
                        throw Self.exhausted(error, attempts: attempt, operation: request.operation, quotaEmpty: true)
                    }
                    lastRetryCost = cost
                    logger.debug(
                        "retrying",
                        metadata: [
                            "operation": "\(request.operation)", "attempt": "\(attempt + 1)",
                            "delay_ms": "\(Int(delay.seconds * 1000))", "error": "\(error)",
                        ])
                    try await Task.sleep(for: delay)
                default:
                    throw error
                }
            }
        }
    }

    static func exhausted(_ error: any Error, attempts: Int, operation: String, quotaEmpty: Bool = false)
        -> any Error
    {
        let why =
            quotaEmpty
            ? "the retry quota is exhausted (too many failures across requests)" : "gave up after \(attempts) attempts"
        if let client = error as? S3ClientError {
            return S3ClientError(client.kind, "\(client.message) (\(why))", operation: client.operation ?? operation)
        }
        if let service = error as? S3ServiceError {
            return S3ServiceError(
                code: service.code, message: service.message + " (\(why))", statusCode: service.statusCode,
                requestID: service.requestID, resource: service.resource, operation: service.operation,
                bucketRegion: service.bucketRegion, serverDate: service.serverDate)
        }
        return error
    }

    static func retryAfter(_ error: any Error) -> Duration? {
        guard let service = error as? S3ServiceError, let hint = service.retryAfterMilliseconds else { return nil }
        return .milliseconds(hint)
    }

    /// One attempt: resolve the URL, sign, send, read the whole response.
    func sendOnce(_ request: S3Request) async throws -> S3Response {
        let credentials: AWSCredentials
        do {
            credentials = try await shared.credentials.credentials()
        } catch let error as S3ClientError {
            throw error
        } catch {
            throw S3ClientError(.credentials, "\(error)")
        }
        let endpoint = configuration.endpoint
        let region = region(for: request.bucket)
        let (host, path) = configuration.addressingStyle.resolve(
            endpoint: endpoint, bucket: request.bucket, key: request.key)
        let authority = endpoint.authority(host: host)
        var signable = SignableRequest(
            method: request.method.rawValue, encodedPath: path, query: request.query,
            headers: [("host", authority)] + request.headers, payloadHash: request.payloadHash)
        let signer = SigV4Signer(credentials: credentials, region: region)
        let skew = shared.clockSkewSeconds.withLock { $0 }
        let date = AmzDate(secondsSince1970: Int((Date().timeIntervalSince1970 + skew).rounded(.down)))
        signer.sign(&signable, date: date, key: signingKey(signer, date: date))

        let query = S3PercentEncoding.canonicalQuery(request.query)
        let url = "\(endpoint.scheme)://\(authority)\(path)\(query.isEmpty ? "" : "?" + query)"
        var headers = HTTPHeaders()
        headers.reserveCapacity(signable.headers.count + 1)
        for (name, value) in signable.headers {
            headers.add(name: name, value: value)
        }
        headers.add(name: "user-agent", value: configuration.userAgent)

        let status: Int
        let responseHeaders: HTTPHeaders
        let body: ByteBuffer
        do {
            if case .file(let slice) = request.body, endpoint.scheme == "http", configuration.bandwidthLimiter == nil {
                (status, responseHeaders, body) = try await sendWithSendfile(
                    url: url, method: request.method, headers: headers, slice: slice,
                    maxResponseBytes: request.maxResponseBytes)
            } else {
                (status, responseHeaders, body) = try await sendStreaming(
                    url: url, method: request.method, headers: headers, body: request.body,
                    maxResponseBytes: request.maxResponseBytes)
            }
        } catch {
            throw Self.clientError(error, operation: request.operation, endpoint: endpoint)
        }
        if (200..<300).contains(status) {
            if request.errorMayArriveWithOK,
                let error = Self.embeddedError(body, headers: responseHeaders, operation: request.operation)
            {
                throw error
            }
            return S3Response(status: status, headers: responseHeaders, body: body)
        }
        throw S3ServiceError(
            status: status, headers: responseHeaders, body: body, operation: request.operation,
            bucket: request.bucket, key: request.key)
    }

    /// Sends a request with AsyncHTTPClient's async API, a file body read in chunks on NIO's
    /// blocking-I/O pool (TLS, or a bandwidth limit), and collects the response.
    func sendStreaming(
        url: String, method: HTTPMethod, headers: HTTPHeaders, body: S3RequestBody, maxResponseBytes: Int
    ) async throws -> (status: Int, headers: HTTPHeaders, body: ByteBuffer) {
        var httpRequest = HTTPClientRequest(url: url)
        httpRequest.method = method
        httpRequest.headers = headers
        switch body {
        case .empty:
            if method == .PUT || method == .POST { httpRequest.body = .bytes(ByteBuffer()) }
        case .bytes(let buffer):
            if let limiter = configuration.bandwidthLimiter { try await limiter.consume(buffer.readableBytes) }
            httpRequest.body = .bytes(buffer)
            configuration.bodyBytesObserver?(buffer.readableBytes)
        case .file(let slice):
            let file = try OpenFile(path: slice.path)
            httpRequest.body = .stream(
                FileSliceStream(
                    file: file, slice: slice, chunkSize: configuration.bodyChunkSize,
                    limiter: configuration.bandwidthLimiter, observer: configuration.bodyBytesObserver),
                length: .known(slice.length))
        }
        let response = try await http.execute(httpRequest, timeout: .hours(24), logger: transportLogger)
        let collected = try await response.body.collect(upTo: maxResponseBytes)
        return (Int(response.status.code), response.headers, collected)
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
        let collector = ResponseCollector(
            maxBodyBytes: maxResponseBytes, bodyBytesSent: configuration.bodyBytesObserver)
        let task = http.execute(
            request: httpRequest, delegate: collector, eventLoop: .indifferent, deadline: .now() + .hours(24),
            logger: transportLogger)
        let watchdog = task.eventLoop.scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(1)) { _ in
            var status = stat()
            if fstat(file.descriptor, &status) == 0, Int64(status.st_size) < end {
                task.fail(reason: S3ClientError.fileShrank(slice.path))
            }
        }
        defer { watchdog.cancel() }
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

    func signingKey(_ signer: SigV4Signer, date: AmzDate) -> SigV4Signer.SigningKey {
        let cacheKey =
            "\(signer.credentials.accessKeyID)/\(signer.credentials.secretAccessKey.hashValue)/\(date.dateStamp)/\(signer.region)"
        if let key = shared.signingKeys.withLock({ $0[cacheKey] }) { return key }
        let key = signer.signingKey(for: date)
        shared.signingKeys.withLock { keys in
            if keys.count > 16 { keys.removeAll() }
            keys[cacheKey] = key
        }
        return key
    }

    /// A 200 response whose body is an `<Error>` document (CompleteMultipartUpload).
    static func embeddedError(_ body: ByteBuffer, headers: HTTPHeaders, operation: String) -> S3ServiceError? {
        guard body.readableBytes > 0 else {
            return S3ServiceError(
                code: "EmptyResponse", message: "the response had no body", statusCode: 200, operation: operation)
        }
        guard let root = try? XMLDocumentParser.parse(body.readableBytesView) else {
            return S3ServiceError(
                code: "InvalidResponse", message: "the response body is not XML", statusCode: 200, operation: operation)
        }
        guard root.name == "Error" else { return nil }
        return S3ServiceError(status: 200, headers: headers, element: root, operation: operation)
    }

    /// Maps transport errors to ``S3ClientError`` with a message that names the endpoint.
    static func clientError(_ error: any Error, operation: String, endpoint: S3Endpoint) -> any Error {
        if let error = error as? S3ClientError { return error.with(operation: operation) }
        if error is CancellationError { return S3ClientError(.cancelled, "cancelled", operation: operation) }
        if let http = error as? HTTPClientError {
            switch http {
            case .cancelled:
                return S3ClientError(.cancelled, "cancelled", operation: operation)
            case .connectTimeout:
                return S3ClientError(.timeout, "timed out connecting to \(endpoint)", operation: operation)
            case .readTimeout:
                return S3ClientError(.timeout, "\(endpoint) sent nothing within the read timeout", operation: operation)
            case .writeTimeout:
                return S3ClientError(
                    .timeout, "could not send to \(endpoint) within the write timeout", operation: operation)
            case .deadlineExceeded:
                return S3ClientError(.timeout, "the request to \(endpoint) took too long", operation: operation)
            case .remoteConnectionClosed:
                return S3ClientError(.connection, "\(endpoint) closed the connection", operation: operation)
            case .bodyLengthMismatch:
                return S3ClientError(
                    .localFile, "the body length did not match: a file changed while uploading", operation: operation)
            default:
                return S3ClientError(.connection, "request to \(endpoint) failed: \(http)", operation: operation)
            }
        }
        if let tls = error as? NIOSSLError {
            return S3ClientError(
                .tls,
                "TLS with \(endpoint) failed: \(tls). If the server uses a private CA, pass its certificate with --ca-bundle or AWS_CA_BUNDLE",
                operation: operation)
        }
        if let tls = error as? BoringSSLError {
            return S3ClientError(
                .tls,
                "TLS with \(endpoint) failed (certificate not trusted?): \(tls). If the server uses a private CA, pass its certificate with --ca-bundle or AWS_CA_BUNDLE",
                operation: operation)
        }
        let text = "\(error)"
        if text.contains("ECONNREFUSED") || text.contains("Connection refused") || text.contains("connectionRefused") {
            return S3ClientError(
                .connection,
                "cannot connect to \(endpoint): connection refused (is the server running? check --endpoint-url)",
                operation: operation)
        }
        if text.lowercased().contains("certificate") || text.contains("SSL") || text.contains("TLS") {
            return S3ClientError(
                .tls, "TLS with \(endpoint) failed: \(text). If the server uses a private CA, pass --ca-bundle",
                operation: operation)
        }
        if error is NIOTooManyBytesError {
            return S3ClientError(.invalidResponse, "the response from \(endpoint) is too large", operation: operation)
        }
        if error is ChannelError || error is IOError || error is NIOConnectionError {
            return S3ClientError(.connection, "connection to \(endpoint) failed: \(text)", operation: operation)
        }
        return S3ClientError(.connection, "request to \(endpoint) failed: \(text)", operation: operation)
    }
}
