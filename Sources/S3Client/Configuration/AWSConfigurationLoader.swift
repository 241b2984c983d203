import Foundation

/// Resolves credentials, region, endpoint and client settings the way the AWS CLI and SDKs do,
/// from an environment dictionary and the shared config files.
///
/// ```swift
/// let resolved = try await AWSConfigurationLoader(
///     environment: ProcessInfo.processInfo.environment,
///     profile: options.profile, region: options.region, endpointURL: options.endpointURL
/// ).load()
/// let client = try S3Client(configuration: resolved.clientConfiguration())
/// ```
///
/// **Credentials**, first found wins (``defaultCredentialChain(environment:configuration:files:profile:stsRegion:instanceMetadata:containerBaseURL:now:)``):
/// 1. environment keys (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`), skipped
///    when `--profile` was given;
/// 2. the profile (`--profile`, `AWS_PROFILE`, `AWS_DEFAULT_PROFILE`, else `default`): static keys,
///    IAM Identity Center (SSO: the token `aws sso login` cached, exchanged for role credentials),
///    `credential_process`, roles via `source_profile` / `credential_source`, web identity;
/// 3. web identity from the environment (`AWS_WEB_IDENTITY_TOKEN_FILE` + `AWS_ROLE_ARN`);
/// 4. container credentials (`AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` / `_FULL_URI`);
/// 5. the EC2 instance role (IMDSv2).
///
/// This is the order of the AWS CLI (botocore) and the Rust SDK, the tools s3sync's users already
/// reason with. Keys exported in the environment win, so a CI job's secrets are never shadowed
/// by a file; a profile comes before the ambient web identity variables that EKS injects into
/// every pod, because a profile is something the user chose; the container agent comes before
/// the instance role, which belongs to the host rather than the task. As in the AWS CLI (and Go's
/// programmatic profile), an explicit `--profile` removes the environment keys from the chain,
/// while `AWS_PROFILE` does not.
///
/// **Region**: `--region`, `AWS_REGION`, `AWS_DEFAULT_REGION`, the profile's `region`, the
/// instance's region from IMDS (only when IMDS is enabled and no endpoint URL is configured, so
/// S3-compatible setups never wait on it), else `us-east-1`.
///
/// **Endpoint**: see ``ServiceEndpointResolver`` (`--endpoint-url`, `AWS_ENDPOINT_URL_S3`,
/// `AWS_ENDPOINT_URL`, `[services x]`, the profile's `endpoint_url`). STS calls resolve their own
/// endpoint the same way with `AWS_ENDPOINT_URL_STS`, the SSO portal with `AWS_ENDPOINT_URL_SSO`
/// and SSO OIDC with `AWS_ENDPOINT_URL_SSO_OIDC`.
public struct AWSConfigurationLoader: Sendable {
    public var environment: [String: String]
    /// `--profile`.
    public var profile: String?
    /// `--region`.
    public var region: String?
    /// `--endpoint-url`.
    public var endpointURL: String?
    /// `--ca-bundle`.
    public var caBundlePath: String?
    /// What `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` is relative to; only tests change it.
    public var containerBaseURL: String
    public var now: @Sendable () -> Date

    public init(
        environment: [String: String], profile: String? = nil, region: String? = nil, endpointURL: String? = nil,
        caBundlePath: String? = nil, containerBaseURL: String = ContainerCredentialProvider.defaultBaseURL,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.environment = environment
        self.profile = profile
        self.region = region
        self.endpointURL = endpointURL
        self.caBundlePath = caBundlePath
        self.containerBaseURL = containerBaseURL
        self.now = now
    }

    /// Reads the config files and resolves everything; credentials themselves load lazily, on
    /// the first request.
    /// - Throws: ``S3ClientError`` (configuration) for a malformed config file, endpoint URL,
    ///   region, retry or addressing setting.
    public func load() async throws -> ResolvedAWSConfiguration {
        let files = SharedConfigFiles(environment: environment)
        let configuration = try files.load()
        return try await resolve(configuration: configuration, files: files)
    }

    /// Resolves from an already parsed configuration (tests, or a caller that read the files).
    public func resolve(configuration: SharedConfiguration, files: SharedConfigFiles? = nil) async throws
        -> ResolvedAWSConfiguration
    {
        let profile = Self.profileName(explicit: self.profile, environment: environment)
        let section = configuration.profile(profile.value)
        let configFile = files?.configDisplayPath ?? "~/.aws/config"

        let endpointValue = ServiceEndpointResolver.endpointURL(
            service: "S3", explicit: endpointURL, environment: environment, profile: section,
            profileName: profile.value, configuration: configuration, configFile: configFile)
        var endpoint: S3Endpoint?
        if let endpointValue {
            do {
                endpoint = try S3Endpoint(url: endpointValue.value)
            } catch {
                throw S3ClientError(.configuration, "\(error.message) (from \(endpointValue.source))")
            }
        }

        let instanceMetadata = InstanceMetadataClient(environment: environment, profile: section, now: now)
        var region = try Self.configuredRegion(
            explicit: self.region, environment: environment, profile: section, profileName: profile.value)
        if region == nil, endpoint == nil, !instanceMetadata.isDisabled,
            let instanceRegion = await instanceMetadata.region()
        {
            region = ConfiguredValue(instanceRegion, source: "EC2 instance metadata")
        }
        let resolvedRegion = region ?? ConfiguredValue("us-east-1", source: "default")

        let chain = Self.defaultCredentialChain(
            environment: environment, configuration: configuration, files: files, profile: profile,
            stsRegion: resolvedRegion.value, instanceMetadata: instanceMetadata, containerBaseURL: containerBaseURL,
            now: now)

        return ResolvedAWSConfiguration(
            profile: profile, credentialProvider: chain, region: resolvedRegion, endpoint: endpoint,
            endpointSource: endpointValue?.source,
            addressingStyle: try Self.addressingStyle(profile: section, profileName: profile.value),
            caBundlePath: Self.caBundlePath(explicit: caBundlePath, environment: environment, profile: section),
            maxAttempts: try Self.maxAttempts(environment: environment, profile: section, profileName: profile.value),
            retryMode: try Self.retryMode(environment: environment, profile: section, profileName: profile.value),
            warnings: configuration.warnings)
    }

    /// The default credential chain; see the type's documentation for the order and why.
    /// - Parameters:
    ///   - profile: the profile and its source; `--profile` as the source drops the environment keys.
    ///   - stsRegion: the region STS calls are signed for and sent to.
    public static func defaultCredentialChain(
        environment: [String: String], configuration: SharedConfiguration, files: SharedConfigFiles?,
        profile: ConfiguredValue, stsRegion: String, instanceMetadata: InstanceMetadataClient,
        containerBaseURL: String = ContainerCredentialProvider.defaultBaseURL,
        now: @escaping @Sendable () -> Date = { Date() }
    ) -> CredentialProviderChain {
        let section = configuration.profile(profile.value)
        let stsEndpoint = ServiceEndpointResolver.endpointURL(
            service: "STS", explicit: nil, environment: environment, profile: section, profileName: profile.value,
            configuration: configuration, configFile: files?.configDisplayPath ?? "~/.aws/config")
        let sts = STSClient(region: stsRegion, endpointURL: stsEndpoint?.value, now: now)
        func endpoint(_ service: String) -> String? {
            ServiceEndpointResolver.endpointURL(
                service: service, explicit: nil, environment: environment, profile: section,
                profileName: profile.value, configuration: configuration,
                configFile: files?.configDisplayPath ?? "~/.aws/config")?.value
        }
        let sso = SSOClient(portalEndpointURL: endpoint("SSO"), oidcEndpointURL: endpoint("SSO OIDC"))
        var providers: [any CredentialProvider] = []
        if profile.source != profileFlagSource {
            providers.append(EnvironmentCredentialProvider(environment: environment))
        }
        providers.append(
            ProfileCredentialProvider(
                profileName: profile.value, configuration: configuration, environment: environment,
                isExplicit: profile.source != fallbackProfileSource, sts: sts, sso: sso, files: files,
                containerBaseURL: containerBaseURL,
                now: now))
        providers.append(WebIdentityCredentialProvider.fromEnvironment(environment, sts: sts))
        providers.append(ContainerCredentialProvider(environment: environment, baseURL: containerBaseURL))
        providers.append(InstanceMetadataCredentialProvider(client: instanceMetadata, now: now))
        return CredentialProviderChain(providers)
    }

    /// `--profile`, else `AWS_PROFILE`, else `AWS_DEFAULT_PROFILE`, else `default`.
    public static func profileName(explicit: String?, environment: [String: String]) -> ConfiguredValue {
        if let explicit = explicit?.trimmingSpaces, !explicit.isEmpty {
            return ConfiguredValue(explicit, source: profileFlagSource)
        }
        for variable in ["AWS_PROFILE", "AWS_DEFAULT_PROFILE"] {
            if let value = environment[variable]?.trimmingSpaces, !value.isEmpty {
                return ConfiguredValue(value, source: variable)
            }
        }
        return ConfiguredValue("default", source: fallbackProfileSource)
    }

    /// The source of a profile chosen with `--profile`; it takes the environment keys out of the chain.
    public static let profileFlagSource = "--profile"
    /// The source of the `default` profile when none was chosen; only then may the profile be missing.
    public static let fallbackProfileSource = "default"

    /// `--region`, `AWS_REGION`, `AWS_DEFAULT_REGION`, the profile's `region`; `nil` when none is set.
    /// - Throws: ``S3ClientError`` (configuration) when the value cannot be a region name.
    public static func configuredRegion(
        explicit: String?, environment: [String: String], profile: SharedConfigSection?, profileName: String
    ) throws(S3ClientError) -> ConfiguredValue? {
        var found: ConfiguredValue?
        if let explicit = explicit?.trimmingSpaces, !explicit.isEmpty {
            found = ConfiguredValue(explicit, source: "--region")
        } else if let value = environment["AWS_REGION"]?.trimmingSpaces, !value.isEmpty {
            found = ConfiguredValue(value, source: "AWS_REGION")
        } else if let value = environment["AWS_DEFAULT_REGION"]?.trimmingSpaces, !value.isEmpty {
            found = ConfiguredValue(value, source: "AWS_DEFAULT_REGION")
        } else if let value = profile?["region"] {
            found = ConfiguredValue(value, source: "region of profile '\(profileName)'")
        }
        if let found {
            let allowed = found.value.utf8.allSatisfy { byte in
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                    || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-")
                    || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
            }
            guard allowed else {
                throw S3ClientError(
                    .configuration,
                    "region '\(found.value)' (from \(found.source)) is not a region name such as eu-west-1")
            }
        }
        return found
    }

    static func caBundlePath(explicit: String?, environment: [String: String], profile: SharedConfigSection?)
        -> String?
    {
        let value: String?
        if let explicit = explicit?.trimmingSpaces, !explicit.isEmpty {
            value = explicit
        } else if let variable = environment["AWS_CA_BUNDLE"]?.trimmingSpaces, !variable.isEmpty {
            value = variable
        } else {
            value = profile?["ca_bundle"]
        }
        guard let value else { return nil }
        return SharedConfigFiles.expandHome(value, home: environment["HOME"]) ?? value
    }

    static func maxAttempts(environment: [String: String], profile: SharedConfigSection?, profileName: String)
        throws(S3ClientError) -> Int?
    {
        guard let setting = setting("AWS_MAX_ATTEMPTS", "max_attempts", environment, profile, profileName) else {
            return nil
        }
        guard let value = Int(setting.value), value >= 1 else {
            throw S3ClientError(
                .configuration,
                "max_attempts '\(setting.value)' (from \(setting.source)) must be a whole number of at least 1")
        }
        return value
    }

    static func retryMode(environment: [String: String], profile: SharedConfigSection?, profileName: String)
        throws(S3ClientError) -> RetryConfiguration.Mode?
    {
        guard let setting = setting("AWS_RETRY_MODE", "retry_mode", environment, profile, profileName) else {
            return nil
        }
        switch setting.value.lowercased() {
        case "standard", "legacy": return .standard
        case "adaptive": return .adaptive
        default:
            throw S3ClientError(
                .configuration,
                "retry_mode '\(setting.value)' (from \(setting.source)) must be standard, adaptive or legacy")
        }
    }

    static func addressingStyle(profile: SharedConfigSection?, profileName: String) throws(S3ClientError)
        -> AddressingStyle
    {
        guard let value = profile?.subProperty("s3", "addressing_style") else { return .auto }
        guard let style = AddressingStyle(rawValue: value.lowercased()) else {
            throw S3ClientError(
                .configuration,
                "s3 addressing_style '\(value)' of profile '\(profileName)' must be path, virtual or auto")
        }
        return style
    }

    private static func setting(
        _ variable: String, _ key: String, _ environment: [String: String], _ profile: SharedConfigSection?,
        _ profileName: String
    ) -> ConfiguredValue? {
        if let value = environment[variable]?.trimmingSpaces, !value.isEmpty {
            return ConfiguredValue(value, source: variable)
        }
        if let value = profile?[key] { return ConfiguredValue(value, source: "\(key) of profile '\(profileName)'") }
        return nil
    }
}
