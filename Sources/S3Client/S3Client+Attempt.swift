import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

extension S3Client {
    /// One attempt: sign, send the body the way ``BodyPath`` chose, read the whole response.
    func sendOnce(_ request: S3Request) async throws -> S3Response {
        let (url, headers) = try await signedHead(request)
        let path = BodyPath(
            body: request.body, method: request.method, scheme: configuration.endpoint.scheme,
            paced: configuration.bandwidthLimiter != nil)
        let status: Int
        let responseHeaders: HTTPHeaders
        let body: ByteBuffer
        do {
            switch path {
            case .sendfile(let slice):
                (status, responseHeaders, body) = try await sendWithSendfile(
                    url: url, method: request.method, headers: headers, slice: slice,
                    maxResponseBytes: request.maxResponseBytes)
            case .chunks(let slice):
                (status, responseHeaders, body) = try await sendChunks(
                    url: url, method: request.method, headers: headers, slice: slice,
                    maxResponseBytes: request.maxResponseBytes)
            default:
                (status, responseHeaders, body) = try await sendStreaming(
                    url: url, method: request.method, headers: headers, body: path,
                    maxResponseBytes: request.maxResponseBytes, consumer: request.bodyConsumer)
            }
        } catch {
            throw S3ClientError.transport(error, operation: request.operation, endpoint: configuration.endpoint)
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

    /// The attempt's URL and signed headers, signed now (with the corrected clock) for the
    /// bucket's region.
    func signedHead(_ request: S3Request) async throws -> (url: String, headers: HTTPHeaders) {
        let credentials: AWSCredentials
        do {
            credentials = try await shared.credentials.credentials()
        } catch let error as S3ClientError {
            throw error
        } catch {
            throw S3ClientError(.credentials, "\(error)")
        }
        let endpoint = configuration.endpoint
        let (host, path) = configuration.addressingStyle.resolve(
            endpoint: endpoint, bucket: request.bucket, key: request.key)
        let authority = endpoint.authority(host: host)
        var signable = SignableRequest(
            method: request.method.rawValue, encodedPath: path, query: request.query,
            headers: [("host", authority)] + request.headers, payloadHash: request.payloadHash)
        let signer = SigV4Signer(credentials: credentials, region: region(for: request.bucket))
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
        return (url, headers)
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
}
