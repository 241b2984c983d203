extension S3Client {
    /// Checks that the bucket exists and the credentials may use it.
    /// - Returns: the bucket's region when the service tells it.
    /// - Throws: ``S3ServiceError`` `NoSuchBucket` (404), `AccessDenied` (403), ...
    @discardableResult
    public func headBucket(_ bucket: String) async throws -> String? {
        let response = try await perform(S3Request(operation: "HeadBucket", method: .HEAD, bucket: bucket))
        return response.header("x-amz-bucket-region")
    }

    /// Creates a bucket (used by tests and the demo).
    public func createBucket(_ bucket: String) async throws {
        _ = try await perform(S3Request(operation: "CreateBucket", method: .PUT, bucket: bucket))
    }
}
