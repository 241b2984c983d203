import Foundation
import S3TestSupport
import Testing

@testable import S3Client

/// The default chain's order, what `--profile` changes, and the message when nothing is found.
@Suite struct CredentialChainTests {
    static let profileKeys = """
        [default]
        aws_access_key_id = AKIDDEFAULTPROFILE
        aws_secret_access_key = default-secret
        [work]
        aws_access_key_id = AKIDWORKPROFILE
        aws_secret_access_key = work-secret
        """
    static let environmentKeys = ["AWS_ACCESS_KEY_ID": "AKIDENVIRONMENT", "AWS_SECRET_ACCESS_KEY": "env-secret"]

    func accessKey(_ home: TemporaryHome, _ extra: [String: String], profile: String? = nil) async throws -> String? {
        let resolved = try await AWSConfigurationLoader(
            environment: home.environment(extra), profile: profile, region: "us-east-1"
        ).load()
        return try await resolved.credentialProvider.loadCredentials()?.accessKeyID
    }

    @Test func nothingFoundListsEveryPlaceLooked() async throws {
        let home = try TemporaryHome()
        defer { home.remove() }
        let resolved = try await AWSConfigurationLoader(environment: home.environment()).load()
        let error = await #expect(throws: S3ClientError.self) {
            try await resolved.credentialProvider.loadCredentials()
        }
        let message = error?.message ?? ""
        #expect(error?.kind == .credentials)
        #expect(message.contains("no AWS credentials found"))
        #expect(message.contains("environment variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)"))
        #expect(
            message.contains(
                "shared credentials file ~/.aws/credentials and config file ~/.aws/config, profile 'default'"))
        #expect(message.contains("web identity token (AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN)"))
        #expect(message.contains("container credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"))
        #expect(message.contains("EC2 instance metadata (disabled by AWS_EC2_METADATA_DISABLED)"))
        let chain = try #require(resolved.credentialProvider as? CredentialProviderChain)
        #expect(
            chain.providers.map { String(describing: type(of: $0)) } == [
                "EnvironmentCredentialProvider", "ProfileCredentialProvider", "WebIdentityCredentialProvider",
                "ContainerCredentialProvider", "InstanceMetadataCredentialProvider",
            ])
    }

    @Test func environmentKeysWinOverTheProfileUnlessProfileIsGivenExplicitly() async throws {
        let home = try TemporaryHome(credentials: Self.profileKeys)
        defer { home.remove() }
        #expect(try await accessKey(home, [:]) == "AKIDDEFAULTPROFILE")
        #expect(try await accessKey(home, Self.environmentKeys) == "AKIDENVIRONMENT")
        #expect(
            try await accessKey(home, Self.environmentKeys.merging(["AWS_PROFILE": "work"]) { $1 }) == "AKIDENVIRONMENT"
        )
        #expect(try await accessKey(home, ["AWS_PROFILE": "work"]) == "AKIDWORKPROFILE")
        #expect(try await accessKey(home, ["AWS_DEFAULT_PROFILE": "work"]) == "AKIDWORKPROFILE")
        #expect(try await accessKey(home, Self.environmentKeys, profile: "work") == "AKIDWORKPROFILE")
        #expect(
            try await accessKey(home, ["AWS_PROFILE": "default", "AWS_DEFAULT_PROFILE": "work"]) == "AKIDDEFAULTPROFILE"
        )
    }

    @Test func aChosenProfileThatDoesNotExistIsAnError() async throws {
        let home = try TemporaryHome(credentials: Self.profileKeys)
        defer { home.remove() }
        let error = await #expect(throws: S3ClientError.self) {
            try await accessKey(home, [:], profile: "typo")
        }
        #expect(error?.message.contains("profile 'typo' is not defined") == true)
        #expect(error?.message.contains("'default', 'work'") == true)
        // Keys in the environment still come first when the profile came from AWS_PROFILE.
        #expect(
            try await accessKey(home, Self.environmentKeys.merging(["AWS_PROFILE": "typo"]) { $1 }) == "AKIDENVIRONMENT"
        )
    }

    @Test func theProfileWinsOverWebIdentityFromTheEnvironment() async throws {
        let home = try TemporaryHome(credentials: Self.profileKeys)
        defer { home.remove() }
        let webIdentity = [
            "AWS_WEB_IDENTITY_TOKEN_FILE": home.path + "/token", "AWS_ROLE_ARN": "arn:aws:iam::1:role/pod",
            "AWS_ENDPOINT_URL_STS": "http://127.0.0.1:1",
        ]
        #expect(try await accessKey(home, webIdentity) == "AKIDDEFAULTPROFILE")
    }

    @Test func halfConfiguredSourcesStopTheChainWithAnError() async throws {
        let home = try TemporaryHome()
        defer { home.remove() }
        let keyOnly = await #expect(throws: S3ClientError.self) {
            try await accessKey(home, ["AWS_ACCESS_KEY_ID": "AKID"])
        }
        #expect(keyOnly?.message.contains("AWS_SECRET_ACCESS_KEY is not") == true)
        let tokenWithoutRole = await #expect(throws: S3ClientError.self) {
            try await accessKey(home, ["AWS_WEB_IDENTITY_TOKEN_FILE": home.path + "/token"])
        }
        #expect(tokenWithoutRole?.message.contains("AWS_ROLE_ARN is not") == true)
        try home.write(".aws/credentials", "[default]\naws_secret_access_key = s\n")
        let halfProfile = await #expect(throws: S3ClientError.self) { try await accessKey(home, [:]) }
        #expect(
            halfProfile?.message.contains("profile 'default' has aws_secret_access_key but no aws_access_key_id")
                == true)
    }

    @Test func containerThenInstanceMetadataWhenNothingElseIsConfigured() async throws {
        let home = try TemporaryHome()
        defer { home.remove() }
        let agent = FakeContainerCredentialService()
        let imds = FakeInstanceMetadataService()
        let handler: MetadataServer.Handler = { request in
            request.path.hasPrefix("/latest/") ? imds.handler(request) : agent.handler(request)
        }
        try await MetadataServer.with(handler) { server async throws in
            var environment = home.environment(["AWS_EC2_METADATA_SERVICE_ENDPOINT": server.baseURL])
            environment["AWS_EC2_METADATA_DISABLED"] = nil
            var loader = AWSConfigurationLoader(
                environment: environment, region: "us-east-1", containerBaseURL: server.baseURL)
            let fromInstance = try await loader.load().credentialProvider.loadCredentials()
            #expect(fromInstance?.accessKeyID == "ASIAIMDS1")
            loader.environment["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"] = agent.path
            let fromContainer = try await loader.load().credentialProvider.loadCredentials()
            #expect(fromContainer?.accessKeyID == "ASIACONTAINER1")
            #expect(imds.credentialFetches == 1)
        }
    }
}
