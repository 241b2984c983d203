import Foundation
import S3TestSupport
import Synchronization
import Testing

@testable import S3Client

/// Container credentials against a loopback agent that checks the Authorization header.
@Suite struct CredentialContainerTests {
    @Test func relativeURIIsAppendedToTheBaseWithTheAuthorizationToken() async throws {
        let agent = FakeContainerCredentialService(authorization: "Bearer agent-token")
        try await MetadataServer.with(agent.handler) { server async throws in
            let provider = ContainerCredentialProvider(
                environment: [
                    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": agent.path,
                    "AWS_CONTAINER_AUTHORIZATION_TOKEN": "Bearer agent-token",
                ], baseURL: server.baseURL)
            let credentials = try #require(try await provider.loadCredentials())
            #expect(credentials.accessKeyID == "ASIACONTAINER1")
            #expect(credentials.secretAccessKey == "container-secret-1")
            #expect(credentials.sessionToken == "container-session-1")
            let expiration = try #require(credentials.expiration)
            #expect(abs(expiration.timeIntervalSinceNow - 3600) < 60)
            #expect(server.requests.map(\.path) == [agent.path])
            #expect(server.requests.first?.header("authorization") == "Bearer agent-token")
        }
    }

    @Test func theTokenFileIsReadOnEveryCallAndWinsOverTheVariable() async throws {
        let home = try TemporaryHome()
        defer { home.remove() }
        let tokenFile = try home.write("token", "first-token\n")
        let agent = FakeContainerCredentialService(authorization: "first-token")
        try await MetadataServer.with(agent.handler) { server async throws in
            let provider = ContainerCredentialProvider(
                environment: [
                    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": agent.path,
                    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": tokenFile,
                    "AWS_CONTAINER_AUTHORIZATION_TOKEN": "stale-variable-token",
                ], baseURL: server.baseURL)
            #expect(try await provider.loadCredentials()?.accessKeyID == "ASIACONTAINER1")
            try home.write("token", "second-token")
            agent.setAuthorization("second-token")
            #expect(try await provider.loadCredentials()?.accessKeyID == "ASIACONTAINER2")
            #expect(server.requests.map { $0.header("authorization") } == ["first-token", "second-token"])
        }
    }

    @Test func aRefusedTokenIsAnErrorWithTheAgentsMessage() async throws {
        let agent = FakeContainerCredentialService(authorization: "right")
        try await MetadataServer.with(agent.handler) { server async throws in
            let provider = ContainerCredentialProvider(
                environment: [
                    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": agent.path, "AWS_CONTAINER_AUTHORIZATION_TOKEN": "wrong",
                ], baseURL: server.baseURL)
            let error = await #expect(throws: S3ClientError.self) { try await provider.loadCredentials() }
            #expect(error?.kind == .credentials)
            #expect(error?.message.contains("HTTP 401") == true)
            #expect(error?.message.contains("AccessDenied: bad authorization token") == true)
            #expect(server.requests.count == 1)
        }
    }

    @Test func fullURIOnLoopbackIsUsed() async throws {
        let agent = FakeContainerCredentialService(path: "/creds")
        try await MetadataServer.with(agent.handler) { server async throws in
            for host in ["127.0.0.1", "localhost"] {
                let provider = ContainerCredentialProvider(
                    environment: ["AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://\(host):\(server.port)/creds"],
                    baseURL: "http://192.0.2.1")
                #expect(try await provider.loadCredentials() != nil)
            }
            #expect(agent.fetches == 2)
        }
    }

    @Test func relativeURIWinsOverFullURI() async throws {
        let agent = FakeContainerCredentialService(path: "/relative")
        try await MetadataServer.with(agent.handler) { server async throws in
            let provider = ContainerCredentialProvider(
                environment: [
                    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "relative",
                    "AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:\(server.port)/full",
                ], baseURL: server.baseURL + "/")
            #expect(try await provider.loadCredentials()?.accessKeyID == "ASIACONTAINER1")
            #expect(server.requests.map(\.path) == ["/relative"])
        }
    }

    @Test func plainHTTPFullURIToAnotherHostIsRefusedBeforeConnecting() async throws {
        let provider = ContainerCredentialProvider(
            environment: ["AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://192.0.2.10:8080/creds"])
        let error = await #expect(throws: S3ClientError.self) { try await provider.loadCredentials() }
        #expect(error?.kind == .configuration)
        #expect(error?.message.contains("resolves to 192.0.2.10") == true)
        #expect(error?.message.contains("use https") == true)

        let https = ContainerCredentialProvider(
            environment: ["AWS_CONTAINER_CREDENTIALS_FULL_URI": "https://creds.example.com/v1"])
        #expect(try await https.credentialsURL() == "https://creds.example.com/v1")
        let eks = ContainerCredentialProvider(
            environment: ["AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://169.254.170.23/v1/credentials"])
        #expect(try await eks.credentialsURL() == "http://169.254.170.23/v1/credentials")
        let ipv6 = ContainerCredentialProvider(
            environment: ["AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://[fd00:ec2::23]/v1/credentials"])
        #expect(try await ipv6.credentialsURL() == "http://[fd00:ec2::23]/v1/credentials")
    }

    @Test func allowedPlainHTTPAddresses() {
        for address in [
            "127.0.0.1", "127.1.2.3", "::1", "169.254.170.2", "169.254.170.23", "fd00:ec2::23", "fd00:ec2:0::23",
        ] {
            #expect(ContainerCredentialProvider.isAllowedHTTPAddress(address), "\(address)")
        }
        for address in ["10.0.0.1", "169.254.169.254", "169.254.170.3", "fd00:ec2::24", "128.0.0.1", "::2"] {
            #expect(!ContainerCredentialProvider.isAllowedHTTPAddress(address), "\(address)")
        }
    }

    @Test func notConfiguredGivesNil() async throws {
        let provider = ContainerCredentialProvider(environment: ["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "  "])
        #expect(try await provider.loadCredentials() == nil)
    }

    @Test func theCacheRefreshesContainerCredentialsBeforeTheyExpire() async throws {
        let agent = FakeContainerCredentialService(credentialLifetime: 3600)
        try await MetadataServer.with(agent.handler) { server async throws in
            let clock = Mutex(Date())
            let start = clock.withLock { $0 }
            let cache = CredentialCache(
                provider: ContainerCredentialProvider(
                    environment: ["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": agent.path], baseURL: server.baseURL),
                now: { clock.withLock { $0 } })
            #expect(try await cache.credentials().accessKeyID == "ASIACONTAINER1")
            clock.withLock { $0 = start.addingTimeInterval(50 * 60) }
            #expect(try await cache.credentials().accessKeyID == "ASIACONTAINER1")
            clock.withLock { $0 = start.addingTimeInterval(56 * 60) }
            #expect(try await cache.credentials().accessKeyID == "ASIACONTAINER2")
            #expect(agent.fetches == 2)
        }
    }
}
