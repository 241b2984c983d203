import Testing

@testable import S3Client

/// How a profile's settings become a source and a list of roles, without any I/O.
@Suite struct CredentialProfileChainTests {
    func chain(_ profile: String, _ config: String, credentials: String = "") throws -> ProfileChain? {
        try ProfileChain.resolve(
            profile: profile, in: SharedConfigParser.parse(config: config, credentials: credentials))
    }

    func resolveError(_ profile: String, _ config: String) -> String {
        do {
            _ = try chain(profile, config)
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    @Test func staticKeysWithSessionToken() throws {
        let result = try chain(
            "default", "",
            credentials:
                "[default]\naws_access_key_id = AKID\naws_secret_access_key = SECRET\naws_session_token = TOKEN\n")
        #expect(
            result
                == ProfileChain(
                    source: .staticKeys(
                        profile: "default",
                        AWSCredentials(accessKeyID: "AKID", secretAccessKey: "SECRET", sessionToken: "TOKEN")),
                    roles: []))
    }

    @Test func staticKeysWinOverCredentialProcessInOneProfile() throws {
        let result = try chain(
            "p",
            "[profile p]\ncredential_process = /bin/false\naws_access_key_id = AKID\naws_secret_access_key = S\n")
        guard case .staticKeys(let profile, _) = result?.source else {
            Issue.record("expected static keys, got \(String(describing: result))")
            return
        }
        #expect(profile == "p")
    }

    @Test func credentialProcessAlone() throws {
        let result = try chain("p", "[profile p]\ncredential_process = /usr/local/bin/creds --json\n")
        #expect(result?.source == .process(profile: "p", command: "/usr/local/bin/creds --json"))
    }

    @Test func profileWithoutCredentialsOrMissingGivesNil() throws {
        #expect(try chain("default", "[default]\nregion = eu-west-1\n") == nil)
        #expect(try chain("absent", "[default]\nregion = eu-west-1\n") == nil)
    }

    @Test func rolesChainThroughSourceProfilesInnermostFirst() throws {
        let result = try chain(
            "admin",
            """
            [profile admin]
            role_arn = arn:aws:iam::111111111111:role/admin
            source_profile = jump
            role_session_name = admin-session
            external_id = ext-1
            duration_seconds = 1800
            [profile jump]
            role_arn = arn:aws:iam::222222222222:role/jump
            source_profile = base
            [profile base]
            aws_access_key_id = AKIDBASE
            aws_secret_access_key = base-secret
            """)
        let chain = try #require(result)
        #expect(
            chain.source
                == .staticKeys(profile: "base", AWSCredentials(accessKeyID: "AKIDBASE", secretAccessKey: "base-secret"))
        )
        #expect(
            chain.roles == [
                .init(
                    profile: "jump", roleARN: "arn:aws:iam::222222222222:role/jump", sessionName: nil,
                    externalID: nil, durationSeconds: nil),
                .init(
                    profile: "admin", roleARN: "arn:aws:iam::111111111111:role/admin",
                    sessionName: "admin-session", externalID: "ext-1", durationSeconds: 1800),
            ])
    }

    @Test func staticKeysOfASourceProfileWinOverItsOwnRole() throws {
        let result = try chain(
            "a",
            """
            [profile a]
            role_arn = arn:aws:iam::1:role/a
            source_profile = b
            [profile b]
            role_arn = arn:aws:iam::1:role/b
            source_profile = c
            aws_access_key_id = AKIDB
            aws_secret_access_key = SB
            """)
        #expect(
            result?.source == .staticKeys(profile: "b", AWSCredentials(accessKeyID: "AKIDB", secretAccessKey: "SB")))
        #expect(result?.roles.map(\.roleARN) == ["arn:aws:iam::1:role/a"])
    }

    @Test func aProfileMayBeItsOwnSourceOnlyWithStaticKeys() throws {
        let result = try chain(
            "self",
            """
            [profile self]
            role_arn = arn:aws:iam::1:role/self
            source_profile = self
            aws_access_key_id = AKIDSELF
            aws_secret_access_key = S
            """)
        #expect(
            result?.source
                == .staticKeys(profile: "self", AWSCredentials(accessKeyID: "AKIDSELF", secretAccessKey: "S")))
        #expect(result?.roles.map(\.roleARN) == ["arn:aws:iam::1:role/self"])
        let message = resolveError(
            "self", "[profile self]\nrole_arn = arn:aws:iam::1:role/self\nsource_profile = self\n")
        #expect(message.contains("names itself as source_profile"))
    }

    @Test func sourceProfileLoopsAreReported() {
        let message = resolveError(
            "a",
            """
            [profile a]
            role_arn = arn:aws:iam::1:role/a
            source_profile = b
            [profile b]
            role_arn = arn:aws:iam::1:role/b
            source_profile = c
            [profile c]
            role_arn = arn:aws:iam::1:role/c
            source_profile = a
            """)
        #expect(message.contains("source_profile loop: a -> b -> c -> a"))
    }

    @Test func brokenRoleSettingsAreErrorsThatSayWhatToFix() {
        #expect(
            resolveError("a", "[profile a]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = nowhere\n")
                .contains("no profile 'nowhere' is defined"))
        #expect(
            resolveError("a", "[profile a]\nrole_arn = arn:aws:iam::1:role/a\n")
                .contains("no source_profile, credential_source or web_identity_token_file"))
        #expect(
            resolveError(
                "a", "[profile a]\nrole_arn = r\nsource_profile = b\ncredential_source = Environment\n[profile b]\n"
            ).contains("both source_profile and credential_source"))
        #expect(
            resolveError("a", "[profile a]\nrole_arn = r\ncredential_source = Laptop\n")
                .contains("expected one of Environment, Ec2InstanceMetadata, EcsContainer"))
        #expect(
            resolveError("a", "[profile a]\nrole_arn = r\nsource_profile = b\n[profile b]\nregion = x\n")
                .contains("profile 'b' is the source_profile of 'a' but has no credentials"))
        #expect(
            resolveError("a", "[profile a]\naws_access_key_id = AKID\n")
                .contains("aws_access_key_id but no aws_secret_access_key"))
        #expect(
            resolveError("a", "[profile a]\nrole_arn = r\nsource_profile = b\nduration_seconds = 1h\n")
                .contains("duration_seconds = 1h"))
        #expect(
            resolveError("a", "[profile a]\nrole_arn = r\nsource_profile = b\nmfa_serial = arn:mfa\n")
                .contains("MFA"))
    }

    @Test func ssoProfilesInBothForms() throws {
        let config = """
            [profile dev]
            sso_session = corp
            sso_account_id = 111122223333
            sso_role_name = ReadOnly
            [sso-session corp]
            sso_start_url = https://d-abc123.awsapps.com/start
            sso_region = eu-west-1
            [profile old]
            sso_start_url = https://d-abc123.awsapps.com/start
            sso_region = us-east-1
            sso_account_id = 111122223333
            sso_role_name = Admin
            """
        #expect(
            try chain("dev", config)
                == ProfileChain(
                    source: .sso(
                        profile: "dev",
                        SSOConfiguration(
                            startURL: "https://d-abc123.awsapps.com/start", region: "eu-west-1",
                            accountID: "111122223333", roleName: "ReadOnly", sessionName: "corp")),
                    roles: []))
        let legacy = try #require(try chain("old", config))
        guard case .sso(let profile, let settings) = legacy.source else {
            Issue.record("expected SSO, got \(legacy)")
            return
        }
        #expect(profile == "old")
        #expect(settings.sessionName == nil)
        #expect(settings.cacheKey == "https://d-abc123.awsapps.com/start")
        #expect(settings.region == "us-east-1")
        #expect(settings.roleName == "Admin")
    }

    @Test func ssoAmongAProfilesOtherSources() throws {
        let sso = "sso_start_url = https://x/start\nsso_region = us-east-1\nsso_account_id = 1\nsso_role_name = R\n"
        let keys = "aws_access_key_id = AKID\naws_secret_access_key = S\n"
        guard case .staticKeys = try chain("p", "[profile p]\n" + sso + keys)?.source else {
            Issue.record("static keys should win over SSO")
            return
        }
        guard case .sso = try chain("p", "[profile p]\ncredential_process = /bin/false\n" + sso)?.source else {
            Issue.record("SSO should win over credential_process")
            return
        }
        let role = try #require(
            try chain("r", "[profile r]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = p\n[profile p]\n" + sso))
        guard case .sso(let profile, _) = role.source else {
            Issue.record("expected an SSO source profile, got \(role)")
            return
        }
        #expect(profile == "p")
        #expect(role.roles.map(\.roleARN) == ["arn:aws:iam::1:role/x"])
        // A profile with only a session (for `aws sso login`) and a credential_process uses the process.
        guard
            case .process = try chain("p", "[profile p]\nsso_session = corp\ncredential_process = /bin/true\n")?.source
        else {
            Issue.record("expected credential_process")
            return
        }
    }

    @Test func brokenSSOSettingsAreNamed() {
        #expect(
            resolveError("sso", "[profile sso]\nsso_session = corp\nsso_account_id = 1\nsso_role_name = R\n")
                .contains("profile 'sso' has sso_session = corp, but no [sso-session corp] section is defined"))
        #expect(
            resolveError("sso", "[profile sso]\nsso_session = corp\n[sso-session corp]\nsso_region = us-east-1\n")
                .contains("has no sso_account_id and sso_role_name"))
        #expect(
            resolveError(
                "sso", "[profile sso]\nsso_session = corp\nsso_account_id = 1\n[sso-session corp]\nsso_region = r\n"
            )
            .contains(
                "profile 'sso' is configured for IAM Identity Center (SSO) but is missing sso_start_url, sso_role_name (sso_start_url and sso_region may be in [sso-session corp])"
            ))
        #expect(
            resolveError(
                "sso",
                "[profile sso]\nsso_session = corp\nsso_region = us-east-1\nsso_account_id = 1\nsso_role_name = R\n"
                    + "[sso-session corp]\nsso_start_url = https://x/start\nsso_region = eu-west-1\n"
            )
            .contains(
                "profile 'sso' has sso_region = us-east-1 but its [sso-session corp] has sso_region = eu-west-1"))
        #expect(
            resolveError("old", "[profile old]\nsso_start_url = https://x/start\nsso_role_name = R\n")
                .contains("missing sso_region, sso_account_id"))
    }

    @Test func webIdentityAndCredentialSourceBases() throws {
        let web = try chain(
            "web",
            """
            [profile web]
            role_arn = arn:aws:iam::1:role/web
            web_identity_token_file = /var/run/token
            role_session_name = pod
            """)
        #expect(
            web?.source
                == .webIdentity(
                    profile: "web", roleARN: "arn:aws:iam::1:role/web", tokenFile: "/var/run/token", sessionName: "pod")
        )
        #expect(web?.roles == [])

        let instance = try chain(
            "ec2", "[profile ec2]\nrole_arn = arn:aws:iam::1:role/x\ncredential_source = Ec2InstanceMetadata\n")
        #expect(instance?.source == .credentialSource(profile: "ec2", .ec2InstanceMetadata))
        #expect(instance?.roles.map(\.roleARN) == ["arn:aws:iam::1:role/x"])
    }
}
