/// `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` (also `AWS_ACCESS_KEY`, `AWS_SECRET_KEY`,
/// `SECRET_ACCESS_KEY`) and `AWS_SESSION_TOKEN`. Blank values count as unset.
public struct EnvironmentCredentialProvider: CredentialProvider {
    public let environment: [String: String]
    public var name: String { "environment variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)" }

    public init(environment: [String: String]) { self.environment = environment }

    public func loadCredentials() async throws -> AWSCredentials? {
        func value(_ names: String...) -> String? {
            for name in names {
                if let value = environment[name]?.trimmingSpaces, !value.isEmpty { return value }
            }
            return nil
        }
        let key = value("AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY")
        let secret = value("AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY", "SECRET_ACCESS_KEY")
        switch (key, secret) {
        case (nil, nil):
            return nil
        case (.some(let key), .some(let secret)):
            return AWSCredentials(accessKeyID: key, secretAccessKey: secret, sessionToken: value("AWS_SESSION_TOKEN"))
        case (.some, nil):
            throw S3ClientError(.credentials, "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not: set both")
        case (nil, .some):
            throw S3ClientError(.credentials, "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not: set both")
        }
    }
}
