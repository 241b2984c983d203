import Crypto
import Foundation
import Synchronization

/// IAM Identity Center for a ``MetadataServer``: the SSO portal's `GetRoleCredentials`
/// (`GET /federation/credentials?role_name=…&account_id=…` with `x-amz-sso_bearer_token`) and
/// SSO OIDC's `CreateToken` (`POST /token` with a refresh token), answering as AWS does.
///
/// The portal gives one role in one account, for the access tokens it knows: the one given at
/// init and those `CreateToken` issued. Credentials carry the configured key pair (so a test
/// server's `--auth-key` can match them) and a fresh session token on every fetch
/// (`sso-session-1`, ...). `CreateToken` rotates the refresh token, as the service may.
///
/// ```swift
/// let portal = FakeSSOPortal()
/// try await MetadataServer.with(portal.handler) { server in
///     // AWS_ENDPOINT_URL_SSO and AWS_ENDPOINT_URL_SSO_OIDC = server.baseURL
/// }
/// ```
public final class FakeSSOPortal: Sendable {
    public static let clientID = "fake-client-id"
    public static let clientSecret = "fake-client-secret"

    public let accountID: String
    public let roleName: String
    public let accessKeyID: String
    public let secretAccessKey: String

    private struct State {
        var accessTokens: Set<String>
        var refreshTokens: Set<String>
        var fetches = 0
        var refreshes = 0
        var credentialLifetime: TimeInterval
        var issuedTokenLifetime: Int
    }

    private let state: Mutex<State>

    /// - Parameters:
    ///   - accessToken: the token a login cached, which the portal accepts.
    ///   - refreshToken: the refresh token of that login, which `CreateToken` accepts.
    ///   - credentialLifetime: how long role credentials last.
    ///   - issuedTokenLifetime: `expiresIn` of the tokens `CreateToken` issues.
    public init(
        accountID: String = "111122223333", roleName: String = "ReadOnly", accessToken: String = "cached-access-token",
        refreshToken: String = "cached-refresh-token", accessKeyID: String = "ASIASSOROLE",
        secretAccessKey: String = "sso-role-secret", credentialLifetime: TimeInterval = 3600,
        issuedTokenLifetime: Int = 3600
    ) {
        self.accountID = accountID
        self.roleName = roleName
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.state = Mutex(
            State(
                accessTokens: [accessToken], refreshTokens: [refreshToken], credentialLifetime: credentialLifetime,
                issuedTokenLifetime: issuedTokenLifetime))
    }

    public var handler: MetadataServer.Handler { { [self] request in self.respond(request) } }

    /// Role credentials handed out so far.
    public var fetches: Int { state.withLock { $0.fetches } }
    /// Tokens `CreateToken` issued so far.
    public var refreshes: Int { state.withLock { $0.refreshes } }

    /// Signs every login out: no access token is accepted any more.
    public func revokeAccessTokens() {
        state.withLock { $0.accessTokens = [] }
    }

    func respond(_ request: MetadataServer.Request) -> MetadataServer.Response {
        let (path, query) = Self.split(request.path)
        switch (request.method, path) {
        case ("GET", "/federation/credentials"):
            return roleCredentials(request, query: query)
        case ("POST", "/token"):
            return createToken(request)
        default:
            return Self.error(404, "ResourceNotFoundException", message: "no such operation")
        }
    }

    private func roleCredentials(_ request: MetadataServer.Request, query: [String: String]) -> MetadataServer.Response
    {
        let known = state.withLock { state in request.header("x-amz-sso_bearer_token").map(state.accessTokens.contains)
        }
        guard known == true else {
            return Self.error(401, "UnauthorizedException", message: "Session token not found or invalid")
        }
        guard query["role_name"] == roleName, query["account_id"] == accountID else {
            return Self.error(403, "ForbiddenException", message: "No access")
        }
        let (serial, lifetime) = state.withLock { state in
            state.fetches += 1
            return (state.fetches, state.credentialLifetime)
        }
        let expiration = Int64((Date().timeIntervalSince1970 + lifetime) * 1000)
        return .json(
            """
            {"roleCredentials": {"accessKeyId": "\(accessKeyID)", "secretAccessKey": "\(secretAccessKey)",
             "sessionToken": "sso-session-\(serial)", "expiration": \(expiration)}}
            """)
    }

    private func createToken(_ request: MetadataServer.Request) -> MetadataServer.Response {
        struct Body: Decodable {
            var clientId: String?
            var clientSecret: String?
            var grantType: String?
            var refreshToken: String?
        }
        guard let body = try? JSONDecoder().decode(Body.self, from: Data(request.body.utf8)),
            body.grantType == "refresh_token"
        else {
            return Self.oidcError(400, "InvalidRequestException", "invalid_request", "expected a refresh_token grant")
        }
        guard body.clientId == Self.clientID, body.clientSecret == Self.clientSecret else {
            return Self.oidcError(401, "InvalidClientException", "invalid_client", "Invalid client provided")
        }
        let issued: (serial: Int, lifetime: Int)? = state.withLock { state in
            guard let token = body.refreshToken, state.refreshTokens.remove(token) != nil else { return nil }
            state.refreshes += 1
            state.accessTokens.insert("issued-access-token-\(state.refreshes)")
            state.refreshTokens.insert("issued-refresh-token-\(state.refreshes)")
            return (state.refreshes, state.issuedTokenLifetime)
        }
        guard let issued else {
            return Self.oidcError(400, "InvalidGrantException", "invalid_grant", "Invalid refresh token provided")
        }
        return .json(
            """
            {"accessToken": "issued-access-token-\(issued.serial)", "tokenType": "Bearer",
             "expiresIn": \(issued.lifetime), "refreshToken": "issued-refresh-token-\(issued.serial)"}
            """)
    }

    static func error(_ status: Int, _ type: String, message: String) -> MetadataServer.Response {
        var response = MetadataServer.Response.json(#"{"message": "\#(message)"}"#, status: status)
        response.headers.append(
            ("x-amzn-ErrorType", "\(type):http://internal.amazon.com/coral/com.amazon.switchboard/"))
        response.headers.append(("x-amzn-RequestId", "fake-request-id"))
        return response
    }

    static func oidcError(_ status: Int, _ type: String, _ error: String, _ description: String)
        -> MetadataServer.Response
    {
        var response = MetadataServer.Response.json(
            #"{"error": "\#(error)", "error_description": "\#(description)"}"#, status: status)
        response.headers.append(("x-amzn-ErrorType", type))
        return response
    }

    /// `/a?b=c&d=e` → (`/a`, [b: c, d: e]), values percent-decoded.
    static func split(_ target: String) -> (String, [String: String]) {
        guard let mark = target.firstIndex(of: "?") else { return (target, [:]) }
        var query: [String: String] = [:]
        for pair in target[target.index(after: mark)...].split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0]).removingPercentEncoding ?? String(parts[0])
            let value = parts.count > 1 ? (String(parts[1]).removingPercentEncoding ?? String(parts[1])) : ""
            query[name] = value
        }
        return (String(target[..<mark]), query)
    }

    /// Where `aws sso login` caches the token for `key` (a session name, or a legacy start URL),
    /// relative to HOME: `.aws/sso/cache/<sha1 hex>.json`.
    public static func cachePath(key: String) -> String {
        let digest = Insecure.SHA1.hash(data: Array(key.utf8))
        return ".aws/sso/cache/" + digest.map { String(format: "%02x", $0) }.joined() + ".json"
    }

    /// A cache file as `aws sso login` writes it; without `refreshToken`, as for the legacy form.
    public static func tokenFile(
        accessToken: String = "cached-access-token", expiresAt: Date, startURL: String, region: String = "us-east-1",
        refreshToken: String? = nil, registrationExpiresAt: Date? = nil
    ) -> String {
        var fields = [
            #""startUrl": "\#(startURL)""#, #""region": "\#(region)""#, #""accessToken": "\#(accessToken)""#,
            #""expiresAt": "\#(FakeInstanceMetadataService.timestamp(expiresAt))""#,
        ]
        if let refreshToken {
            let registration = registrationExpiresAt ?? Date().addingTimeInterval(90 * 86400)
            fields += [
                #""clientId": "\#(clientID)""#, #""clientSecret": "\#(clientSecret)""#,
                #""registrationExpiresAt": "\#(FakeInstanceMetadataService.timestamp(registration))""#,
                #""refreshToken": "\#(refreshToken)""#,
            ]
        }
        return "{" + fields.joined(separator: ", ") + "}"
    }
}
