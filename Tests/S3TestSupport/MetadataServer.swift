import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A small HTTP/1.1 server on 127.0.0.1 for tests of the credential endpoints (instance metadata,
/// the container agent): every request is recorded and answered by a handler.
///
/// ```swift
/// let imds = FakeInstanceMetadataService()
/// try await MetadataServer.with(imds.handler) { server in
///     // point AWS_EC2_METADATA_SERVICE_ENDPOINT at server.baseURL
/// }
/// ```
public struct MetadataServer: StoppableService {
    public struct Request: Sendable {
        public let method: String
        /// The request target, e.g. `/latest/api/token`.
        public let path: String
        public let headers: [(name: String, value: String)]
        public let body: String

        /// A header's value, case-insensitive.
        public func header(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }
    }

    public struct Response: Sendable {
        public var status: Int
        public var headers: [(String, String)]
        public var body: String
        /// Wait this long before answering (to test read timeouts).
        public var delay: Duration

        public init(status: Int = 200, headers: [(String, String)] = [], body: String = "", delay: Duration = .zero) {
            self.status = status
            self.headers = headers
            self.body = body
            self.delay = delay
        }

        public static func text(_ body: String, status: Int = 200) -> Response {
            Response(status: status, headers: [("content-type", "text/plain")], body: body)
        }

        public static func json(_ body: String, status: Int = 200) -> Response {
            Response(status: status, headers: [("content-type", "application/json")], body: body)
        }
    }

    public typealias Handler = @Sendable (Request) -> Response

    final class Responder: Sendable {
        let handler: Handler
        let log = Mutex<[Request]>([])

        init(handler: @escaping Handler) { self.handler = handler }

        func respond(_ request: Request) -> Response {
            log.withLock { $0.append(request) }
            return handler(request)
        }
    }

    public let port: Int
    let channel: any Channel
    let responder: Responder

    /// `http://127.0.0.1:PORT`.
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Every request so far, in order.
    public var requests: [Request] { responder.log.withLock { $0 } }

    /// How many requests had this method (any when nil) and path.
    public func count(_ method: String? = nil, path: String) -> Int {
        requests.filter { ($0.method == method || method == nil) && $0.path == path }.count
    }

    /// Starts a server, runs `body`, stops the server.
    public static func with<Result: Sendable>(
        _ handler: @escaping Handler, _ body: (MetadataServer) async throws -> Result
    ) async throws -> Result {
        let server = try await start(handler)
        return try await server.serving(body)
    }

    public static func start(_ handler: @escaping Handler) async throws -> MetadataServer {
        let responder = Responder(handler: handler)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(MetadataHTTPHandler(responder: responder))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        guard let port = channel.localAddress?.port else {
            try? await channel.close()
            throw TestSupportError("the metadata server has no port")
        }
        return MetadataServer(port: port, channel: channel, responder: responder)
    }

    public func stop() async {
        try? await channel.close()
    }
}

/// Reads one request at a time and writes the responder's answer.
final class MetadataHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let responder: MetadataServer.Responder
    var head: HTTPRequestHead?
    var body = ""

    init(responder: MetadataServer.Responder) { self.responder = responder }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body = ""
        case .body(var buffer):
            body += buffer.readString(length: buffer.readableBytes) ?? ""
        case .end:
            guard let head else { return }
            self.head = nil
            let request = MetadataServer.Request(
                method: head.method.rawValue, path: head.uri, headers: head.headers.map { ($0.name, $0.value) },
                body: body)
            let response = responder.respond(request)
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            let keepAlive = head.isKeepAlive
            let version = head.version
            if response.delay > .zero {
                context.eventLoop.scheduleTask(in: .nanoseconds(Self.nanoseconds(response.delay))) {
                    Self.write(response, version: version, keepAlive: keepAlive, context: bound.value)
                }
            } else {
                Self.write(response, version: version, keepAlive: keepAlive, context: context)
            }
        }
    }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    static func write(
        _ response: MetadataServer.Response, version: HTTPVersion, keepAlive: Bool, context: ChannelHandlerContext
    ) {
        guard context.channel.isActive else { return }
        var headers = HTTPHeaders(response.headers)
        headers.replaceOrAdd(name: "content-length", value: String(response.body.utf8.count))
        if !keepAlive { headers.replaceOrAdd(name: "connection", value: "close") }
        let head = HTTPResponseHead(
            version: version, status: HTTPResponseStatus(statusCode: response.status), headers: headers)
        context.write(NIOAny(HTTPServerResponsePart.head(head)), promise: nil)
        context.write(NIOAny(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(string: response.body)))), promise: nil)
        let promise = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil)), promise: promise)
        if !keepAlive {
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            promise.futureResult.whenComplete { _ in bound.value.close(promise: nil) }
        }
    }
}
