import Foundation
import S3TestSupport
import Testing

@testable import S3Client

/// The shared config file rules: section names, merging, comments, sub-properties, locations.
@Suite struct CredentialSharedFilesTests {
    @Test func configFileSectionsFollowTheProfilePrefixRules() throws {
        let parsed = try SharedConfigParser.parse(
            """
            [default]
            region = us-west-2
            [profile dev]
            region = eu-west-1
            [profile   spaced   ]
            region = ap-south-1
            [bare]
            region = ignored-1
            [sso-session corp]
            sso_region = us-east-1
            [services local]
            s3 =
              endpoint_url = http://127.0.0.1:9000
            [profile two words]
            region = ignored-2
            """, kind: .config, source: "config")
        #expect(parsed.profiles.keys.sorted() == ["default", "dev", "spaced"])
        #expect(parsed.profile("default")?["region"] == "us-west-2")
        #expect(parsed.profile("dev")?["region"] == "eu-west-1")
        #expect(parsed.profile("spaced")?["region"] == "ap-south-1")
        #expect(parsed.profile("bare") == nil)
        #expect(parsed.ssoSessions["corp"]?["sso_region"] == "us-east-1")
        #expect(parsed.services["local"]?.subProperty("s3", "endpoint_url") == "http://127.0.0.1:9000")
        #expect(parsed.warnings.contains { $0.contains("[bare] ignored") && $0.contains("[profile bare]") })
        #expect(parsed.warnings.contains { $0.contains("[profile two words] ignored") })
    }

    @Test(arguments: [true, false])
    func profileDefaultReplacesBareDefaultWhicheverComesFirst(_ explicitFirst: Bool) throws {
        let bare = "[default]\nregion = from-bare\noutput = json\n"
        let explicit = "[profile default]\nregion = from-profile\n"
        let parsed = try SharedConfigParser.parse(
            explicitFirst ? explicit + bare : bare + explicit, kind: .config, source: "config")
        let profile = try #require(parsed.profile("default"))
        #expect(profile["region"] == "from-profile")
        #expect(profile["output"] == nil)
        #expect(parsed.warnings.contains { $0.contains("[default] ignored") })
    }

    @Test func credentialsFileSectionsAreBareNamesOnly() throws {
        let parsed = try SharedConfigParser.parse(
            """
            [default]
            aws_access_key_id = AKIDDEFAULT
            [ci]
            aws_access_key_id = AKIDCI
            [profile other]
            aws_access_key_id = AKIDIGNORED
            """, kind: .credentials, source: "credentials")
        #expect(parsed.profiles.keys.sorted() == ["ci", "default"])
        #expect(parsed.profile("ci")?["aws_access_key_id"] == "AKIDCI")
        #expect(parsed.warnings.contains { $0.contains("[profile other] ignored") })
    }

    @Test func credentialsMergeOverConfigPropertyByProperty() throws {
        let parsed = try SharedConfigParser.parse(
            config: """
                [profile dev]
                region = eu-west-1
                aws_access_key_id = AKIDFROMCONFIG
                aws_secret_access_key = secret-from-config
                [profile configonly]
                region = us-east-2
                """,
            credentials: """
                [dev]
                aws_access_key_id = AKIDFROMCREDENTIALS
                aws_secret_access_key = secret-from-credentials
                [credsonly]
                aws_access_key_id = AKIDONLY
                """)
        let dev = try #require(parsed.profile("dev"))
        #expect(dev["region"] == "eu-west-1")
        #expect(dev["aws_access_key_id"] == "AKIDFROMCREDENTIALS")
        #expect(dev["aws_secret_access_key"] == "secret-from-credentials")
        #expect(parsed.profile("configonly")?["region"] == "us-east-2")
        #expect(parsed.profile("credsonly")?["aws_access_key_id"] == "AKIDONLY")
    }

    @Test func aRepeatedSectionMergesLaterValuesWinning() throws {
        let parsed = try SharedConfigParser.parse(
            "[profile a]\nregion = one\noutput = json\n[profile b]\nregion = b\n[profile a]\nregion = two\n",
            kind: .config, source: "config")
        #expect(parsed.profile("a")?.properties == ["region": "two", "output": "json"])
    }

    @Test func commentsWhitespaceAndPropertyNameCase() throws {
        let parsed = try SharedConfigParser.parse(
            """
            # a comment
            ; another
            [profile c]   # comment after the header
              # indented comment
            region = eu-north-1 # Stockholm
            role_session_name = name;with;semicolons
            AWS_Secret_Access_Key = abc#def
            output=text\t; trailing
            empty =
            """.replacingOccurrences(of: "\n", with: "\r\n"), kind: .config, source: "config")
        let profile = try #require(parsed.profile("c"))
        #expect(profile["region"] == "eu-north-1")
        #expect(profile["role_session_name"] == "name;with;semicolons")
        #expect(profile["aws_secret_access_key"] == "abc#def")
        #expect(profile["output"] == "text")
        #expect(profile["empty"] == nil)
        #expect(profile.properties["empty"] == "")
    }

    @Test func indentedLinesAreSubPropertiesOrContinuations() throws {
        let parsed = try SharedConfigParser.parse(
            """
            [profile dev]
            services = local
            s3 =
              addressing_style = path
              max_concurrent_requests = 20 # inline comment
            region = us-east-1
            note = first
              second
            [services local]
            s3 =
                endpoint_url = http://127.0.0.1:9000
            sts =
                endpoint_url = http://127.0.0.1:9001
            """, kind: .config, source: "config")
        let dev = try #require(parsed.profile("dev"))
        #expect(dev.subProperty("s3", "addressing_style") == "path")
        #expect(dev.subProperty("s3", "max_concurrent_requests") == "20")
        #expect(dev["region"] == "us-east-1")
        #expect(dev["note"] == "first\nsecond")
        #expect(parsed.servicesEndpointURL(profile: dev, service: "s3") == "http://127.0.0.1:9000")
        #expect(parsed.servicesEndpointURL(profile: dev, service: "sts") == "http://127.0.0.1:9001")
    }

    @Test func malformedLinesNameTheFileAndLineButNotTheContent() throws {
        let error = #expect(throws: S3ClientError.self) {
            try SharedConfigParser.parse(
                "[default]\naws_access_key_id = AKID\naws_secret_access_key wJalrXUtnFEMIsecret\n", kind: .credentials,
                source: "~/.aws/credentials")
        }
        #expect(error?.kind == .configuration)
        #expect(error?.message.contains("~/.aws/credentials line 3") == true)
        #expect(error?.message.contains("wJalr") == false)
        #expect(throws: S3ClientError.self) {
            try SharedConfigParser.parse("region = x\n", kind: .config, source: "config")
        }
        #expect(throws: S3ClientError.self) {
            try SharedConfigParser.parse("[profile x\n", kind: .config, source: "config")
        }
        #expect(throws: S3ClientError.self) {
            try SharedConfigParser.parse("[x]\n = value\n", kind: .credentials, source: "credentials")
        }
    }

    @Test func onlyALeadingTildeSlashExpands() {
        #expect(SharedConfigFiles.expandHome("~/.aws/config", home: "/home/me") == "/home/me/.aws/config")
        #expect(SharedConfigFiles.expandHome("~/x", home: "/home/me/") == "/home/me/x")
        #expect(SharedConfigFiles.expandHome("~", home: "/home/me") == "/home/me")
        #expect(SharedConfigFiles.expandHome("~other/x", home: "/home/me") == "~other/x")
        #expect(SharedConfigFiles.expandHome("/etc/~/x", home: "/home/me") == "/etc/~/x")
        #expect(SharedConfigFiles.expandHome("relative/~/x", home: "/home/me") == "relative/~/x")
        #expect(SharedConfigFiles.expandHome("~/x", home: nil) == nil)
    }

    @Test func filesAreFoundThroughHomeAndTheEnvironment() throws {
        let home = try TemporaryHome(
            config: "[profile a]\nregion = from-home-config\n",
            credentials: "[a]\naws_access_key_id = AKIDHOME\naws_secret_access_key = s\n")
        defer { home.remove() }
        let fromHome = try SharedConfigFiles(environment: home.environment()).load()
        #expect(fromHome.profile("a")?["region"] == "from-home-config")
        #expect(fromHome.profile("a")?["aws_access_key_id"] == "AKIDHOME")
        #expect(fromHome.warnings.isEmpty)

        try home.write("elsewhere/config", "[profile a]\nregion = from-env-config\n")
        let files = SharedConfigFiles(
            environment: home.environment([
                "AWS_CONFIG_FILE": "~/elsewhere/config", "AWS_SHARED_CREDENTIALS_FILE": home.path + "/missing",
            ]))
        #expect(files.configPath == home.path + "/elsewhere/config")
        #expect(files.configDisplayPath == "~/elsewhere/config")
        let fromEnvironment = try files.load()
        #expect(fromEnvironment.profile("a")?["region"] == "from-env-config")
        #expect(fromEnvironment.profile("a")?["aws_access_key_id"] == nil)
        #expect(fromEnvironment.warnings.contains { $0.contains("AWS_SHARED_CREDENTIALS_FILE") })
    }

    @Test func missingDefaultFilesAreEmpty() throws {
        let home = try TemporaryHome()
        defer { home.remove() }
        let parsed = try SharedConfigFiles(environment: home.environment()).load()
        #expect(parsed.profiles.isEmpty)
        #expect(parsed.warnings.isEmpty)
    }
}
