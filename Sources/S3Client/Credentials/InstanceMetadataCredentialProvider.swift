import Foundation

/// The credentials of the IAM role attached to this EC2 instance, from the instance metadata
/// service (IMDSv2, see ``InstanceMetadataClient``).
///
/// Returns `nil` when the service is disabled, does not answer (not on EC2), or no role is
/// attached. Credentials that are already expired (the service can lag during an outage) are used
/// for another 10–15 minutes rather than failing every request, as the AWS SDKs do.
public struct InstanceMetadataCredentialProvider: CredentialProvider {
    static let credentialsPath = "/latest/meta-data/iam/security-credentials/"

    public let client: InstanceMetadataClient
    let now: @Sendable () -> Date

    public var name: String {
        client.isDisabled
            ? "EC2 instance metadata (disabled by AWS_EC2_METADATA_DISABLED)"
            : "EC2 instance metadata at \(client.endpoint)"
    }

    public init(client: InstanceMetadataClient, now: @escaping @Sendable () -> Date = { Date() }) {
        self.client = client
        self.now = now
    }

    public func loadCredentials() async throws -> AWSCredentials? {
        guard !client.isDisabled else { return nil }
        do {
            return try await client.withHTTP { http -> AWSCredentials? in
                guard let roles = try await client.get(Self.credentialsPath, http: http) else { return nil }
                let names = roles.split(whereSeparator: \.isNewline).map { String($0).trimmingSpaces }
                guard let role = names.first(where: { !$0.isEmpty }) else { return nil }
                let source = "instance metadata role '\(role)'"
                guard let body = try await client.get(Self.credentialsPath + role, http: http) else {
                    throw S3ClientError(.credentials, "\(source) has no credentials (HTTP 404)")
                }
                var credentials = try CredentialDocument.decode(body, source: source).credentials(source: source)
                let time = now()
                if let expiration = credentials.expiration, expiration <= time {
                    credentials.expiration = time.addingTimeInterval(600 + Double.random(in: 0...300))
                }
                return credentials
            }
        } catch is InstanceMetadataClient.Unavailable {
            return nil
        }
    }
}
