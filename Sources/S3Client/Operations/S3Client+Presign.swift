import Foundation

extension S3Client {
    /// A presigned URL for a GET or PUT of one object, valid for `expires` seconds (at most 7 days).
    public func presignedURL(method: String = "GET", bucket: String, key: String, expires: Int = 3600) async throws
        -> String
    {
        let credentials = try await shared.credentials.credentials()
        let endpoint = configuration.endpoint
        let (host, path) = configuration.addressingStyle.resolve(endpoint: endpoint, bucket: bucket, key: key)
        let authority = endpoint.authority(host: host)
        let signer = SigV4Signer(credentials: credentials, region: region(for: bucket))
        let request = SignableRequest(
            method: method, encodedPath: path, headers: [("host", authority)],
            payloadHash: SignableRequest.unsignedPayload)
        let date = AmzDate(Date())
        let query = signer.presignedQuery(request, date: date, expires: expires)
        return "\(endpoint.scheme)://\(authority)\(path)?\(S3PercentEncoding.canonicalQuery(query))"
    }
}
