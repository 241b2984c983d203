/// What a profile's credentials are made of: a base source and the roles assumed from it, in
/// order. Built from the shared config without any I/O, so the rules can be tested exactly.
///
/// The rules (those of botocore and the Rust SDK):
/// - A profile with `role_arn` and `web_identity_token_file` is a web identity base.
/// - A profile with `role_arn` assumes that role with the credentials of its `source_profile`
///   (followed recursively) or of its `credential_source` (`Environment`, `Ec2InstanceMetadata`,
///   `EcsContainer`); setting both, or neither, is an error.
/// - After the first hop, a source profile with static keys ends the chain even if it has a
///   `role_arn` too; a profile may name itself as `source_profile` only when it has static keys.
///   Any other loop is an error.
/// - Without `role_arn`, a profile's own credentials are its static keys
///   (`aws_access_key_id`, `aws_secret_access_key`, `aws_session_token`), else IAM Identity
///   Center (`sso_account_id` and `sso_role_name`, with `sso_session` or the legacy
///   `sso_start_url`; see ``SSOConfiguration``), else its `credential_process`. Static keys go
///   first because they need nothing else and a profile with more is usually a leftover; SSO
///   comes before `credential_process` as in every SDK. This is the Go SDK's order.
/// - A source profile may be an SSO profile: its role credentials then assume the roles.
public struct ProfileChain: Sendable, Hashable {
    /// Where the first credentials come from.
    public enum Source: Sendable, Hashable {
        case staticKeys(profile: String, AWSCredentials)
        case process(profile: String, command: String)
        case sso(profile: String, SSOConfiguration)
        case webIdentity(profile: String, roleARN: String, tokenFile: String, sessionName: String?)
        case credentialSource(profile: String, CredentialSourceName)
    }

    /// `credential_source` values.
    public enum CredentialSourceName: String, Sendable, Hashable, CaseIterable {
        case environment = "Environment"
        case ec2InstanceMetadata = "Ec2InstanceMetadata"
        case ecsContainer = "EcsContainer"
    }

    /// One `AssumeRole` call.
    public struct RoleHop: Sendable, Hashable {
        public var profile: String
        public var roleARN: String
        public var sessionName: String?
        public var externalID: String?
        public var durationSeconds: Int?
    }

    public var source: Source
    /// Roles to assume in order: the first with the source's credentials, each next one with the
    /// credentials of the one before.
    public var roles: [RoleHop]

    /// The chain of a profile.
    /// - Returns: `nil` when the profile does not exist or has no credentials of its own.
    /// - Throws: ``S3ClientError`` (configuration) for a broken chain: a missing or looping
    ///   `source_profile`, a `role_arn` without source, half a key pair, an unsupported setting.
    public static func resolve(profile name: String, in configuration: SharedConfiguration) throws(S3ClientError)
        -> ProfileChain?
    {
        var visited: [String] = []
        var hops: [RoleHop] = []
        var current = name
        while true {
            guard let profile = configuration.profile(current) else {
                guard let referrer = visited.last else { return nil }
                throw S3ClientError(
                    .configuration,
                    "profile '\(referrer)' has source_profile = \(current), but no profile '\(current)' is defined")
            }
            let referrer = visited.last
            visited.append(current)
            switch try step(profile, referrer: referrer, visited: visited, hops: &hops, configuration: configuration) {
            case .done(let chain): return chain
            case .follow(let next): current = next
            }
        }
    }

    /// What one profile of the chain does: ends it, or names the source profile to follow.
    private enum Step {
        case done(ProfileChain?)
        case follow(String)
    }

    /// - Parameter referrer: the profile whose `source_profile` this one is; `nil` for the first.
    private static func step(
        _ profile: SharedConfigSection, referrer: String?, visited: [String], hops: inout [RoleHop],
        configuration: SharedConfiguration
    ) throws(S3ClientError) -> Step {
        let name = profile.name
        if referrer != nil, let keys = try staticKeys(profile) {
            return .done(ProfileChain(source: .staticKeys(profile: name, keys), roles: hops.reversed()))
        }
        guard let roleARN = profile["role_arn"] else {
            if let source = try ownSource(profile, configuration: configuration) {
                return .done(ProfileChain(source: source, roles: hops.reversed()))
            }
            if profile["sso_session"] != nil || profile["sso_start_url"] != nil { throw ssoWithoutRole(name) }
            guard let referrer else { return .done(nil) }
            throw S3ClientError(
                .configuration,
                "profile '\(name)' is the source_profile of '\(referrer)' but has no credentials: give it aws_access_key_id and aws_secret_access_key, IAM Identity Center (sso_session, sso_account_id, sso_role_name), credential_process or a role"
            )
        }
        if let tokenFile = profile["web_identity_token_file"] {
            let source = Source.webIdentity(
                profile: name, roleARN: roleARN, tokenFile: tokenFile, sessionName: profile["role_session_name"])
            return .done(ProfileChain(source: source, roles: hops.reversed()))
        }
        hops.append(try roleHop(profile, roleARN: roleARN))
        return try roleSource(profile, visited: visited, hops: hops)
    }

    /// The role a profile with `role_arn` assumes.
    private static func roleHop(_ profile: SharedConfigSection, roleARN: String) throws(S3ClientError) -> RoleHop {
        let name = profile.name
        if profile["mfa_serial"] != nil {
            throw S3ClientError(
                .configuration,
                "profile '\(name)' needs an MFA code (mfa_serial), which an unattended tool cannot ask for: use credentials from `aws sts assume-role` or a credential_process"
            )
        }
        var durationSeconds: Int?
        if let text = profile["duration_seconds"] {
            guard let value = Int(text), value > 0 else {
                throw S3ClientError(
                    .configuration, "profile '\(name)' has duration_seconds = \(text): expected whole seconds")
            }
            durationSeconds = value
        }
        return RoleHop(
            profile: name, roleARN: roleARN, sessionName: profile["role_session_name"],
            externalID: profile["external_id"], durationSeconds: durationSeconds)
    }

    /// Where the credentials that assume a profile's role come from: its `credential_source`, or
    /// the profile its `source_profile` names.
    private static func roleSource(
        _ profile: SharedConfigSection, visited: [String], hops: [RoleHop]
    ) throws(S3ClientError) -> Step {
        let name = profile.name
        switch (profile["source_profile"], profile["credential_source"]) {
        case (.some, .some):
            throw S3ClientError(
                .configuration, "profile '\(name)' sets both source_profile and credential_source: keep only one")
        case (nil, nil):
            throw S3ClientError(
                .configuration,
                "profile '\(name)' has role_arn but no source_profile, credential_source or web_identity_token_file to get the credentials that assume it"
            )
        case (nil, .some(let sourceName)):
            guard let source = CredentialSourceName(rawValue: sourceName) else {
                let valid = CredentialSourceName.allCases.map(\.rawValue).joined(separator: ", ")
                throw S3ClientError(
                    .configuration, "profile '\(name)' has credential_source = \(sourceName): expected one of \(valid)")
            }
            return .done(ProfileChain(source: .credentialSource(profile: name, source), roles: hops.reversed()))
        case (.some(let next), nil):
            if next == name {
                guard let keys = try staticKeys(profile) else {
                    throw S3ClientError(
                        .configuration,
                        "profile '\(name)' names itself as source_profile but has no aws_access_key_id / aws_secret_access_key"
                    )
                }
                return .done(ProfileChain(source: .staticKeys(profile: name, keys), roles: hops.reversed()))
            }
            if visited.contains(next) {
                throw S3ClientError(
                    .configuration,
                    "source_profile loop: \((visited + [next]).joined(separator: " -> ")). Break the loop in ~/.aws/config"
                )
            }
            return .follow(next)
        }
    }

    /// A profile's static keys; half a pair is an error.
    static func staticKeys(_ profile: SharedConfigSection) throws(S3ClientError) -> AWSCredentials? {
        switch (profile["aws_access_key_id"], profile["aws_secret_access_key"]) {
        case (nil, nil):
            return nil
        case (.some(let key), .some(let secret)):
            return AWSCredentials(
                accessKeyID: key, secretAccessKey: secret, sessionToken: profile["aws_session_token"])
        case (.some, nil):
            throw S3ClientError(
                .configuration,
                "profile '\(profile.name)' has aws_access_key_id but no aws_secret_access_key: set both")
        case (nil, .some):
            throw S3ClientError(
                .configuration,
                "profile '\(profile.name)' has aws_secret_access_key but no aws_access_key_id: set both")
        }
    }

    /// A profile's own credentials, without roles.
    private static func ownSource(_ profile: SharedConfigSection, configuration: SharedConfiguration)
        throws(S3ClientError) -> Source?
    {
        if let keys = try staticKeys(profile) { return .staticKeys(profile: profile.name, keys) }
        if let sso = try SSOConfiguration.resolve(profile, in: configuration) {
            return .sso(profile: profile.name, sso)
        }
        if let command = profile["credential_process"] { return .process(profile: profile.name, command: command) }
        return nil
    }

    private static func ssoWithoutRole(_ profile: String) -> S3ClientError {
        S3ClientError(
            .configuration,
            "profile '\(profile)' signs in with IAM Identity Center (SSO) but has no sso_account_id and sso_role_name: add the account and the role to get credentials for (`aws configure sso --profile \(profile)` writes them)"
        )
    }
}
