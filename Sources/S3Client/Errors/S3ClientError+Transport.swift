import AsyncHTTPClient
import NIOCore
import NIOPosix
import NIOSSL

#if canImport(Glibc)
    import Glibc
#endif

extension S3ClientError {
    /// Maps what the HTTP stack threw to an ``S3ClientError`` whose message names the endpoint,
    /// by the error's type and code, never its text. An error of a type not known here counts as
    /// a broken connection, which is retried.
    static func transport(_ error: any Error, operation: String, endpoint: S3Endpoint) -> S3ClientError {
        switch error {
        case let error as S3ClientError:
            return error.with(operation: operation)
        case is CancellationError:
            return S3ClientError(.cancelled, "cancelled", operation: operation)
        case let http as HTTPClientError:
            return httpClient(http, operation: operation, endpoint: endpoint)
        case let tls as NIOSSLError:
            return S3ClientError(.tls, "TLS with \(endpoint) failed: \(tls). \(privateCAAdvice)", operation: operation)
        case let tls as NIOSSLExtraError:
            return S3ClientError(.tls, "TLS with \(endpoint) failed: \(tls). \(privateCAAdvice)", operation: operation)
        case let tls as BoringSSLError:
            return S3ClientError(
                .tls, "TLS with \(endpoint) failed (certificate not trusted?): \(tls). \(privateCAAdvice)",
                operation: operation)
        case let connection as NIOConnectionError:
            if connection.dnsAError != nil || connection.dnsAAAAError != nil {
                return S3ClientError(
                    .connection, "cannot resolve the host of \(endpoint): \(connection)", operation: operation)
            }
            if let refused = connection.connectionErrors.lazy.compactMap({ $0.error as? IOError }).first,
                refused.errnoCode == ECONNREFUSED
            {
                return connectionRefused(endpoint: endpoint, operation: operation)
            }
            return S3ClientError(.connection, "cannot connect to \(endpoint): \(connection)", operation: operation)
        case let io as IOError where io.errnoCode == ECONNREFUSED:
            return connectionRefused(endpoint: endpoint, operation: operation)
        case is IOError, is ChannelError:
            return S3ClientError(.connection, "connection to \(endpoint) failed: \(error)", operation: operation)
        case is NIOTooManyBytesError:
            return S3ClientError(.invalidResponse, "the response from \(endpoint) is too large", operation: operation)
        default:
            return S3ClientError(.connection, "request to \(endpoint) failed: \(error)", operation: operation)
        }
    }

    static let privateCAAdvice = "If the server uses a private CA, its certificate must be trusted"

    static func connectionRefused(endpoint: S3Endpoint, operation: String) -> S3ClientError {
        S3ClientError(
            .connection, "cannot connect to \(endpoint): connection refused (is the server running?)",
            operation: operation)
    }

    private static func httpClient(_ http: HTTPClientError, operation: String, endpoint: S3Endpoint) -> S3ClientError {
        switch http {
        case .cancelled:
            return S3ClientError(.cancelled, "cancelled", operation: operation)
        case .connectTimeout:
            return S3ClientError(.timeout, "timed out connecting to \(endpoint)", operation: operation)
        case .tlsHandshakeTimeout:
            return S3ClientError(.timeout, "the TLS handshake with \(endpoint) timed out", operation: operation)
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
        case .invalidURL, .emptyHost, .emptyScheme:
            return S3ClientError(.configuration, "the endpoint \(endpoint) is not a usable URL", operation: operation)
        default:
            return S3ClientError(.connection, "request to \(endpoint) failed: \(http)", operation: operation)
        }
    }
}
