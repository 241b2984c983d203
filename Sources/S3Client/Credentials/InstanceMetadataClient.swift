import Foundation
import Synchronization

/// The EC2 instance metadata service, version 2 only (no fallback to the token-less v1).
///
/// A session token comes from `PUT /latest/api/token` with
/// `x-aws-ec2-metadata-token-ttl-seconds: 21600` and goes with every `GET` as
/// `x-aws-ec2-metadata-token`; it is reused until 2 minutes before it expires. The endpoint is
/// `http://169.254.169.254`, `http://[fd00:ec2::254]` with
/// `AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE=IPv6`, or `AWS_EC2_METADATA_SERVICE_ENDPOINT`.
/// `AWS_EC2_METADATA_DISABLED=true` turns it off.
///
/// Off EC2 nothing answers, so calls must give up fast: 1 s to connect and 1 s per read, a
/// connection that fails is not retried, and an answer of 5xx or 401 (stale token) is tried once
/// more.
public struct InstanceMetadataClient: Sendable {
    public static let defaultEndpoint = "http://169.254.169.254"
    public static let ipv6Endpoint = "http://[fd00:ec2::254]"
    static let tokenTTLSeconds = 21600
    static let tokenRefreshMargin: TimeInterval = 120

    /// The service could not be reached while asking for a token: not on EC2, or blocked.
    struct Unavailable: Error, Sendable, CustomStringConvertible {
        let reason: String
        var description: String { reason }
    }

    private final class TokenStore: Sendable {
        let state = Mutex<(token: String, expires: Date)?>(nil)
    }

    /// Base URL without trailing slash.
    public let endpoint: String
    public let isDisabled: Bool
    let connectTimeout: Duration
    let readTimeout: Duration
    let now: @Sendable () -> Date
    private let tokens = TokenStore()

    /// Reads `AWS_EC2_METADATA_DISABLED`, `AWS_EC2_METADATA_SERVICE_ENDPOINT` and
    /// `AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE`, then the profile's `ec2_metadata_service_endpoint`
    /// and `ec2_metadata_service_endpoint_mode`.
    public init(
        environment: [String: String], profile: SharedConfigSection? = nil,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        func setting(_ variable: String, _ key: String) -> String? {
            if let value = environment[variable]?.trimmingSpaces, !value.isEmpty { return value }
            return profile?[key]
        }
        isDisabled = environment["AWS_EC2_METADATA_DISABLED"]?.trimmingSpaces.lowercased() == "true"
        var endpoint: String
        if let configured = setting("AWS_EC2_METADATA_SERVICE_ENDPOINT", "ec2_metadata_service_endpoint") {
            endpoint = configured
        } else if setting("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "ec2_metadata_service_endpoint_mode")?
            .lowercased() == "ipv6"
        {
            endpoint = Self.ipv6Endpoint
        } else {
            endpoint = Self.defaultEndpoint
        }
        while endpoint.hasSuffix("/") { endpoint.removeLast() }
        self.endpoint = endpoint
        self.connectTimeout = .seconds(1)
        self.readTimeout = .seconds(1)
        self.now = now
    }

    /// The instance's region (`/latest/meta-data/placement/region`), or `nil` when disabled,
    /// unreachable or unanswered.
    public func region() async -> String? {
        guard !isDisabled else { return nil }
        let answer = try? await withHTTP { http in try await get("/latest/meta-data/placement/region", http: http) }
        guard let region = answer?.trimmingSpaces, !region.isEmpty else { return nil }
        return region
    }

    /// Runs `body` with an HTTP client using the metadata timeouts.
    func withHTTP<Result: Sendable>(_ body: (CredentialHTTPClient) async throws -> Result) async throws -> Result {
        try await CredentialHTTPClient.with(connectTimeout: connectTimeout, readTimeout: readTimeout, body)
    }

    /// GETs a metadata path with the session token.
    /// - Returns: the body, or `nil` on 404.
    /// - Throws: ``Unavailable`` when no token could be had because nothing answered;
    ///   ``S3ClientError`` for other failures.
    func get(_ path: String, http: CredentialHTTPClient) async throws -> String? {
        var attempt = 0
        while true {
            attempt += 1
            let token = try await token(http: http)
            let response = try await http.send(
                .GET, endpoint + path, headers: [("x-aws-ec2-metadata-token", token)], deadline: .seconds(5),
                maxBytes: 64 << 10)
            switch response.status {
            case 200..<300:
                return response.body
            case 404:
                return nil
            case 401 where attempt < 2:
                tokens.state.withLock { $0 = nil }
            case 500..<600 where attempt < 2:
                try await Task.sleep(for: .milliseconds(100))
            default:
                throw S3ClientError(
                    .credentials, "instance metadata at \(endpoint) answered HTTP \(response.status) for \(path)")
            }
        }
    }

    /// The cached session token, or a new one.
    func token(http: CredentialHTTPClient) async throws -> String {
        let time = now()
        if let cached = tokens.state.withLock({ $0 }),
            cached.expires.timeIntervalSince(time) > Self.tokenRefreshMargin
        {
            return cached.token
        }
        var attempt = 0
        while true {
            attempt += 1
            let response: CredentialHTTPClient.Response
            do {
                response = try await http.send(
                    .PUT, endpoint + "/latest/api/token",
                    headers: [("x-aws-ec2-metadata-token-ttl-seconds", String(Self.tokenTTLSeconds))],
                    deadline: .seconds(5), maxBytes: 4096)
            } catch let error as S3ClientError where error.kind == .connection || error.kind == .timeout {
                throw Unavailable(reason: error.message)
            }
            switch response.status {
            case 200..<300:
                let token = response.body.trimmingSpaces
                guard !token.isEmpty else {
                    throw S3ClientError(.credentials, "instance metadata at \(endpoint) answered an empty token")
                }
                let ttl =
                    response.headers.first(name: "x-aws-ec2-metadata-token-ttl-seconds").flatMap { Int($0) }
                    ?? Self.tokenTTLSeconds
                tokens.state.withLock { $0 = (token, time.addingTimeInterval(TimeInterval(ttl))) }
                return token
            case 403, 404, 405:
                // IMDS turned off on the instance, or something else listens there.
                throw Unavailable(reason: "\(endpoint) answered HTTP \(response.status) to the token request")
            case 500..<600 where attempt < 2:
                try await Task.sleep(for: .milliseconds(100))
            default:
                throw S3ClientError(
                    .credentials,
                    "instance metadata at \(endpoint) answered HTTP \(response.status) to the token request"
                )
            }
        }
    }
}
