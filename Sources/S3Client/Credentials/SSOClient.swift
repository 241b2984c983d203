import Foundation
import NIOHTTP1

/// Just enough of IAM Identity Center for a credential provider: the SSO portal's
/// `GetRoleCredentials` (the cached bearer token in, a role's credentials out) and SSO OIDC's
/// `CreateToken` with a refresh token. Both calls are unsigned JSON over HTTPS.
///
/// Transient failures (connection, timeout, 5xx, `TooManyRequestsException`) are tried three
/// times with a short backoff; what the service refuses is a ``Failure`` for the provider to
/// explain. No token, secret or key is ever part of an error.
public struct SSOClient: Sendable {
    /// The portal endpoint to use instead of `https://portal.sso.REGION.amazonaws.com`
    /// (`AWS_ENDPOINT_URL_SSO`, ...).
    public let portalEndpointURL: String?
    /// The OIDC endpoint to use instead of `https://oidc.REGION.amazonaws.com`
    /// (`AWS_ENDPOINT_URL_SSO_OIDC`, ...).
    public let oidcEndpointURL: String?

    /// An answer the service gave that is not a success.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let status: Int
        /// The error's code, e.g. `UnauthorizedException`; `HTTP<status>` when none was given.
        public let code: String
        public let message: String?
        public let requestID: String?

        public var description: String {
            var text = "\(code) (HTTP \(status))"
            if let message, !message.isEmpty { text += ": \(message)" }
            if let requestID { text += " [request id \(requestID)]" }
            return text
        }
    }

    /// A token `CreateToken` issued.
    public struct IssuedToken: Sendable {
        public let accessToken: String
        public let expiresIn: Int
        /// A new refresh token, when the service rotated it.
        public let refreshToken: String?
    }

    public init(portalEndpointURL: String? = nil, oidcEndpointURL: String? = nil) {
        self.portalEndpointURL = portalEndpointURL.flatMap { $0.isEmpty ? nil : $0 }
        self.oidcEndpointURL = oidcEndpointURL.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// `https://portal.sso.REGION.amazonaws.com` (`.amazonaws.com.cn` in the China regions).
    public static func portalEndpoint(region: String) -> String {
        "https://portal.sso.\(region).\(domain(region: region))"
    }

    /// `https://oidc.REGION.amazonaws.com` (`.amazonaws.com.cn` in the China regions).
    public static func oidcEndpoint(region: String) -> String {
        "https://oidc.\(region).\(domain(region: region))"
    }

    private static func domain(region: String) -> String {
        region.hasPrefix("cn-") ? "amazonaws.com.cn" : "amazonaws.com"
    }

    /// `GetRoleCredentials`: the role's temporary credentials for a portal access token.
    /// - Throws: ``Failure`` when the portal refuses (401 `UnauthorizedException` for an expired
    ///   or revoked token); ``S3ClientError`` when it cannot be reached or answers nonsense.
    public func roleCredentials(region: String, accountID: String, roleName: String, accessToken: String)
        async throws -> AWSCredentials
    {
        let base = Self.trimmed(portalEndpointURL ?? Self.portalEndpoint(region: region))
        let url =
            "\(base)/federation/credentials?role_name=\(S3PercentEncoding.encodeQueryComponent(roleName))"
            + "&account_id=\(S3PercentEncoding.encodeQueryComponent(accountID))"
        let what = "SSO GetRoleCredentials at \(base)"
        let response = try await send(
            .GET, url, headers: [("accept", "application/json"), ("x-amz-sso_bearer_token", accessToken)], body: nil,
            what: what)
        struct Answer: Decodable {
            struct RoleCredentials: Decodable {
                var accessKeyId: String?
                var secretAccessKey: String?
                var sessionToken: String?
                var expiration: Double?
            }
            var roleCredentials: RoleCredentials?
        }
        guard let answer = try? JSONDecoder().decode(Answer.self, from: Data(response.body.utf8)),
            let role = answer.roleCredentials
        else {
            throw S3ClientError(.invalidResponse, "\(what) answered something that is not role credentials")
        }
        guard let key = role.accessKeyId, !key.isEmpty, let secret = role.secretAccessKey, !secret.isEmpty else {
            throw S3ClientError(.invalidResponse, "\(what) answered without accessKeyId or secretAccessKey")
        }
        // Milliseconds since 1970, as botocore, Go and Rust read it.
        let expiration = role.expiration.map { Date(timeIntervalSince1970: $0 / 1000) }
        return AWSCredentials(
            accessKeyID: key, secretAccessKey: secret,
            sessionToken: role.sessionToken.flatMap { $0.isEmpty ? nil : $0 },
            expiration: expiration)
    }

    /// `CreateToken` with `grantType = refresh_token`: a new access token for a cached session.
    /// - Throws: ``Failure`` when the service refuses (`InvalidGrantException` for a refresh token
    ///   that expired or was revoked); ``S3ClientError`` when it cannot be reached.
    public func refreshToken(region: String, clientID: String, clientSecret: String, refreshToken: String)
        async throws -> IssuedToken
    {
        let base = Self.trimmed(oidcEndpointURL ?? Self.oidcEndpoint(region: region))
        let what = "SSO OIDC CreateToken at \(base)"
        let request: [String: String] = [
            "clientId": clientID, "clientSecret": clientSecret, "grantType": "refresh_token",
            "refreshToken": refreshToken,
        ]
        let body = String(
            decoding: try JSONSerialization.data(withJSONObject: request, options: [.sortedKeys]), as: UTF8.self)
        let response = try await send(
            .POST, base + "/token", headers: [("content-type", "application/json"), ("accept", "application/json")],
            body: body, what: what)
        struct Answer: Decodable {
            var accessToken: String?
            var expiresIn: Int?
            var refreshToken: String?
        }
        guard let answer = try? JSONDecoder().decode(Answer.self, from: Data(response.body.utf8)),
            let accessToken = answer.accessToken, !accessToken.isEmpty, let expiresIn = answer.expiresIn
        else {
            throw S3ClientError(.invalidResponse, "\(what) answered without accessToken and expiresIn")
        }
        return IssuedToken(
            accessToken: accessToken, expiresIn: expiresIn,
            refreshToken: answer.refreshToken.flatMap { $0.isEmpty ? nil : $0 })
    }

    private static func trimmed(_ url: String) -> String {
        var url = url
        while url.hasSuffix("/") { url.removeLast() }
        return url
    }

    /// Sends a request, trying transient failures again; returns a 2xx response.
    private func send(
        _ method: HTTPMethod, _ url: String, headers: [(String, String)], body: String?, what: String
    ) async throws -> CredentialHTTPClient.Response {
        try await CredentialHTTPClient.retrying(what: what) {
            let response = try await CredentialHTTPClient.with(connectTimeout: .seconds(5), readTimeout: .seconds(10)) {
                client in
                try await client.send(method, url, headers: headers, body: body, deadline: .seconds(30))
            }
            if (200..<300).contains(response.status) { return .done(response) }
            let failure = Self.failure(response)
            guard response.status >= 500 || failure.code == "TooManyRequestsException" else { throw failure }
            return .retry(failure)
        }
    }

    /// The error code from `x-amzn-ErrorType` (up to a `:`), else the body's `__type`, `code` or
    /// `error` (OIDC); the message from the body's `message`, `Message` or `error_description`.
    static func failure(_ response: CredentialHTTPClient.Response) -> Failure {
        struct Body: Decodable {
            var type: String?
            var code: String?
            var error: String?
            var message: String?
            var capitalMessage: String?
            var errorDescription: String?

            enum CodingKeys: String, CodingKey {
                case type = "__type"
                case code
                case error
                case message
                case capitalMessage = "Message"
                case errorDescription = "error_description"
            }
        }
        let body = try? JSONDecoder().decode(Body.self, from: Data(response.body.utf8))
        func shortened(_ code: String) -> String {
            // `UnauthorizedException:http://internal.amazon.com/coral/...` and `aws.protocol#Name`.
            var code = code
            if let colon = code.firstIndex(of: ":") { code = String(code[..<colon]) }
            if let hash = code.lastIndex(of: "#") { code = String(code[code.index(after: hash)...]) }
            return code
        }
        let code = [response.headers.first(name: "x-amzn-errortype"), body?.type, body?.code, body?.error]
            .compactMap { $0 }.first { !$0.isEmpty }.map(shortened)
        let message = [body?.message, body?.capitalMessage, body?.errorDescription].compactMap { $0 }
            .first { !$0.isEmpty }
        return Failure(
            status: response.status, code: code ?? "HTTP\(response.status)", message: message,
            requestID: response.headers.first(name: "x-amzn-requestid"))
    }
}
