/// A source of credentials: the environment, a profile, a role, an instance.
public protocol CredentialProvider: Sendable {
    /// A short name for messages, e.g. `environment`.
    var name: String { get }
    /// Loads credentials. Returns `nil` when this source has none configured (the chain moves on);
    /// throws when it is configured but failed.
    func loadCredentials() async throws -> AWSCredentials?
}

/// Fixed credentials.
public struct StaticCredentialProvider: CredentialProvider {
    public let credentials: AWSCredentials
    public var name: String { "static" }

    public init(_ credentials: AWSCredentials) { self.credentials = credentials }

    public func loadCredentials() async throws -> AWSCredentials? { credentials }
}
