import Crypto
import Foundation

/// Just enough of AWS STS for credential providers: `AssumeRole` (signed with SigV4, service
/// `sts`) and `AssumeRoleWithWebIdentity` (unsigned), over the Query API: a form-encoded POST,
/// an XML answer.
///
/// Transient failures (connection, timeout, 5xx, throttling) are retried twice with a short
/// backoff; anything else is an ``S3ClientError`` of kind `credentials` that names the role.
public struct STSClient: Sendable {
    /// Where requests go, e.g. `https://sts.eu-west-1.amazonaws.com`.
    public let endpointURL: String
    /// The region requests are signed for.
    public let region: String
    let now: @Sendable () -> Date

    /// - Parameters:
    ///   - region: the signing region; also picks the regional endpoint when `endpointURL` is nil.
    ///   - endpointURL: a configured endpoint (`AWS_ENDPOINT_URL_STS`, `AWS_ENDPOINT_URL`, ...).
    public init(region: String, endpointURL: String? = nil, now: @escaping @Sendable () -> Date = { Date() }) {
        self.region = region.isEmpty ? "us-east-1" : region
        self.endpointURL = endpointURL ?? Self.regionalEndpoint(region: self.region)
        self.now = now
    }

    /// `https://sts.REGION.amazonaws.com` (`.amazonaws.com.cn` in the China regions).
    public static func regionalEndpoint(region: String) -> String {
        let suffix = region.hasPrefix("cn-") ? "amazonaws.com.cn" : "amazonaws.com"
        return "https://sts.\(region).\(suffix)"
    }

    /// Assumes a role with the caller's credentials.
    /// - Parameters:
    ///   - durationSeconds: how long the session lasts (900–43200); STS's default (1 hour) when nil.
    /// - Throws: ``S3ClientError`` (credentials) when STS refuses or cannot be reached.
    public func assumeRole(
        roleARN: String, sessionName: String, externalID: String? = nil, durationSeconds: Int? = nil,
        credentials: AWSCredentials
    ) async throws -> AWSCredentials {
        var parameters = [("RoleArn", roleARN), ("RoleSessionName", sessionName)]
        if let externalID { parameters.append(("ExternalId", externalID)) }
        if let durationSeconds { parameters.append(("DurationSeconds", String(durationSeconds))) }
        let result = try await call(
            "AssumeRole", parameters: parameters, credentials: credentials, subject: "role \(roleARN)")
        return try Self.credentials(in: result, action: "AssumeRole", subject: "role \(roleARN)")
    }

    /// Exchanges an OpenID Connect token (EKS, GitHub Actions, ...) for a role's credentials. The
    /// request is not signed.
    /// - Throws: ``S3ClientError`` (credentials) when STS refuses or cannot be reached.
    public func assumeRoleWithWebIdentity(
        roleARN: String, sessionName: String, webIdentityToken: String, durationSeconds: Int? = nil
    ) async throws -> AWSCredentials {
        var parameters = [
            ("RoleArn", roleARN), ("RoleSessionName", sessionName), ("WebIdentityToken", webIdentityToken),
        ]
        if let durationSeconds { parameters.append(("DurationSeconds", String(durationSeconds))) }
        let result = try await call(
            "AssumeRoleWithWebIdentity", parameters: parameters, credentials: nil, subject: "role \(roleARN)")
        return try Self.credentials(in: result, action: "AssumeRoleWithWebIdentity", subject: "role \(roleARN)")
    }

    /// The ARN of the identity the credentials belong to (`GetCallerIdentity`).
    public func callerIdentityARN(credentials: AWSCredentials) async throws -> String {
        let result = try await call("GetCallerIdentity", parameters: [], credentials: credentials, subject: "caller")
        guard let arn = result.string("Arn"), !arn.isEmpty else {
            throw S3ClientError(.invalidResponse, "STS GetCallerIdentity answered without an Arn")
        }
        return arn
    }

    /// A session name for when the profile sets none: `s3sync-<milliseconds since 1970>`.
    static func defaultSessionName(prefix: String = "s3sync", now: Date) -> String {
        "\(prefix)-\(Int64(now.timeIntervalSince1970 * 1000))"
    }

    /// The form body of a Query API call.
    static func formBody(action: String, parameters: [(String, String)]) -> String {
        ([("Action", action), ("Version", "2011-06-15")] + parameters)
            .map { S3PercentEncoding.encodeQueryComponent($0.0) + "=" + S3PercentEncoding.encodeQueryComponent($0.1) }
            .joined(separator: "&")
    }

    /// Sends one action and returns its `<ActionResult>` element.
    func call(_ action: String, parameters: [(String, String)], credentials: AWSCredentials?, subject: String)
        async throws -> XMLElement
    {
        let endpoint: S3Endpoint
        do {
            endpoint = try S3Endpoint(url: endpointURL)
        } catch {
            throw S3ClientError(.configuration, "the STS endpoint is unusable: \(error.message)")
        }
        let body = Self.formBody(action: action, parameters: parameters)
        let authority = endpoint.authority(host: endpoint.host)
        let path = endpoint.basePath.isEmpty ? "/" : endpoint.basePath
        let url = "\(endpoint.scheme)://\(authority)\(path)"
        let failurePrefix = "STS \(action) for \(subject) at \(endpoint)"

        return try await CredentialHTTPClient.retrying(what: failurePrefix) {
            var signable = SignableRequest(
                method: "POST", encodedPath: path,
                headers: [
                    ("host", authority), ("content-type", "application/x-www-form-urlencoded; charset=utf-8"),
                ],
                payloadHash: Hex.encode(SHA256.hash(data: Array(body.utf8))))
            if let credentials {
                let signer = SigV4Signer(credentials: credentials, region: region, service: "sts")
                signer.sign(&signable, date: AmzDate(now()))
            }
            let headers = signable.headers.map { ($0.name, $0.value) }
            let response = try await CredentialHTTPClient.with(connectTimeout: .seconds(5), readTimeout: .seconds(10)) {
                client in
                try await client.send(.POST, url, headers: headers, body: body, deadline: .seconds(30))
            }
            if (200..<300).contains(response.status) {
                guard let root = try? XMLDocumentParser.parse(response.body),
                    let result = root.child("\(action)Result")
                else {
                    throw S3ClientError(.credentials, "\(failurePrefix): the answer is not an STS response")
                }
                return .done(result)
            }
            let error = Self.serviceError(response, prefix: failurePrefix)
            guard response.status >= 500 || error.code == "Throttling" || error.code == "IDPCommunicationError" else {
                throw S3ClientError(.credentials, error.message)
            }
            return .retry(S3ClientError(.credentials, error.message))
        }
    }

    static func serviceError(_ response: CredentialHTTPClient.Response, prefix: String) -> (
        code: String, message: String
    ) {
        let root = try? XMLDocumentParser.parse(response.body)
        let error = root?.child("Error") ?? (root?.name == "Error" ? root : nil)
        let code = error?.string("Code") ?? "HTTP\(response.status)"
        var message = "\(prefix) failed: \(code) (HTTP \(response.status))"
        if let text = error?.string("Message"), !text.isEmpty { message += ": \(text)" }
        if let requestID = root?.string("RequestId") ?? response.headers.first(name: "x-amzn-requestid") {
            message += " [request id \(requestID)]"
        }
        switch code {
        case "AccessDenied":
            message += ". Check the role's trust policy allows this caller (and the external id, if one is required)"
        case "ExpiredTokenException", "InvalidIdentityToken":
            message += ". The web identity token is expired or not trusted by the role"
        case "RegionDisabledException":
            message += ". Activate STS in this region or set AWS_ENDPOINT_URL_STS / the profile's region"
        default:
            break
        }
        return (code, message)
    }

    static func credentials(in result: XMLElement, action: String, subject: String) throws -> AWSCredentials {
        guard let element = result.child("Credentials"), let key = element.string("AccessKeyId"), !key.isEmpty,
            let secret = element.string("SecretAccessKey"), !secret.isEmpty
        else {
            throw S3ClientError(.credentials, "STS \(action) for \(subject) answered without credentials")
        }
        let expiration = element.string("Expiration").flatMap {
            Timestamp.parseISO8601($0.trimmingSpaces).map(Date.init(timeIntervalSince1970:))
        }
        return AWSCredentials(
            accessKeyID: key, secretAccessKey: secret, sessionToken: element.string("SessionToken"),
            expiration: expiration)
    }
}
