import Foundation
import S3TestSupport
import Synchronization
import Testing

@testable import S3Client

/// STS AssumeRole and AssumeRoleWithWebIdentity: the exact requests against a recording server,
/// and whole profile chains against moto.
@Suite struct CredentialSTSTests {
    static func form(_ body: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            fields[parts[0]] = S3PercentEncoding.decode(parts.count > 1 ? parts[1] : "", plusAsSpace: true)
        }
        return fields
    }

    static func success(_ action: String, key: String) -> MetadataServer.Response {
        MetadataServer.Response(
            status: 200, headers: [("content-type", "text/xml")],
            body: """
                <\(action)Response xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
                  <\(action)Result>
                    <Credentials>
                      <AccessKeyId>\(key)</AccessKeyId>
                      <SecretAccessKey>sts-secret</SecretAccessKey>
                      <SessionToken>sts-token</SessionToken>
                      <Expiration>2030-01-01T00:00:00.000Z</Expiration>
                    </Credentials>
                  </\(action)Result>
                  <ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata>
                </\(action)Response>
                """)
    }

    @Test func assumeRoleIsAFormPostSignedForSTS() async throws {
        let handler: MetadataServer.Handler = { request in
            Self.success(Self.form(request.body)["Action"] ?? "?", key: "ASIAASSUMED")
        }
        try await MetadataServer.with(handler) { server async throws in
            let sts = STSClient(region: "eu-west-1", endpointURL: server.baseURL)
            let credentials = try await sts.assumeRole(
                roleARN: "arn:aws:iam::123456789012:role/deploy", sessionName: "nightly", externalID: "ext id",
                durationSeconds: 900,
                credentials: AWSCredentials(accessKeyID: "AKIDSOURCE", secretAccessKey: "s", sessionToken: "src-token"))
            #expect(
                credentials
                    == AWSCredentials(
                        accessKeyID: "ASIAASSUMED", secretAccessKey: "sts-secret", sessionToken: "sts-token",
                        expiration: Date(timeIntervalSince1970: 1_893_456_000)))
            let request = try #require(server.requests.first)
            #expect(request.method == "POST")
            #expect(request.path == "/")
            #expect(request.header("content-type") == "application/x-www-form-urlencoded; charset=utf-8")
            #expect(
                Self.form(request.body) == [
                    "Action": "AssumeRole", "Version": "2011-06-15", "RoleArn": "arn:aws:iam::123456789012:role/deploy",
                    "RoleSessionName": "nightly", "ExternalId": "ext id", "DurationSeconds": "900",
                ])
            #expect(request.body.contains("RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fdeploy"))
            let authorization = try #require(request.header("authorization"))
            #expect(authorization.hasPrefix("AWS4-HMAC-SHA256 Credential=AKIDSOURCE/"))
            #expect(authorization.contains("/eu-west-1/sts/aws4_request"))
            #expect(
                authorization.contains(
                    "SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token"))
            #expect(request.header("x-amz-security-token") == "src-token")
        }
    }

    @Test func webIdentityIsUnsignedAndReadsTheTokenFile() async throws {
        let home = try TemporaryHome()
        defer { home.remove() }
        let tokenFile = try home.write("token", "eyJ.oidc.token\n")
        let handler: MetadataServer.Handler = { request in
            Self.success(Self.form(request.body)["Action"] ?? "?", key: "ASIAWEB")
        }
        try await MetadataServer.with(handler) { server async throws in
            let provider = WebIdentityCredentialProvider.fromEnvironment(
                ["AWS_WEB_IDENTITY_TOKEN_FILE": tokenFile, "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/pod"],
                sts: STSClient(region: "us-east-1", endpointURL: server.baseURL))
            #expect(try await provider.loadCredentials()?.accessKeyID == "ASIAWEB")
            let request = try #require(server.requests.first)
            #expect(request.header("authorization") == nil)
            #expect(request.header("x-amz-security-token") == nil)
            let fields = Self.form(request.body)
            #expect(fields["Action"] == "AssumeRoleWithWebIdentity")
            #expect(fields["WebIdentityToken"] == "eyJ.oidc.token")
            #expect(fields["RoleArn"] == "arn:aws:iam::123456789012:role/pod")
            #expect(fields["RoleSessionName"]?.hasPrefix("s3sync-web-identity-") == true)
        }
    }

    @Test func refusalsNameTheRoleTheCodeAndWhatToCheck() async throws {
        let handler: MetadataServer.Handler = { _ in
            MetadataServer.Response(
                status: 403, headers: [("content-type", "text/xml")],
                body: """
                    <ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
                      <Error><Type>Sender</Type><Code>AccessDenied</Code>
                        <Message>User: arn:aws:iam::1:user/ci is not authorized to perform: sts:AssumeRole</Message>
                      </Error>
                      <RequestId>req-denied</RequestId>
                    </ErrorResponse>
                    """)
        }
        try await MetadataServer.with(handler) { server async throws in
            let sts = STSClient(region: "us-east-1", endpointURL: server.baseURL)
            let error = await #expect(throws: S3ClientError.self) {
                try await sts.assumeRole(
                    roleARN: "arn:aws:iam::1:role/admin", sessionName: "s",
                    credentials: AWSCredentials(accessKeyID: "A", secretAccessKey: "S"))
            }
            let message = error?.message ?? ""
            #expect(error?.kind == .credentials)
            #expect(message.contains("STS AssumeRole for role arn:aws:iam::1:role/admin"))
            #expect(message.contains("AccessDenied (HTTP 403)"))
            #expect(message.contains("is not authorized to perform: sts:AssumeRole"))
            #expect(message.contains("[request id req-denied]"))
            #expect(message.contains("trust policy"))
            #expect(server.requests.count == 1)
        }
    }

    @Test func serverErrorsAreTriedAgain() async throws {
        let calls = Mutex(0)
        let handler: MetadataServer.Handler = { request in
            let call = calls.withLock {
                $0 += 1
                return $0
            }
            return call == 1
                ? .text("<ErrorResponse><Error><Code>InternalFailure</Code></Error></ErrorResponse>", status: 500)
                : Self.success("AssumeRole", key: "ASIAAFTERRETRY")
        }
        try await MetadataServer.with(handler) { server async throws in
            let credentials = try await STSClient(region: "us-east-1", endpointURL: server.baseURL).assumeRole(
                roleARN: "arn:aws:iam::1:role/a", sessionName: "s",
                credentials: AWSCredentials(accessKeyID: "A", secretAccessKey: "S"))
            #expect(credentials.accessKeyID == "ASIAAFTERRETRY")
            #expect(server.requests.count == 2)
        }
    }

    @Test func profileRoleChainsAgainstMoto() async throws {
        try await S3TestServer.with(.moto) { server async throws in
            let home = try TemporaryHome(
                config: """
                    [profile admin]
                    role_arn = arn:aws:iam::123456789012:role/admin
                    source_profile = jump
                    role_session_name = s3sync-admin
                    [profile jump]
                    role_arn = arn:aws:iam::123456789012:role/jump
                    source_profile = base
                    [profile from-env]
                    role_arn = arn:aws:iam::123456789012:role/from-env
                    credential_source = Environment
                    role_session_name = env-session
                    """,
                credentials: "[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = base-secret\n")
            defer { home.remove() }
            let environment = home.environment(["AWS_ENDPOINT_URL_STS": server.endpointURL])
            let sts = STSClient(region: "us-east-1", endpointURL: server.endpointURL)

            let admin = try await AWSConfigurationLoader(
                environment: environment, profile: "admin", region: "us-east-1"
            )
            .load()
            let credentials = try #require(try await admin.credentialProvider.loadCredentials())
            #expect(credentials.accessKeyID != "AKIDBASE")
            #expect(credentials.sessionToken?.isEmpty == false)
            #expect(try #require(credentials.expiration) > Date())
            #expect(
                try await sts.callerIdentityARN(credentials: credentials)
                    == "arn:aws:sts::123456789012:assumed-role/admin/s3sync-admin")

            // credential_source = Environment: the keys in the environment assume the role, because
            // --profile takes the environment keys out of the chain itself.
            let fromEnvironment = try await AWSConfigurationLoader(
                environment: environment.merging(["AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "s"]) { $1 },
                profile: "from-env", region: "us-east-1"
            ).load()
            let assumed = try #require(try await fromEnvironment.credentialProvider.loadCredentials())
            #expect(
                try await sts.callerIdentityARN(credentials: assumed)
                    == "arn:aws:sts::123456789012:assumed-role/from-env/env-session")
        }
    }

    @Test func webIdentityAgainstMoto() async throws {
        try await S3TestServer.with(.moto) { server async throws in
            let home = try TemporaryHome()
            defer { home.remove() }
            let tokenFile = try home.write("token", "oidc-token")
            let sts = STSClient(region: "us-east-1", endpointURL: server.endpointURL)

            let fromEnvironment = try await AWSConfigurationLoader(
                environment: home.environment([
                    "AWS_ENDPOINT_URL": server.endpointURL, "AWS_WEB_IDENTITY_TOKEN_FILE": tokenFile,
                    "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/web-env", "AWS_ROLE_SESSION_NAME": "pod-1",
                ]),
                region: "us-east-1"
            ).load()
            let credentials = try #require(try await fromEnvironment.credentialProvider.loadCredentials())
            #expect(
                try await sts.callerIdentityARN(credentials: credentials)
                    == "arn:aws:sts::123456789012:assumed-role/web-env/pod-1")

            try home.write(
                ".aws/config",
                """
                [profile web]
                role_arn = arn:aws:iam::123456789012:role/web-profile
                web_identity_token_file = \(tokenFile)
                role_session_name = profile-session
                """)
            let fromProfile = try await AWSConfigurationLoader(
                environment: home.environment(["AWS_ENDPOINT_URL_STS": server.endpointURL]), profile: "web",
                region: "us-east-1"
            ).load()
            let profileCredentials = try #require(try await fromProfile.credentialProvider.loadCredentials())
            #expect(
                try await sts.callerIdentityARN(credentials: profileCredentials)
                    == "arn:aws:sts::123456789012:assumed-role/web-profile/profile-session")
        }
    }
}
