import Foundation
import S3TestSupport
import Synchronization
import Testing

@testable import S3Client

/// EC2 instance metadata (IMDSv2) against a loopback service that checks the token flow.
@Suite struct CredentialInstanceMetadataTests {
    func environment(_ server: MetadataServer) -> [String: String] {
        ["AWS_EC2_METADATA_SERVICE_ENDPOINT": server.baseURL + "/"]
    }

    @Test func tokenFirstThenRoleThenCredentialsWithTheToken() async throws {
        let imds = FakeInstanceMetadataService(roleName: "web-role")
        try await MetadataServer.with(imds.handler) { server async throws in
            let provider = InstanceMetadataCredentialProvider(
                client: InstanceMetadataClient(environment: environment(server)))
            #expect(provider.name == "EC2 instance metadata at \(server.baseURL)")
            let credentials = try #require(try await provider.loadCredentials())
            #expect(credentials.accessKeyID == "ASIAIMDS1")
            #expect(credentials.secretAccessKey == "imds-secret-1")
            #expect(credentials.sessionToken == "imds-session-1")
            #expect(abs(try #require(credentials.expiration).timeIntervalSinceNow - 3600) < 60)
            let requests = server.requests
            #expect(
                requests.map { "\($0.method) \($0.path)" } == [
                    "PUT /latest/api/token", "GET /latest/meta-data/iam/security-credentials/",
                    "GET /latest/meta-data/iam/security-credentials/web-role",
                ])
            #expect(requests[0].header("x-aws-ec2-metadata-token-ttl-seconds") == "21600")
            #expect(requests[0].header("x-aws-ec2-metadata-token") == nil)
            #expect(requests[1].header("x-aws-ec2-metadata-token") == "imds-token-1")
            #expect(requests[2].header("x-aws-ec2-metadata-token") == "imds-token-1")
        }
    }

    @Test func theTokenIsReusedAndTheCacheRefreshesAfterExpiry() async throws {
        let imds = FakeInstanceMetadataService()
        try await MetadataServer.with(imds.handler) { server async throws in
            let clock = Mutex(Date())
            let start = clock.withLock { $0 }
            let now: @Sendable () -> Date = { clock.withLock { $0 } }
            let provider = InstanceMetadataCredentialProvider(
                client: InstanceMetadataClient(environment: environment(server), now: now), now: now)
            let cache = CredentialCache(provider: provider, now: now)

            #expect(try await cache.credentials().accessKeyID == "ASIAIMDS1")
            #expect(try await cache.credentials().accessKeyID == "ASIAIMDS1")
            #expect(server.requests.count == 3)

            // Inside the 5-minute window before expiry: new credentials, same token.
            clock.withLock { $0 = start.addingTimeInterval(56 * 60) }
            #expect(try await cache.credentials().accessKeyID == "ASIAIMDS2")
            #expect(imds.tokensIssued == 1)
            #expect(server.count("PUT", path: "/latest/api/token") == 1)

            // Six hours on, the token has expired too: a new one is fetched first.
            clock.withLock { $0 = start.addingTimeInterval(6 * 3600) }
            #expect(try await cache.credentials().accessKeyID == "ASIAIMDS3")
            #expect(imds.tokensIssued == 2)
            #expect(server.requests.last?.header("x-aws-ec2-metadata-token") == "imds-token-2")
            #expect(imds.credentialFetches == 3)
        }
    }

    @Test func aRejectedTokenIsReplacedOnce() async throws {
        let imds = FakeInstanceMetadataService()
        try await MetadataServer.with(imds.handler) { server async throws in
            let provider = InstanceMetadataCredentialProvider(
                client: InstanceMetadataClient(environment: environment(server)))
            #expect(try await provider.loadCredentials()?.accessKeyID == "ASIAIMDS1")
            imds.revokeTokens()
            #expect(try await provider.loadCredentials()?.accessKeyID == "ASIAIMDS2")
            #expect(imds.tokensIssued == 2)
            #expect(server.count("GET", path: "/latest/meta-data/iam/security-credentials/") == 3)
        }
    }

    @Test func disabledGivesNilAtOnceWithoutARequest() async throws {
        let imds = FakeInstanceMetadataService()
        try await MetadataServer.with(imds.handler) { server async throws in
            let client = InstanceMetadataClient(
                environment: environment(server).merging(["AWS_EC2_METADATA_DISABLED": "TRUE"]) { $1 })
            let provider = InstanceMetadataCredentialProvider(client: client)
            let start = ContinuousClock.now
            #expect(try await provider.loadCredentials() == nil)
            #expect(await client.region() == nil)
            #expect(ContinuousClock.now - start < .milliseconds(100))
            #expect(provider.name.contains("disabled by AWS_EC2_METADATA_DISABLED"))
            #expect(server.requests.isEmpty)
        }
    }

    @Test func nothingListeningGivesNilFast() async throws {
        let port = try TestEnvironment.freePort()
        let provider = InstanceMetadataCredentialProvider(
            client: InstanceMetadataClient(environment: [
                "AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:\(port)"
            ]))
        let start = ContinuousClock.now
        #expect(try await provider.loadCredentials() == nil)
        // The timeouts are 1 s; the bound leaves room for a machine loaded by the rest of the suite.
        #expect(ContinuousClock.now - start < .seconds(5))
    }

    @Test func aServiceThatNeverAnswersGivesNilWithinTheReadTimeout() async throws {
        let stalled: MetadataServer.Handler = { _ in MetadataServer.Response(body: "late", delay: .seconds(60)) }
        try await MetadataServer.with(stalled) { server async throws in
            let provider = InstanceMetadataCredentialProvider(
                client: InstanceMetadataClient(environment: environment(server)))
            let start = ContinuousClock.now
            #expect(try await provider.loadCredentials() == nil)
            // The server would answer after 60 s; the 1 s read timeout ends it long before (the bound
            // leaves room for a machine loaded by the rest of the suite).
            #expect(ContinuousClock.now - start < .seconds(20))
            #expect(server.requests.count == 1)
        }
    }

    @Test func noRoleAttachedGivesNil() async throws {
        let imds = FakeInstanceMetadataService()
        let handler: MetadataServer.Handler = { request in
            request.path == "/latest/meta-data/iam/security-credentials/"
                ? .text("not found", status: 404) : imds.handler(request)
        }
        try await MetadataServer.with(handler) { server async throws in
            let provider = InstanceMetadataCredentialProvider(
                client: InstanceMetadataClient(environment: environment(server)))
            #expect(try await provider.loadCredentials() == nil)
        }
    }

    @Test func alreadyExpiredCredentialsAreUsedForAnotherTenMinutes() async throws {
        let imds = FakeInstanceMetadataService(credentialLifetime: -60)
        try await MetadataServer.with(imds.handler) { server async throws in
            let provider = InstanceMetadataCredentialProvider(
                client: InstanceMetadataClient(environment: environment(server)))
            let credentials = try #require(try await provider.loadCredentials())
            let remaining = try #require(credentials.expiration).timeIntervalSinceNow
            #expect(remaining > 9 * 60 && remaining <= 15 * 60 + 1)
        }
    }

    @Test func regionComesFromPlacement() async throws {
        let imds = FakeInstanceMetadataService(region: "ap-southeast-2")
        try await MetadataServer.with(imds.handler) { server async throws in
            #expect(await InstanceMetadataClient(environment: environment(server)).region() == "ap-southeast-2")
            #expect(server.requests.last?.path == "/latest/meta-data/placement/region")
            #expect(server.requests.last?.header("x-aws-ec2-metadata-token") == "imds-token-1")
        }
    }

    @Test func endpointSettings() {
        #expect(InstanceMetadataClient(environment: [:]).endpoint == "http://169.254.169.254")
        #expect(
            InstanceMetadataClient(environment: ["AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE": "IPv6"]).endpoint
                == "http://[fd00:ec2::254]")
        let profile = SharedConfigSection(
            name: "p", properties: ["ec2_metadata_service_endpoint": "http://10.0.0.1:1338"])
        #expect(InstanceMetadataClient(environment: [:], profile: profile).endpoint == "http://10.0.0.1:1338")
        #expect(
            InstanceMetadataClient(
                environment: ["AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:1/"], profile: profile
            ).endpoint == "http://127.0.0.1:1")
        #expect(!InstanceMetadataClient(environment: ["AWS_EC2_METADATA_DISABLED": "false"]).isDisabled)
    }
}
