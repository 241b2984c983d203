import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import Synchronization

/// Collects a whole response (status, headers, a body of at most `maxBodyBytes`) for a request
/// sent with ``HTTPClient/execute(request:delegate:eventLoop:deadline:logger:)``, and tells
/// `bodyBytesSent` the size of each request body part once the connection has written it.
final class ResponseCollector: HTTPClientResponseDelegate {
    typealias Response = (status: Int, headers: HTTPHeaders, body: ByteBuffer)

    private struct State {
        var head: HTTPResponseHead?
        var body = ByteBuffer()
    }

    private let state = Mutex(State())
    let maxBodyBytes: Int
    let bodyBytesSent: (@Sendable (Int) -> Void)?

    init(maxBodyBytes: Int, bodyBytesSent: (@Sendable (Int) -> Void)?) {
        self.maxBodyBytes = maxBodyBytes
        self.bodyBytesSent = bodyBytesSent
    }

    func didSendRequestPart(task: HTTPClient.Task<Response>, _ part: IOData) {
        bodyBytesSent?(part.readableBytes)
    }

    func didReceiveHead(task: HTTPClient.Task<Response>, _ head: HTTPResponseHead) -> EventLoopFuture<Void> {
        state.withLock { $0.head = head }
        return task.eventLoop.makeSucceededVoidFuture()
    }

    func didReceiveBodyPart(task: HTTPClient.Task<Response>, _ buffer: ByteBuffer) -> EventLoopFuture<Void> {
        let fits: Bool = state.withLock { state in
            guard state.body.readableBytes + buffer.readableBytes <= maxBodyBytes else { return false }
            var buffer = buffer
            state.body.writeBuffer(&buffer)
            return true
        }
        guard fits else { return task.eventLoop.makeFailedFuture(NIOTooManyBytesError(maxBytes: maxBodyBytes)) }
        return task.eventLoop.makeSucceededVoidFuture()
    }

    func didFinishRequest(task: HTTPClient.Task<Response>) throws -> Response {
        try state.withLock { state in
            guard let head = state.head else { throw HTTPClientError.remoteConnectionClosed }
            return (Int(head.status.code), head.headers, state.body)
        }
    }
}
