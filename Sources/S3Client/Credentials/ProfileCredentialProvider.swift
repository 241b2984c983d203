import Foundation

/// The credentials a profile of the shared config files describes: static keys, IAM Identity
/// Center (SSO, see ``SSOCredentialProvider``), `credential_process`, a role assumed from a
/// `source_profile` or `credential_source`, or a role assumed with a web identity token. See
/// ``ProfileChain`` for the rules.
///
/// Returns `nil` when the profile is `default` and absent, or has no credentials settings (the
/// chain moves on); throws when a profile named with `--profile` / `AWS_PROFILE` does not exist
/// or its settings are broken.
public struct ProfileCredentialProvider: CredentialProvider {
    public let profileName: String
    public let configuration: SharedConfiguration
    public let environment: [String: String]
    /// Whether the user chose the profile (`--profile`, `AWS_PROFILE`); a missing chosen profile is an error.
    public let isExplicit: Bool
    /// Signs and sends `AssumeRole` / `AssumeRoleWithWebIdentity`.
    public let sts: STSClient
    /// Sends `GetRoleCredentials` and `CreateToken` for SSO profiles.
    public let sso: SSOClient
    let files: SharedConfigFiles?
    let containerBaseURL: String
    let now: @Sendable () -> Date

    public var name: String {
        let credentials = files?.credentialsDisplayPath ?? "~/.aws/credentials"
        let config = files?.configDisplayPath ?? "~/.aws/config"
        return "shared credentials file \(credentials) and config file \(config), profile '\(profileName)'"
    }

    /// - Parameters:
    ///   - files: where the configuration was read from, for messages.
    ///   - containerBaseURL: for `credential_source = EcsContainer`; only tests change it.
    public init(
        profileName: String, configuration: SharedConfiguration, environment: [String: String],
        isExplicit: Bool = false, sts: STSClient, sso: SSOClient = SSOClient(), files: SharedConfigFiles? = nil,
        containerBaseURL: String = ContainerCredentialProvider.defaultBaseURL,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.profileName = profileName
        self.configuration = configuration
        self.environment = environment
        self.isExplicit = isExplicit
        self.sts = sts
        self.sso = sso
        self.files = files
        self.containerBaseURL = containerBaseURL
        self.now = now
    }

    public func loadCredentials() async throws -> AWSCredentials? {
        guard let chain = try ProfileChain.resolve(profile: profileName, in: configuration) else {
            if isExplicit && configuration.profile(profileName) == nil {
                let config = files?.configDisplayPath ?? "~/.aws/config"
                let credentials = files?.credentialsDisplayPath ?? "~/.aws/credentials"
                let known = configuration.profiles.keys.sorted().map { "'\($0)'" }.joined(separator: ", ")
                throw S3ClientError(
                    .configuration,
                    "profile '\(profileName)' is not defined in \(config) ([profile \(profileName)]) or \(credentials) ([\(profileName)])"
                        + (known.isEmpty ? "" : "; defined profiles: \(known)"))
            }
            return nil
        }
        var credentials = try await sourceCredentials(chain.source)
        for hop in chain.roles {
            credentials = try await sts.assumeRole(
                roleARN: hop.roleARN,
                sessionName: hop.sessionName ?? STSClient.defaultSessionName(now: now()),
                externalID: hop.externalID, durationSeconds: hop.durationSeconds, credentials: credentials)
        }
        return credentials
    }

    private func sourceCredentials(_ source: ProfileChain.Source) async throws -> AWSCredentials {
        switch source {
        case .staticKeys(_, let credentials):
            return credentials
        case .process(let profile, let command):
            let provider = ProcessCredentialProvider(command: command, profileName: profile, environment: environment)
            guard let credentials = try await provider.loadCredentials() else {
                throw S3ClientError(.credentials, "\(provider.name) gave no credentials")
            }
            return credentials
        case .sso(let profile, let settings):
            let provider = SSOCredentialProvider(
                profileName: profile, configuration: settings, environment: environment, client: sso, now: now)
            guard let credentials = try await provider.loadCredentials() else {
                throw S3ClientError(.credentials, "\(provider.name) gave no credentials")
            }
            return credentials
        case .webIdentity(let profile, let roleARN, let tokenFile, let sessionName):
            let provider = WebIdentityCredentialProvider(
                tokenFile: tokenFile, roleARN: roleARN, sessionName: sessionName, sts: sts,
                origin: "of profile '\(profile)'")
            guard let credentials = try await provider.loadCredentials() else {
                throw S3ClientError(.credentials, "\(provider.name) gave no credentials")
            }
            return credentials
        case .credentialSource(let profile, let name):
            let provider: any CredentialProvider
            let hint: String
            switch name {
            case .environment:
                provider = EnvironmentCredentialProvider(environment: environment)
                hint = "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set"
            case .ec2InstanceMetadata:
                provider = InstanceMetadataCredentialProvider(
                    client: InstanceMetadataClient(
                        environment: environment, profile: configuration.profile(profileName), now: now),
                    now: now)
                hint = "the instance metadata service gave none (not on EC2, disabled, or no role attached)"
            case .ecsContainer:
                provider = ContainerCredentialProvider(environment: environment, baseURL: containerBaseURL)
                hint = "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI / _FULL_URI are not set"
            }
            guard let credentials = try await provider.loadCredentials() else {
                throw S3ClientError(
                    .credentials, "profile '\(profile)' has credential_source = \(name.rawValue), but \(hint)")
            }
            return credentials
        }
    }
}
