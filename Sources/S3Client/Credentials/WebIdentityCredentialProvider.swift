import Foundation

/// Exchanges an OpenID Connect token from a file (EKS IRSA, GitHub Actions, ...) for a role's
/// credentials with STS `AssumeRoleWithWebIdentity`.
///
/// Configured by the environment (`AWS_WEB_IDENTITY_TOKEN_FILE`, `AWS_ROLE_ARN`, optional
/// `AWS_ROLE_SESSION_NAME`; see ``fromEnvironment(_:sts:)``) or by a profile (`role_arn` with
/// `web_identity_token_file`). The token file is read again on every call: it is rotated.
public struct WebIdentityCredentialProvider: CredentialProvider {
    /// The token file; `nil` means not configured (the provider returns `nil`).
    public let tokenFile: String?
    public let roleARN: String?
    public let sessionName: String?
    public let sts: STSClient
    let origin: String

    public var name: String { "web identity token \(origin)" }

    /// A provider from a profile's settings.
    /// - Parameter origin: where the settings came from, for messages (e.g. `of profile 'ci'`).
    public init(tokenFile: String?, roleARN: String?, sessionName: String?, sts: STSClient, origin: String) {
        self.tokenFile = tokenFile
        self.roleARN = roleARN
        self.sessionName = sessionName
        self.sts = sts
        self.origin = origin
    }

    /// The provider `AWS_WEB_IDENTITY_TOKEN_FILE`, `AWS_ROLE_ARN` and `AWS_ROLE_SESSION_NAME` configure.
    public static func fromEnvironment(_ environment: [String: String], sts: STSClient)
        -> WebIdentityCredentialProvider
    {
        func value(_ name: String) -> String? {
            guard let value = environment[name]?.trimmingSpaces, !value.isEmpty else { return nil }
            return value
        }
        return WebIdentityCredentialProvider(
            tokenFile: value("AWS_WEB_IDENTITY_TOKEN_FILE"), roleARN: value("AWS_ROLE_ARN"),
            sessionName: value("AWS_ROLE_SESSION_NAME"), sts: sts,
            origin: "(AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN)")
    }

    public func loadCredentials() async throws -> AWSCredentials? {
        guard let tokenFile else { return nil }
        guard let roleARN else {
            throw S3ClientError(
                .credentials, "AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not: set the role to assume")
        }
        let token: String
        do {
            token = try String(contentsOfFile: tokenFile, encoding: .utf8).trimmingCharacters(
                in: .whitespacesAndNewlines)
        } catch {
            throw S3ClientError(
                .credentials, "cannot read the web identity token file \(tokenFile): \(error.localizedDescription)")
        }
        guard !token.isEmpty else {
            throw S3ClientError(.credentials, "the web identity token file \(tokenFile) is empty")
        }
        return try await sts.assumeRoleWithWebIdentity(
            roleARN: roleARN,
            sessionName: sessionName ?? STSClient.defaultSessionName(prefix: "s3sync-web-identity", now: sts.now()),
            webIdentityToken: token)
    }
}
