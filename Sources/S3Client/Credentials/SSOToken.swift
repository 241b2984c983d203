import Foundation

/// A token `aws sso login` cached: the bearer token the SSO portal accepts and, for an
/// `sso-session`, the client registration and refresh token that renew it.
///
/// The file's fields are `accessToken` and `expiresAt` (required), `refreshToken`, `clientId`,
/// `clientSecret`, `registrationExpiresAt`, `startUrl` and `region`; times are RFC 3339 UTC.
/// `description` never shows a token or the client secret.
struct SSOToken: Sendable, Hashable, CustomStringConvertible {
    var accessToken: String
    var expiresAt: Date
    var refreshToken: String?
    var clientID: String?
    var clientSecret: String?
    var registrationExpiresAt: Date?
    var startURL: String?
    var region: String?

    /// What makes a token cache file unusable, in words for a message.
    struct Problem: Error, Sendable {
        let description: String
        init(_ description: String) { self.description = description }
    }

    var description: String {
        "SSOToken(accessToken: <redacted>, expiresAt: \(Timestamp.iso8601(secondsSince1970: Int(expiresAt.timeIntervalSince1970))), refreshToken: \(refreshToken == nil ? "none" : "<redacted>"))"
    }

    /// The fields of a cache file, all optional so a damaged file can be described.
    private struct Document: Decodable {
        var accessToken: String?
        var expiresAt: String?
        var refreshToken: String?
        var clientId: String?
        var clientSecret: String?
        var registrationExpiresAt: String?
        var startUrl: String?
        var region: String?
    }

    /// Reads a cache file's contents.
    /// - Throws: a short description of what is wrong (never the contents), for the caller to
    ///   put in context.
    static func decode(_ data: Data) throws(Problem) -> SSOToken {
        let document: Document
        do {
            document = try JSONDecoder().decode(Document.self, from: data)
        } catch {
            throw Problem("it is not a JSON object with the fields `aws sso login` writes")
        }
        guard let accessToken = document.accessToken, !accessToken.isEmpty else {
            throw Problem("it has no accessToken")
        }
        guard let text = document.expiresAt else { throw Problem("it has no expiresAt") }
        guard let expiresAt = Timestamp.parseISO8601(text.trimmingSpaces) else {
            throw Problem("its expiresAt is not an RFC 3339 time (such as 2024-05-01T12:00:00Z): \(text)")
        }
        func nonEmpty(_ value: String?) -> String? { value.flatMap { $0.isEmpty ? nil : $0 } }
        return SSOToken(
            accessToken: accessToken, expiresAt: Date(timeIntervalSince1970: expiresAt),
            refreshToken: nonEmpty(document.refreshToken), clientID: nonEmpty(document.clientId),
            clientSecret: nonEmpty(document.clientSecret),
            registrationExpiresAt: document.registrationExpiresAt.flatMap {
                Timestamp.parseISO8601($0.trimmingSpaces).map(Date.init(timeIntervalSince1970:))
            }, startURL: nonEmpty(document.startUrl), region: nonEmpty(document.region))
    }

    /// Whether SSO OIDC `CreateToken` can renew this token at `now`: it has a refresh token and a
    /// client registration that has not expired.
    func isRefreshable(now: Date) -> Bool {
        guard refreshToken != nil, clientID != nil, clientSecret != nil else { return false }
        if let registrationExpiresAt, registrationExpiresAt <= now { return false }
        return true
    }
}
