import Foundation
import NIOCore
import S3TestSupport
import Synchronization
import Testing

@testable import S3Client

/// IAM Identity Center (SSO) profiles: the token `aws sso login` cached, exchanged for role
/// credentials at a loopback SSO portal.
@Suite struct CredentialSSOTests {
    static let startURL = "https://d-abc123.awsapps.com/start"

    /// `[profile dev]` with `[sso-session corp]`, and `[profile old]` in the legacy form.
    static let config = """
        [profile dev]
        sso_session = corp
        sso_account_id = 111122223333
        sso_role_name = ReadOnly
        region = us-east-1

        [sso-session corp]
        sso_start_url = \(startURL)
        sso_region = eu-west-1
        sso_registration_scopes = sso:account:access

        [profile old]
        sso_start_url = \(startURL)
        sso_region = eu-west-1
        sso_account_id = 111122223333
        sso_role_name = ReadOnly
        """

    /// A provider for `profile` of ``config`` in `home`, talking to `server`.
    func provider(
        _ profile: String, home: TemporaryHome, server: MetadataServer, now: @escaping @Sendable () -> Date = { Date() }
    ) throws -> ProfileCredentialProvider {
        try ProfileCredentialProvider(
            profileName: profile, configuration: SharedConfigParser.parse(config: Self.config, credentials: ""),
            environment: home.environment(), isExplicit: true, sts: STSClient(region: "us-east-1"),
            sso: SSOClient(portalEndpointURL: server.baseURL, oidcEndpointURL: server.baseURL), now: now)
    }

    func loadError(_ provider: some CredentialProvider) async -> S3ClientError? {
        do {
            _ = try await provider.loadCredentials()
            return nil
        } catch let error as S3ClientError {
            return error
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }

    /// Nothing secret of a login may show in a message.
    func expectNoSecrets(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        for secret in [
            "cached-access-token", "cached-refresh-token", FakeSSOPortal.clientSecret, "sso-role-secret",
            S3TestServer.secretAccessKey,
        ] {
            #expect(!text.contains(secret), "\(text)", sourceLocation: sourceLocation)
        }
    }

    @Test func cacheFilesAreNamedByTheSHA1OfTheSessionNameOrStartURL() {
        #expect(SSOTokenCache.fileName(key: "admin") == "d033e22ae348aeb5660fc2140aec35850c4da997.json")
        #expect(
            SSOTokenCache.fileName(key: "https://d-92671207e4.awsapps.com/start")
                == "13f9d35043871d073ab260e020f0ffde092cb14b.json")
        #expect(
            SSOTokenCache(environment: ["HOME": "/home/me/"])?.path(key: "admin")
                == "/home/me/.aws/sso/cache/d033e22ae348aeb5660fc2140aec35850c4da997.json")
        #expect(SSOTokenCache(environment: [:]) == nil)
        #expect(SSOClient.portalEndpoint(region: "eu-west-1") == "https://portal.sso.eu-west-1.amazonaws.com")
        #expect(SSOClient.oidcEndpoint(region: "cn-north-1") == "https://oidc.cn-north-1.amazonaws.com.cn")
    }

    @Test func aSessionProfilesRoleCredentialsSignRequestsToARealServer() async throws {
        let portal = FakeSSOPortal(accessKeyID: S3TestServer.accessKeyID, secretAccessKey: S3TestServer.secretAccessKey)
        try await MetadataServer.with(portal.handler) { sso async throws in
            try await S3TestServer.with(.rclone) { server async throws in
                let home = try TemporaryHome(config: Self.config)
                defer { home.remove() }
                try home.write(
                    FakeSSOPortal.cachePath(key: "corp"),
                    FakeSSOPortal.tokenFile(expiresAt: Date().addingTimeInterval(3600), startURL: Self.startURL))
                let resolved = try await AWSConfigurationLoader(
                    environment: home.environment([
                        "AWS_ENDPOINT_URL_SSO": sso.baseURL, "AWS_ENDPOINT_URL_S3": server.endpointURL,
                    ]),
                    profile: "dev"
                ).load()
                let client = try S3Client(configuration: resolved.clientConfiguration())
                try await client.using { client in
                    let bucket = TestEnvironment.uniqueBucketName()
                    try await client.createBucket(bucket)
                    _ = try await client.putObject(
                        bucket: bucket, key: "signed by sso.txt", body: .bytes(ByteBuffer(string: "hello")))
                    let object = try await client.getObject(bucket: bucket, key: "signed by sso.txt")
                    #expect(String(buffer: object) == "hello")
                    let credentials = try await client.currentCredentials()
                    #expect(credentials.accessKeyID == S3TestServer.accessKeyID)
                    #expect(credentials.sessionToken == "sso-session-1")
                }
                #expect(portal.fetches == 1)
                let request = try #require(sso.requests.first)
                #expect(request.method == "GET")
                #expect(request.path == "/federation/credentials?role_name=ReadOnly&account_id=111122223333")
                #expect(request.header("x-amz-sso_bearer_token") == "cached-access-token")
                #expect(request.header("authorization") == nil)
            }
        }
    }

    @Test func aLegacyProfileReadsTheTokenCachedUnderItsStartURL() async throws {
        let portal = FakeSSOPortal()
        try await MetadataServer.with(portal.handler) { server async throws in
            let home = try TemporaryHome()
            defer { home.remove() }
            try home.write(
                FakeSSOPortal.cachePath(key: Self.startURL),
                FakeSSOPortal.tokenFile(expiresAt: Date().addingTimeInterval(3600), startURL: Self.startURL))
            let credentials = try #require(try await provider("old", home: home, server: server).loadCredentials())
            #expect(credentials.accessKeyID == "ASIASSOROLE")
            #expect(credentials.secretAccessKey == "sso-role-secret")
            #expect(credentials.sessionToken == "sso-session-1")
            let expiration = try #require(credentials.expiration)
            #expect(abs(expiration.timeIntervalSinceNow - 3600) < 60)

            // The session form looks under the session's name, where nothing is cached.
            let error = await loadError(try provider("dev", home: home, server: server))
            #expect(error?.message.contains("there is no SSO token for sso-session 'corp'") == true)
            #expect(portal.fetches == 1)
        }
    }

    @Test func anExpiredTokenSaysToRunAwsSsoLoginWithoutAskingThePortal() async throws {
        let portal = FakeSSOPortal()
        try await MetadataServer.with(portal.handler) { server async throws in
            let home = try TemporaryHome()
            defer { home.remove() }
            let expired = Date().addingTimeInterval(-60)
            try home.write(
                FakeSSOPortal.cachePath(key: Self.startURL),
                FakeSSOPortal.tokenFile(expiresAt: expired, startURL: Self.startURL))
            try home.write(
                FakeSSOPortal.cachePath(key: "corp"),
                FakeSSOPortal.tokenFile(expiresAt: expired, startURL: Self.startURL))

            let legacy = try #require(await loadError(try provider("old", home: home, server: server)))
            #expect(legacy.kind == .credentials)
            #expect(legacy.message.contains("the SSO token for start URL \(Self.startURL) expired at"))
            #expect(legacy.message.contains("run `aws sso login --profile old`"))
            #expect(legacy.message.contains("legacy profile"))

            let session = try #require(await loadError(try provider("dev", home: home, server: server)))
            #expect(session.message.contains("the SSO token for sso-session 'corp' expired at"))
            #expect(
                session.message.contains(
                    "run `aws sso login --profile dev` (or `aws sso login --sso-session corp`) and try again"))
            #expect(server.requests.isEmpty)
            expectNoSecrets("\(legacy) \(session)")
        }
    }

    @Test func aMissingOrDamagedCacheIsAClearError() async throws {
        let portal = FakeSSOPortal()
        try await MetadataServer.with(portal.handler) { server async throws in
            let home = try TemporaryHome()
            defer { home.remove() }
            let provider = try provider("dev", home: home, server: server)
            let path = home.path + "/" + FakeSSOPortal.cachePath(key: "corp")

            let missing = await loadError(provider)
            #expect(
                missing?.message.contains("there is no SSO token for sso-session 'corp' in the cache (\(path))") == true
            )
            #expect(missing?.message.contains("aws sso login --profile dev") == true)

            try home.write(FakeSSOPortal.cachePath(key: "corp"), "accessToken=cached-access-token")
            let notJSON = await loadError(provider)
            #expect(
                notJSON?.message.contains("the SSO token cache file \(path) for sso-session 'corp' is unusable") == true
            )
            #expect(notJSON?.message.contains("not a JSON object") == true)

            try home.write(
                FakeSSOPortal.cachePath(key: "corp"), #"{"startUrl": "x", "expiresAt": "2030-01-01T00:00:00Z"}"#)
            #expect(await loadError(provider)?.message.contains("it has no accessToken") == true)

            try home.write(
                FakeSSOPortal.cachePath(key: "corp"), #"{"accessToken": "cached-access-token", "expiresAt": "soon"}"#)
            #expect(await loadError(provider)?.message.contains("its expiresAt is not an RFC 3339 time") == true)

            // A token from another portal (the session's start URL changed since the login).
            try home.write(
                FakeSSOPortal.cachePath(key: "corp"),
                FakeSSOPortal.tokenFile(
                    expiresAt: Date().addingTimeInterval(3600), startURL: "https://d-other.awsapps.com/start"))
            let otherPortal = await loadError(provider)
            #expect(
                otherPortal?.message.contains(
                    "was issued for https://d-other.awsapps.com/start, but profile 'dev' signs in at \(Self.startURL)")
                    == true)
            #expect(otherPortal?.message.contains("aws sso login --profile dev") == true)

            // The same portal written with a trailing slash is the same portal.
            try home.write(
                FakeSSOPortal.cachePath(key: "corp"),
                FakeSSOPortal.tokenFile(expiresAt: Date().addingTimeInterval(3600), startURL: Self.startURL + "/"))
            #expect(try await provider.loadCredentials() != nil)
            #expect(server.requests.count == 1)
            expectNoSecrets([missing, notJSON, otherPortal].map { "\(String(describing: $0))" }.joined())
        }
    }

    @Test func aTokenThePortalRefusesSaysToLogInAgain() async throws {
        let portal = FakeSSOPortal()
        try await MetadataServer.with(portal.handler) { server async throws in
            let home = try TemporaryHome()
            defer { home.remove() }
            try home.write(
                FakeSSOPortal.cachePath(key: Self.startURL),
                FakeSSOPortal.tokenFile(expiresAt: Date().addingTimeInterval(3600), startURL: Self.startURL))
            portal.revokeAccessTokens()
            let error = try #require(await loadError(try provider("old", home: home, server: server)))
            #expect(error.kind == .credentials)
            #expect(error.message.contains("the SSO portal refused the cached token for start URL \(Self.startURL)"))
            #expect(error.message.contains("UnauthorizedException (HTTP 401): Session token not found or invalid"))
            #expect(error.message.contains("run `aws sso login --profile old`"))
            #expect(server.requests.count == 1)
            expectNoSecrets("\(error)")
        }
    }

    @Test func aRoleThatIsNotAssignedIsNamed() async throws {
        let portal = FakeSSOPortal(roleName: "Admin")
        try await MetadataServer.with(portal.handler) { server async throws in
            let home = try TemporaryHome()
            defer { home.remove() }
            try home.write(
                FakeSSOPortal.cachePath(key: "corp"),
                FakeSSOPortal.tokenFile(expiresAt: Date().addingTimeInterval(3600), startURL: Self.startURL))
            let error = try #require(await loadError(try provider("dev", home: home, server: server)))
            #expect(error.message.contains("no credentials for role 'ReadOnly' in account 111122223333"))
            #expect(error.message.contains("ForbiddenException (HTTP 403): No access"))
            #expect(error.message.contains("check sso_account_id and sso_role_name of profile 'dev'"))
        }
    }

    @Test func theCacheRefreshesRoleCredentialsBeforeTheyExpire() async throws {
        let portal = FakeSSOPortal(credentialLifetime: 3600)
        try await MetadataServer.with(portal.handler) { server async throws in
            let home = try TemporaryHome()
            defer { home.remove() }
            try home.write(
                FakeSSOPortal.cachePath(key: "corp"),
                FakeSSOPortal.tokenFile(expiresAt: Date().addingTimeInterval(8 * 3600), startURL: Self.startURL))
            let clock = Mutex(Date())
            let start = clock.withLock { $0 }
            let now: @Sendable () -> Date = { clock.withLock { $0 } }
            let cache = CredentialCache(provider: try provider("dev", home: home, server: server, now: now), now: now)
            #expect(try await cache.credentials().sessionToken == "sso-session-1")
            clock.withLock { $0 = start.addingTimeInterval(50 * 60) }
            #expect(try await cache.credentials().sessionToken == "sso-session-1")
            clock.withLock { $0 = start.addingTimeInterval(56 * 60) }
            #expect(try await cache.credentials().sessionToken == "sso-session-2")
            #expect(portal.fetches == 2)
            #expect(portal.refreshes == 0)
        }
    }

    @Test func aSessionTokenAboutToExpireIsRenewedAndWrittenBack() async throws {
        let portal = FakeSSOPortal()
        try await MetadataServer.with(portal.handler) { server async throws in
            let home = try TemporaryHome()
            defer { home.remove() }
            let file = try home.write(
                FakeSSOPortal.cachePath(key: "corp"),
                FakeSSOPortal.tokenFile(
                    expiresAt: Date().addingTimeInterval(120), startURL: Self.startURL,
                    refreshToken: "cached-refresh-token"))
            let credentials = try #require(try await provider("dev", home: home, server: server).loadCredentials())
            #expect(credentials.sessionToken == "sso-session-1")
            #expect(portal.refreshes == 1)

            let token = try #require(server.requests.first)
            #expect(token.method == "POST")
            #expect(token.path == "/token")
            #expect(token.header("content-type") == "application/json")
            #expect(server.requests.last?.header("x-amz-sso_bearer_token") == "issued-access-token-1")

            // Written back with the fields the login wrote, only to its owner.
            let written = try #require(
                try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file))) as? [String: Any])
            #expect(written["accessToken"] as? String == "issued-access-token-1")
            #expect(written["refreshToken"] as? String == "issued-refresh-token-1")
            #expect(written["clientId"] as? String == FakeSSOPortal.clientID)
            #expect(written["startUrl"] as? String == Self.startURL)
            let expiresText = try #require(written["expiresAt"] as? String)
            let expiresAt = try #require(Timestamp.parseISO8601(expiresText))
            #expect(abs(expiresAt - Date().timeIntervalSince1970 - 3600) < 60)
            let mode = try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int
            #expect(mode == 0o600)
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: home.path + "/.aws/sso/cache")
            #expect(leftovers.count == 1)

            // The next call uses the renewed token as it is.
            #expect(try await provider("dev", home: home, server: server).loadCredentials() != nil)
            #expect(portal.refreshes == 1)
        }
    }

    @Test func anExpiredSessionTokenIsRenewedWithItsRefreshToken() async throws {
        let portal = FakeSSOPortal()
        try await MetadataServer.with(portal.handler) { server async throws in
            let home = try TemporaryHome()
            defer { home.remove() }
            try home.write(
                FakeSSOPortal.cachePath(key: "corp"),
                FakeSSOPortal.tokenFile(
                    expiresAt: Date().addingTimeInterval(-3600), startURL: Self.startURL,
                    refreshToken: "cached-refresh-token"))
            #expect(try await provider("dev", home: home, server: server).loadCredentials() != nil)
            #expect(portal.refreshes == 1)
        }
    }

    @Test func aFailedRenewalKeepsAValidTokenAndExplainsAnExpiredOne() async throws {
        let portal = FakeSSOPortal(refreshToken: "another-refresh-token")
        try await MetadataServer.with(portal.handler) { server async throws in
            let home = try TemporaryHome()
            defer { home.remove() }
            try home.write(
                FakeSSOPortal.cachePath(key: "corp"),
                FakeSSOPortal.tokenFile(
                    expiresAt: Date().addingTimeInterval(120), startURL: Self.startURL,
                    refreshToken: "cached-refresh-token"))
            #expect(try await provider("dev", home: home, server: server).loadCredentials() != nil)
            #expect(server.count("POST", path: "/token") == 1)

            try home.write(
                FakeSSOPortal.cachePath(key: "corp"),
                FakeSSOPortal.tokenFile(
                    expiresAt: Date().addingTimeInterval(-60), startURL: Self.startURL,
                    refreshToken: "cached-refresh-token"))
            let error = try #require(await loadError(try provider("dev", home: home, server: server)))
            #expect(error.message.contains("the SSO token for sso-session 'corp' expired at"))
            #expect(
                error.message.contains("could not be renewed (CreateToken answered InvalidGrantException (HTTP 400)"))
            #expect(error.message.contains("aws sso login --profile dev"))
            expectNoSecrets("\(error)")

            // A registration that expired cannot renew anything: no CreateToken is sent.
            try home.write(
                FakeSSOPortal.cachePath(key: "corp"),
                FakeSSOPortal.tokenFile(
                    expiresAt: Date().addingTimeInterval(-60), startURL: Self.startURL,
                    refreshToken: "another-refresh-token", registrationExpiresAt: Date().addingTimeInterval(-1)))
            #expect(await loadError(try provider("dev", home: home, server: server)) != nil)
            #expect(server.count("POST", path: "/token") == 2)
            #expect(portal.refreshes == 0)
        }
    }

    @Test func anSSOProfileCanBeTheSourceOfARole() async throws {
        let portal = FakeSSOPortal()
        try await MetadataServer.with(portal.handler) { sso async throws in
            try await S3TestServer.with(.moto) { server async throws in
                let home = try TemporaryHome(
                    config: Self.config + """

                        [profile deploy]
                        role_arn = arn:aws:iam::123456789012:role/deploy
                        source_profile = dev
                        role_session_name = from-sso
                        """)
                defer { home.remove() }
                try home.write(
                    FakeSSOPortal.cachePath(key: "corp"),
                    FakeSSOPortal.tokenFile(expiresAt: Date().addingTimeInterval(3600), startURL: Self.startURL))
                let resolved = try await AWSConfigurationLoader(
                    environment: home.environment([
                        "AWS_ENDPOINT_URL_SSO": sso.baseURL, "AWS_ENDPOINT_URL_STS": server.endpointURL,
                    ]),
                    profile: "deploy"
                ).load()
                let credentials = try #require(try await resolved.credentialProvider.loadCredentials())
                #expect(credentials.accessKeyID != "ASIASSOROLE")
                #expect(portal.fetches == 1)
                #expect(
                    try await STSClient(region: "us-east-1", endpointURL: server.endpointURL)
                        .callerIdentityARN(credentials: credentials)
                        == "arn:aws:sts::123456789012:assumed-role/deploy/from-sso")

                // Without a login, the advice names the profile that holds the SSO settings.
                try FileManager.default.removeItem(atPath: home.path + "/" + FakeSSOPortal.cachePath(key: "corp"))
                let error = await loadError(resolved.credentialProvider)
                #expect(error?.message.contains("aws sso login --profile dev") == true)
            }
        }
    }
}
