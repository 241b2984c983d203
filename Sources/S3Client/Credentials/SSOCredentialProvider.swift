import Foundation

/// Credentials of an IAM Identity Center (SSO) profile, from the token `aws sso login` cached.
///
/// On every call (``CredentialCache`` calls again five minutes before the role credentials
/// expire):
/// 1. the token is read from `~/.aws/sso/cache/<sha1 hex>.json` (``SSOTokenCache``), so a new
///    `aws sso login` is picked up without restarting;
/// 2. an `sso-session` token with less than five minutes left is renewed with SSO OIDC
///    `CreateToken` from the refresh token and client registration in the file, and written back
///    (as the AWS CLI and the Rust SDK do). If that fails, a token that has not expired yet is
///    still used, and a token another process renewed meanwhile is picked up. The legacy form
///    (`sso_start_url` in the profile) cannot be renewed;
/// 3. the token is exchanged for the role's credentials with the portal's `GetRoleCredentials`.
///
/// A missing, damaged or expired token, or one the portal refuses, is an error that says to run
/// `aws sso login --profile NAME`. Tokens never appear in errors.
public struct SSOCredentialProvider: CredentialProvider {
    /// The profile that holds the SSO settings, named in the advice to log in.
    public let profileName: String
    public let configuration: SSOConfiguration
    public let client: SSOClient
    let cache: SSOTokenCache?
    let now: @Sendable () -> Date

    /// How long before its expiry an `sso-session` token is renewed (smithy-rs's window).
    static let refreshWindow: TimeInterval = 5 * 60

    public var name: String { "IAM Identity Center (SSO) of profile '\(profileName)'" }

    /// - Parameters:
    ///   - environment: `HOME` locates the token cache.
    ///   - client: where `GetRoleCredentials` and `CreateToken` go.
    public init(
        profileName: String, configuration: SSOConfiguration, environment: [String: String],
        client: SSOClient = SSOClient(), now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.profileName = profileName
        self.configuration = configuration
        self.client = client
        self.cache = SSOTokenCache(environment: environment)
        self.now = now
    }

    public func loadCredentials() async throws -> AWSCredentials? {
        let token = try await usableToken()
        do {
            return try await client.roleCredentials(
                region: configuration.region, accountID: configuration.accountID, roleName: configuration.roleName,
                accessToken: token.accessToken)
        } catch let failure as SSOClient.Failure {
            throw refusal(failure)
        }
    }

    private var advice: String { configuration.loginAdvice(profile: profileName) }

    /// The cached token, renewed when it is about to expire and it can be.
    func usableToken() async throws -> SSOToken {
        guard let cache else {
            throw S3ClientError(
                .credentials,
                "HOME is not set, so the SSO token cache (~/.aws/sso/cache) of profile '\(profileName)' cannot be found"
            )
        }
        let key = configuration.cacheKey
        let path = cache.path(key: key)
        let owner = configuration.tokenOwner
        let token: SSOToken
        do {
            guard let cached = try cache.load(key: key) else {
                throw S3ClientError(
                    .credentials, "there is no SSO token for \(owner) in the cache (\(path)): \(advice)")
            }
            token = cached
        } catch let problem as SSOToken.Problem {
            throw S3ClientError(
                .credentials,
                "the SSO token cache file \(path) for \(owner) is unusable, \(problem.description): \(advice)"
            )
        }
        if let issuedFor = token.startURL, !Self.sameStartURL(issuedFor, configuration.startURL) {
            throw S3ClientError(
                .credentials,
                "the SSO token in \(path) was issued for \(issuedFor), but profile '\(profileName)' signs in at \(configuration.startURL): \(advice)"
            )
        }

        let time = now()
        if token.expiresAt.timeIntervalSince(time) > Self.refreshWindow { return token }
        var refreshFailure: String?
        if configuration.sessionName != nil, token.isRefreshable(now: time) {
            do {
                return try await refreshed(token, cache: cache, at: time)
            } catch let failure as SSOClient.Failure {
                refreshFailure = "CreateToken answered \(failure)"
            } catch let error as S3ClientError {
                refreshFailure = error.message
            }
            // Another process (the AWS CLI, another s3sync) may have renewed it meanwhile.
            if let current = try? cache.load(key: key), current.accessToken != token.accessToken,
                current.expiresAt > time
            {
                return current
            }
        }
        if token.expiresAt > time { return token }
        let expired = Timestamp.iso8601(secondsSince1970: Int(token.expiresAt.timeIntervalSince1970))
        var message = "the SSO token for \(owner) expired at \(expired)"
        if let refreshFailure {
            message += " and could not be renewed (\(refreshFailure))"
        } else if configuration.sessionName == nil {
            message += " (a legacy profile with sso_start_url cannot renew it; an [sso-session] can)"
        }
        throw S3ClientError(.credentials, "\(message): \(advice)")
    }

    /// Renews the token with `CreateToken` and writes it back to the cache; a cache that cannot
    /// be written does not stop this run, which has the new token in hand.
    private func refreshed(_ token: SSOToken, cache: SSOTokenCache, at time: Date) async throws -> SSOToken {
        guard let clientID = token.clientID, let clientSecret = token.clientSecret,
            let refreshToken = token.refreshToken
        else { return token }
        let issued = try await client.refreshToken(
            region: configuration.region, clientID: clientID, clientSecret: clientSecret, refreshToken: refreshToken)
        var renewed = token
        renewed.accessToken = issued.accessToken
        renewed.expiresAt = time.addingTimeInterval(TimeInterval(issued.expiresIn))
        if let rotated = issued.refreshToken { renewed.refreshToken = rotated }
        try? cache.store(renewed, key: configuration.cacheKey)
        return renewed
    }

    /// What the portal's refusal means for the user.
    private func refusal(_ failure: SSOClient.Failure) -> S3ClientError {
        let role = "role '\(configuration.roleName)' in account \(configuration.accountID)"
        switch (failure.status, failure.code) {
        case (401, _), (_, "UnauthorizedException"):
            return S3ClientError(
                .credentials,
                "the SSO portal refused the cached token for \(configuration.tokenOwner) (\(failure)): the login has expired or was signed out; \(advice)"
            )
        case (403, _), (404, _), (_, "ForbiddenException"), (_, "ResourceNotFoundException"):
            return S3ClientError(
                .credentials,
                "the SSO portal gives no credentials for \(role) to this login (\(failure)): check sso_account_id and sso_role_name of profile '\(profileName)' and that the permission set is assigned to you"
            )
        default:
            return S3ClientError(.credentials, "SSO GetRoleCredentials for \(role) failed: \(failure)")
        }
    }

    /// Whether two start URLs name the same portal: a trailing `/` and letter case do not matter.
    static func sameStartURL(_ lhs: String, _ rhs: String) -> Bool {
        func normalized(_ url: String) -> String {
            var url = url.trimmingSpaces
            while url.hasSuffix("/") { url.removeLast() }
            return url.lowercased()
        }
        return normalized(lhs) == normalized(rhs)
    }
}
