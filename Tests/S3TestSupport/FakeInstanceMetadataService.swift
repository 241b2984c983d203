import Foundation
import Synchronization

/// The parts of the EC2 instance metadata service (IMDSv2) credential providers use, for a
/// ``MetadataServer``: it issues session tokens, refuses GETs without a valid one (401) and a
/// token request without a TTL header (400), and serves a role's credentials, fresh keys on every
/// fetch (`ASIAIMDS1`, `ASIAIMDS2`, ...).
public final class FakeInstanceMetadataService: Sendable {
    public let roleName: String
    public let region: String

    private struct State {
        var tokens: [String] = []
        var credentialFetches = 0
        var lifetime: TimeInterval
        var requestedTTLs: [String] = []
    }

    private let state: Mutex<State>

    /// - Parameter credentialLifetime: seconds from each fetch to the credentials' `Expiration`
    ///   (negative for credentials that are already expired).
    public init(
        roleName: String = "s3sync-test-role", region: String = "eu-central-1", credentialLifetime: TimeInterval = 3600
    ) {
        self.roleName = roleName
        self.region = region
        self.state = Mutex(State(lifetime: credentialLifetime))
    }

    public var handler: MetadataServer.Handler { { [self] request in self.respond(request) } }

    /// Credential documents served so far.
    public var credentialFetches: Int { state.withLock { $0.credentialFetches } }
    /// Tokens issued so far.
    public var tokensIssued: Int { state.withLock { $0.tokens.count } }
    /// The `x-aws-ec2-metadata-token-ttl-seconds` values received.
    public var requestedTTLs: [String] { state.withLock { $0.requestedTTLs } }

    /// Makes every issued token invalid, as after the instance's tokens expired.
    public func revokeTokens() {
        state.withLock { $0.tokens = $0.tokens.map { "revoked-" + $0 } }
    }

    public func setCredentialLifetime(_ seconds: TimeInterval) {
        state.withLock { $0.lifetime = seconds }
    }

    func respond(_ request: MetadataServer.Request) -> MetadataServer.Response {
        if request.method == "PUT" && request.path == "/latest/api/token" {
            guard let ttl = request.header("x-aws-ec2-metadata-token-ttl-seconds"), let seconds = Int(ttl),
                (1...21600).contains(seconds)
            else {
                return .text("missing or invalid x-aws-ec2-metadata-token-ttl-seconds", status: 400)
            }
            let token = state.withLock { state in
                state.requestedTTLs.append(ttl)
                let token = "imds-token-\(state.tokens.count + 1)"
                state.tokens.append(token)
                return token
            }
            var response = MetadataServer.Response.text(token)
            response.headers.append(("x-aws-ec2-metadata-token-ttl-seconds", ttl))
            return response
        }
        guard request.method == "GET" else { return .text("method not allowed", status: 405) }
        let token = request.header("x-aws-ec2-metadata-token")
        guard let token, state.withLock({ $0.tokens.contains(token) }) else {
            return .text("unauthorized", status: 401)
        }
        switch request.path {
        case "/latest/meta-data/iam/security-credentials/":
            return .text(roleName)
        case "/latest/meta-data/iam/security-credentials/\(roleName)":
            let (serial, lifetime) = state.withLock { state in
                state.credentialFetches += 1
                return (state.credentialFetches, state.lifetime)
            }
            let expiration = Self.timestamp(Date().addingTimeInterval(lifetime))
            return .json(
                """
                {"Code": "Success", "LastUpdated": "\(Self.timestamp(Date()))", "Type": "AWS-HMAC",
                 "AccessKeyId": "ASIAIMDS\(serial)", "SecretAccessKey": "imds-secret-\(serial)",
                 "Token": "imds-session-\(serial)", "Expiration": "\(expiration)"}
                """)
        case "/latest/meta-data/placement/region":
            return .text(region)
        default:
            return .text("not found", status: 404)
        }
    }

    /// `2024-05-01T12:00:00Z`.
    public static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}
