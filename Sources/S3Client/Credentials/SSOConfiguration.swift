/// The IAM Identity Center (SSO) settings of a profile: the portal to sign in at, its region, and
/// the account and role to get credentials for.
///
/// Two forms exist (see ``resolve(_:in:)``):
///
/// ```ini
/// [profile dev]                      [profile old]
/// sso_session = corp                 sso_start_url = https://d-abc123.awsapps.com/start
/// sso_account_id = 111122223333      sso_region = us-east-1
/// sso_role_name = ReadOnly           sso_account_id = 111122223333
///                                    sso_role_name = ReadOnly
/// [sso-session corp]
/// sso_start_url = https://d-abc123.awsapps.com/start
/// sso_region = us-east-1
/// ```
///
/// `aws sso login` caches the session form's token under the session's name and the legacy
/// form's under its start URL (``cacheKey``); only the session form's token can be refreshed.
public struct SSOConfiguration: Sendable, Hashable {
    /// `sso_start_url`: the portal's start page.
    public var startURL: String
    /// `sso_region`: where the portal and its token service are.
    public var region: String
    /// `sso_account_id`.
    public var accountID: String
    /// `sso_role_name`: the permission set's role in that account.
    public var roleName: String
    /// The `[sso-session NAME]` the profile names; `nil` for the legacy form.
    public var sessionName: String?

    public init(startURL: String, region: String, accountID: String, roleName: String, sessionName: String? = nil) {
        self.startURL = startURL
        self.region = region
        self.accountID = accountID
        self.roleName = roleName
        self.sessionName = sessionName
    }

    /// What the token cache file is named after: the session's name, else the start URL verbatim.
    public var cacheKey: String { sessionName ?? startURL }

    /// What the cached token belongs to, for messages: `sso-session 'corp'` or the start URL.
    var tokenOwner: String { sessionName.map { "sso-session '\($0)'" } ?? "start URL \(startURL)" }

    /// What to run when there is no valid token, e.g. "run `aws sso login --profile dev`".
    /// - Parameter profile: the profile these settings belong to.
    public func loginAdvice(profile: String) -> String {
        var advice = "run `aws sso login --profile \(profile)`"
        if let sessionName { advice += " (or `aws sso login --sso-session \(sessionName)`)" }
        return advice + " and try again"
    }

    /// The settings a profile holds that need a token from the SSO cache.
    ///
    /// The rules are botocore's: a profile uses SSO credentials when it sets `sso_account_id` or
    /// `sso_role_name`. With `sso_session`, the `[sso-session NAME]` section must exist and
    /// supplies `sso_start_url` and `sso_region`; a copy of either in the profile must be the
    /// same value. Without it, the profile holds all four settings itself.
    /// - Returns: `nil` when the profile sets neither `sso_account_id` nor `sso_role_name`.
    /// - Throws: ``S3ClientError`` (configuration) naming what is missing or inconsistent.
    public static func resolve(_ profile: SharedConfigSection, in configuration: SharedConfiguration)
        throws(S3ClientError) -> SSOConfiguration?
    {
        guard profile["sso_account_id"] != nil || profile["sso_role_name"] != nil else { return nil }
        let name = profile.name
        var settings: [String: String] = [:]
        for key in ["sso_start_url", "sso_region", "sso_account_id", "sso_role_name"] {
            settings[key] = profile[key]
        }
        let sessionName = profile["sso_session"]
        if let sessionName {
            guard let session = configuration.ssoSessions[sessionName] else {
                throw S3ClientError(
                    .configuration,
                    "profile '\(name)' has sso_session = \(sessionName), but no [sso-session \(sessionName)] section is defined in the config file"
                )
            }
            for key in ["sso_start_url", "sso_region"] {
                guard let value = session[key] else { continue }
                if let own = settings[key], own != value {
                    throw S3ClientError(
                        .configuration,
                        "profile '\(name)' has \(key) = \(own) but its [sso-session \(sessionName)] has \(key) = \(value): remove it from the profile or make them the same"
                    )
                }
                settings[key] = value
            }
        }
        guard let startURL = settings["sso_start_url"], let region = settings["sso_region"],
            let accountID = settings["sso_account_id"], let roleName = settings["sso_role_name"]
        else {
            let required = ["sso_start_url", "sso_region", "sso_account_id", "sso_role_name"]
            let missing = required.filter { settings[$0] == nil }.joined(separator: ", ")
            let place = sessionName.map { " (sso_start_url and sso_region may be in [sso-session \($0)])" } ?? ""
            throw S3ClientError(
                .configuration,
                "profile '\(name)' is configured for IAM Identity Center (SSO) but is missing \(missing)\(place)")
        }
        return SSOConfiguration(
            startURL: startURL, region: region, accountID: accountID, roleName: roleName, sessionName: sessionName)
    }
}
