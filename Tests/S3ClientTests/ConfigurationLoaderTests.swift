import Foundation
import S3TestSupport
import Testing

@testable import S3Client

/// Region, endpoint, profile selection and client settings: which source wins.
@Suite struct ConfigurationLoaderTests {
    static let config = """
        [default]
        region = default-region
        [profile dev]
        region = dev-region
        services = local
        endpoint_url = http://profile-endpoint:9000
        ca_bundle = ~/certs/ca.pem
        max_attempts = 5
        retry_mode = legacy
        s3 =
          addressing_style = path
        [profile plain]
        endpoint_url = http://plain-endpoint:9000
        [services local]
        s3 =
          endpoint_url = http://services-endpoint:9000
        sts =
          endpoint_url = http://services-sts:9001
        """

    func load(
        _ home: TemporaryHome, _ extra: [String: String] = [:], profile: String? = nil, region: String? = nil,
        endpointURL: String? = nil, caBundle: String? = nil
    ) async throws -> ResolvedAWSConfiguration {
        try await AWSConfigurationLoader(
            environment: home.environment(extra), profile: profile, region: region, endpointURL: endpointURL,
            caBundlePath: caBundle
        ).load()
    }

    @Test func regionPrecedence() async throws {
        let home = try TemporaryHome(config: Self.config)
        defer { home.remove() }
        let all = ["AWS_REGION": "env-region", "AWS_DEFAULT_REGION": "env-default-region", "AWS_PROFILE": "dev"]
        #expect(
            try await load(home, all, region: "flag-region").region
                == ConfiguredValue("flag-region", source: "--region"))
        #expect(try await load(home, all).region == ConfiguredValue("env-region", source: "AWS_REGION"))
        #expect(
            try await load(home, all.filter { $0.key != "AWS_REGION" }).region
                == ConfiguredValue("env-default-region", source: "AWS_DEFAULT_REGION"))
        #expect(
            try await load(home, ["AWS_PROFILE": "dev"]).region
                == ConfiguredValue("dev-region", source: "region of profile 'dev'"))
        #expect(try await load(home).region.value == "default-region")
        #expect(
            try await load(home, ["AWS_REGION": " "], profile: "plain").region
                == ConfiguredValue("us-east-1", source: "default"))
        let error = await #expect(throws: S3ClientError.self) { try await load(home, ["AWS_REGION": "eu west 1"]) }
        #expect(error?.message.contains("(from AWS_REGION)") == true)
    }

    @Test func endpointPrecedence() async throws {
        let home = try TemporaryHome(config: Self.config)
        defer { home.remove() }
        let all = [
            "AWS_ENDPOINT_URL_S3": "http://env-s3:1", "AWS_ENDPOINT_URL": "http://env-all:2", "AWS_PROFILE": "dev",
        ]
        func endpoint(_ extra: [String: String], flag: String? = nil) async throws -> String? {
            try await load(home, extra, endpointURL: flag).endpoint?.description
        }
        #expect(try await endpoint(all, flag: "http://flag:3") == "http://flag:3")
        #expect(try await endpoint(all) == "http://env-s3:1")
        #expect(try await endpoint(all.filter { $0.key != "AWS_ENDPOINT_URL_S3" }) == "http://env-all:2")
        #expect(try await endpoint(["AWS_PROFILE": "dev"]) == "http://services-endpoint:9000")
        #expect(try await endpoint(["AWS_PROFILE": "plain"]) == "http://plain-endpoint:9000")
        #expect(try await endpoint([:]) == nil)

        let sources = try await load(home, ["AWS_PROFILE": "dev"]).endpointSource
        #expect(sources == "[services local] s3 endpoint_url in ~/.aws/config")
    }

    @Test func ignoreConfiguredEndpointURLsLeavesOnlyTheFlag() async throws {
        let home = try TemporaryHome(config: Self.config)
        defer { home.remove() }
        let ignoring = [
            "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "TRUE", "AWS_ENDPOINT_URL_S3": "http://env-s3:1",
            "AWS_ENDPOINT_URL": "http://env-all:2", "AWS_PROFILE": "dev",
        ]
        #expect(try await load(home, ignoring).endpoint == nil)
        #expect(try await load(home, ignoring, endpointURL: "http://flag:3").endpoint?.description == "http://flag:3")
        var notIgnoring = ignoring
        notIgnoring["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"] = "false"
        #expect(try await load(home, notIgnoring).endpoint?.description == "http://env-s3:1")

        try home.write(".aws/config", "[default]\nendpoint_url = http://x:1\nignore_configured_endpoint_urls = true\n")
        #expect(try await load(home).endpoint == nil)
    }

    @Test func stsEndpointFollowsTheSameRules() async throws {
        let home = try TemporaryHome(config: Self.config)
        defer { home.remove() }
        func stsEndpoint(_ extra: [String: String]) async throws -> String {
            let resolved = try await load(home, extra, region: "eu-west-1")
            let chain = try #require(resolved.credentialProvider as? CredentialProviderChain)
            let profile = try #require(chain.providers.compactMap { $0 as? ProfileCredentialProvider }.first)
            return profile.sts.endpointURL
        }
        #expect(try await stsEndpoint([:]) == "https://sts.eu-west-1.amazonaws.com")
        #expect(try await stsEndpoint(["AWS_PROFILE": "dev"]) == "http://services-sts:9001")
        #expect(try await stsEndpoint(["AWS_PROFILE": "plain"]) == "http://plain-endpoint:9000")
        #expect(
            try await stsEndpoint(["AWS_ENDPOINT_URL_STS": "http://env-sts:1", "AWS_ENDPOINT_URL_S3": "http://s3:1"])
                == "http://env-sts:1")
        #expect(
            try await stsEndpoint(["AWS_PROFILE": "dev", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"])
                == "https://sts.eu-west-1.amazonaws.com")
        #expect(STSClient.regionalEndpoint(region: "cn-north-1") == "https://sts.cn-north-1.amazonaws.com.cn")
    }

    @Test func profileSettingsReachTheClientConfiguration() async throws {
        let home = try TemporaryHome(config: Self.config)
        defer { home.remove() }
        let resolved = try await load(home, profile: "dev")
        #expect(resolved.profile == ConfiguredValue("dev", source: "--profile"))
        #expect(resolved.addressingStyle == .path)
        #expect(resolved.caBundlePath == home.path + "/certs/ca.pem")
        #expect(resolved.maxAttempts == 5)
        #expect(resolved.retryMode == .standard)
        let client = resolved.clientConfiguration(retry: RetryConfiguration(mode: .adaptive, maxAttempts: 10))
        #expect(client.region == "dev-region")
        #expect(client.endpoint.description == "http://services-endpoint:9000")
        #expect(client.addressingStyle == .path)
        #expect(client.caBundlePath == home.path + "/certs/ca.pem")
        #expect(client.retry.mode == .standard)
        #expect(client.retry.maxAttempts == 5)

        let plain = try await load(home, profile: "plain")
        #expect(plain.addressingStyle == .auto)
        #expect(plain.maxAttempts == nil)
        #expect(plain.retryMode == nil)
        #expect(plain.clientConfiguration().retry == RetryConfiguration())
    }

    @Test func environmentAndFlagsWinOverProfileSettings() async throws {
        let home = try TemporaryHome(config: Self.config)
        defer { home.remove() }
        let environment = [
            "AWS_PROFILE": "dev", "AWS_CA_BUNDLE": "/etc/ssl/env.pem", "AWS_MAX_ATTEMPTS": "2",
            "AWS_RETRY_MODE": "adaptive",
        ]
        let resolved = try await load(home, environment)
        #expect(resolved.caBundlePath == "/etc/ssl/env.pem")
        #expect(resolved.maxAttempts == 2)
        #expect(resolved.retryMode == .adaptive)
        #expect(try await load(home, environment, caBundle: "/flag.pem").caBundlePath == "/flag.pem")
    }

    @Test func invalidSettingsSayWhereTheyCameFrom() async throws {
        let home = try TemporaryHome(
            config: """
                [profile attempts]
                max_attempts = zero
                [profile mode]
                retry_mode = fast
                [profile style]
                s3 =
                  addressing_style = sideways
                [profile url]
                endpoint_url = ftp://files.example.com
                """)
        defer { home.remove() }
        func message(_ profile: String) async -> String {
            do {
                _ = try await load(home, profile: profile)
                return "no error"
            } catch {
                return "\(error)"
            }
        }
        #expect(await message("attempts").contains("max_attempts 'zero' (from max_attempts of profile 'attempts')"))
        #expect(await message("mode").contains("retry_mode 'fast' (from retry_mode of profile 'mode')"))
        #expect(await message("style").contains("addressing_style 'sideways' of profile 'style'"))
        #expect(await message("url").contains("(from endpoint_url of profile 'url')"))
        let flagError = await #expect(throws: S3ClientError.self) {
            try await load(home, ["AWS_MAX_ATTEMPTS": "0"])
        }
        #expect(flagError?.message.contains("from AWS_MAX_ATTEMPTS") == true)
    }

    @Test func profileSelection() {
        func name(_ explicit: String?, _ environment: [String: String]) -> ConfiguredValue {
            AWSConfigurationLoader.profileName(explicit: explicit, environment: environment)
        }
        let environment = ["AWS_PROFILE": "from-profile", "AWS_DEFAULT_PROFILE": "from-default"]
        #expect(name("flag", environment) == ConfiguredValue("flag", source: "--profile"))
        #expect(name(nil, environment) == ConfiguredValue("from-profile", source: "AWS_PROFILE"))
        #expect(
            name(" ", ["AWS_DEFAULT_PROFILE": "from-default"])
                == ConfiguredValue("from-default", source: "AWS_DEFAULT_PROFILE"))
        #expect(name(nil, ["AWS_PROFILE": ""]) == ConfiguredValue("default", source: "default"))
    }

    @Test func instanceMetadataRegionOnlyWhenNothingElseAndNoEndpoint() async throws {
        let home = try TemporaryHome()
        defer { home.remove() }
        let imds = FakeInstanceMetadataService(region: "eu-central-1")
        try await MetadataServer.with(imds.handler) { server async throws in
            var environment = home.environment(["AWS_EC2_METADATA_SERVICE_ENDPOINT": server.baseURL])
            environment["AWS_EC2_METADATA_DISABLED"] = nil
            let fromInstance = try await AWSConfigurationLoader(environment: environment).load()
            #expect(fromInstance.region == ConfiguredValue("eu-central-1", source: "EC2 instance metadata"))
            #expect(server.count("GET", path: "/latest/meta-data/placement/region") == 1)

            let withEndpoint = try await AWSConfigurationLoader(
                environment: environment, endpointURL: "http://127.0.0.1:9000"
            ).load()
            #expect(withEndpoint.region == ConfiguredValue("us-east-1", source: "default"))
            let withRegion = try await AWSConfigurationLoader(
                environment: environment.merging(["AWS_REGION": "sa-east-1"]) { $1 }
            ).load()
            #expect(withRegion.region.value == "sa-east-1")
            environment["AWS_EC2_METADATA_DISABLED"] = "true"
            #expect(try await AWSConfigurationLoader(environment: environment).load().region.value == "us-east-1")
            #expect(server.count("GET", path: "/latest/meta-data/placement/region") == 1)
        }
    }

    @Test func aMalformedConfigFileStopsTheLoad() async throws {
        let home = try TemporaryHome(config: "[default]\nregion\n")
        defer { home.remove() }
        let error = await #expect(throws: S3ClientError.self) { try await load(home) }
        #expect(error?.kind == .configuration)
        #expect(error?.message.contains("~/.aws/config line 2") == true)
    }
}
