import AsyncHTTPClient
import NIOCore
import NIOHTTP1

/// A short-lived HTTP client for the endpoints credentials come from (STS, the container agent,
/// instance metadata): its own timeouts, no redirects, no retried connection attempts, shut down
/// when the scope ends.
///
/// These calls are rare (once per credential refresh), so a pool per call costs nothing that
/// matters and keeps the S3 transport's settings out of it.
struct CredentialHTTPClient: Sendable {
    struct Response: Sendable {
        let status: Int
        let headers: HTTPHeaders
        let body: String
    }

    let http: HTTPClient

    /// Runs `body` with a client that gives up connecting after `connectTimeout` and waiting for
    /// bytes after `readTimeout`.
    static func with<Result: Sendable>(
        connectTimeout: Duration, readTimeout: Duration, _ body: (CredentialHTTPClient) async throws -> Result
    ) async throws -> Result {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(
                connect: .nanoseconds(connectTimeout.nanoseconds), read: .nanoseconds(readTimeout.nanoseconds)),
            decompression: .disabled)
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.httpVersion = .http1Only
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            let result = try await body(CredentialHTTPClient(http: http))
            try? await http.shutdown()
            return result
        } catch {
            try? await http.shutdown()
            throw error
        }
    }

    /// Sends one request and reads the whole response (at most `maxBytes`).
    /// - Throws: ``S3ClientError`` of kind `connection`, `timeout` or `tls`, naming `url`.
    func send(
        _ method: HTTPMethod, _ url: String, headers: [(String, String)] = [], body: String? = nil,
        deadline: Duration = .seconds(30), maxBytes: Int = 1 << 20
    ) async throws -> Response {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        do {
            let response = try await http.execute(request, timeout: .nanoseconds(deadline.nanoseconds))
            let bytes = try await response.body.collect(upTo: maxBytes)
            return Response(status: Int(response.status.code), headers: response.headers, body: String(buffer: bytes))
        } catch {
            throw Self.describe(error, url: url)
        }
    }

    static func describe(_ error: any Error, url: String) -> any Error {
        if error is CancellationError { return error }
        if let http = error as? HTTPClientError {
            switch http {
            case .cancelled:
                return CancellationError()
            case .connectTimeout:
                return S3ClientError(.timeout, "timed out connecting to \(url)")
            case .readTimeout:
                return S3ClientError(.timeout, "\(url) sent nothing within the read timeout")
            case .deadlineExceeded:
                return S3ClientError(.timeout, "the request to \(url) took too long")
            case .remoteConnectionClosed:
                return S3ClientError(.connection, "\(url) closed the connection")
            default:
                break
            }
        }
        if error is NIOTooManyBytesError {
            return S3ClientError(.invalidResponse, "the response from \(url) is too large")
        }
        let text = "\(error)"
        if text.contains("SSL") || text.lowercased().contains("certificate") || text.contains("TLS") {
            return S3ClientError(.tls, "TLS with \(url) failed: \(text)")
        }
        if text.contains("connectTimeout") || text.contains("ETIMEDOUT") {
            return S3ClientError(.timeout, "timed out connecting to \(url)")
        }
        return S3ClientError(.connection, "cannot connect to \(url): \(text)")
    }
}

extension CredentialHTTPClient {
    /// What one attempt of a credential request came to: the answer, or a failure worth trying
    /// again (a 5xx, throttling).
    enum Attempt<Value> {
        case done(Value)
        case retry(any Error)
    }

    /// Makes up to three attempts (100 and 400 ms apart) of a request to a credential service:
    /// again after a failure `attempt` calls retryable and after a connection that failed or timed
    /// out (reported as a credentials error prefixed with `what`); any other error ends it.
    static func retrying<Value>(what: String, _ attempt: () async throws -> Attempt<Value>) async throws -> Value {
        var attempts = 0
        while true {
            attempts += 1
            try Task.checkCancellation()
            let retryable: any Error
            do {
                switch try await attempt() {
                case .done(let value): return value
                case .retry(let error): retryable = error
                }
            } catch let error as S3ClientError where error.kind == .connection || error.kind == .timeout {
                retryable = S3ClientError(.credentials, "\(what): \(error.message)")
            }
            guard attempts < 3 else { throw retryable }
            try await Task.sleep(for: .milliseconds(attempts == 1 ? 100 : 400))
        }
    }
}
