/// Tries providers in order; the first that has credentials wins. A provider that is configured
/// but fails stops the chain with its error, so a broken profile is not silently skipped.
public struct CredentialProviderChain: CredentialProvider {
    public let providers: [any CredentialProvider]
    public var name: String { "chain" }

    public init(_ providers: [any CredentialProvider]) { self.providers = providers }

    public func loadCredentials() async throws -> AWSCredentials? {
        for provider in providers {
            do {
                if let credentials = try await provider.loadCredentials() { return credentials }
            } catch let error as S3ClientError {
                throw S3ClientError(.credentials, "\(provider.name): \(error.message)")
            } catch let error as S3ServiceError {
                throw S3ClientError(.credentials, "\(provider.name): \(error)")
            } catch is CancellationError {
                throw S3ClientError(.cancelled, "cancelled while loading credentials")
            } catch {
                throw S3ClientError(.credentials, "\(provider.name): \(error)")
            }
        }
        let places = providers.map { "  - \($0.name)" }.joined(separator: "\n")
        throw S3ClientError(
            .credentials,
            """
            no AWS credentials found. Looked in:
            \(places)
            Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or configure a profile in ~/.aws/credentials (--profile NAME).
            """)
    }
}
