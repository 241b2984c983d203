import Foundation
import S3TestSupport
import Testing

@testable import S3Client

/// `credential_process`: a real shell script in a temporary directory.
@Suite struct CredentialProcessTests {
    /// Writes a script and returns the command that runs it. The command runs the script through
    /// `sh` rather than executing the file: a file just written can be "busy" for exec while
    /// another test spawns a process that briefly inherited its descriptor.
    func script(_ home: TemporaryHome, _ name: String, _ body: String) throws -> String {
        "/bin/sh " + (try home.write("bin/\(name)", "#!/bin/sh\n" + body))
    }

    @Test func goodJSONGivesExpiringCredentials() async throws {
        let home = try TemporaryHome()
        defer { home.remove() }
        let path = try script(
            home, "good.sh",
            """
            cat <<'JSON'
            {"Version": 1, "AccessKeyId": "AKIDPROCESS", "SecretAccessKey": "process-secret",
             "SessionToken": "process-token", "Expiration": "2030-01-02T03:04:05Z"}
            JSON
            """)
        let provider = ProcessCredentialProvider(command: path, profileName: "tool", environment: home.environment())
        let credentials = try #require(try await provider.loadCredentials())
        #expect(credentials.accessKeyID == "AKIDPROCESS")
        #expect(credentials.secretAccessKey == "process-secret")
        #expect(credentials.sessionToken == "process-token")
        #expect(credentials.expiration == Date(timeIntervalSince1970: 1_893_553_445))
    }

    @Test func longTermKeysNeedNoTokenOrExpiration() async throws {
        let home = try TemporaryHome()
        defer { home.remove() }
        let path = try script(
            home, "keys.sh", #"printf '{"Version":1,"AccessKeyId":"%s","SecretAccessKey":"s"}' "$KEY_FROM_ENV""#)
        let provider = ProcessCredentialProvider(
            command: path + " --ignored-argument", profileName: "tool",
            environment: home.environment(["KEY_FROM_ENV": "AKIDFROMENV"]))
        let credentials = try #require(try await provider.loadCredentials())
        #expect(credentials.accessKeyID == "AKIDFROMENV")
        #expect(credentials.sessionToken == nil)
        #expect(credentials.expiration == nil)
    }

    @Test func badJSONIsAnErrorNamingTheProfile() async throws {
        let home = try TemporaryHome()
        defer { home.remove() }
        let path = try script(home, "bad.sh", "echo 'AccessKeyId=AKID'\n")
        let error = await #expect(throws: S3ClientError.self) {
            try await ProcessCredentialProvider(command: path, profileName: "broken", environment: [:])
                .loadCredentials()
        }
        #expect(error?.kind == .credentials)
        #expect(error?.message.contains("credential_process of profile 'broken'") == true)
        #expect(error?.message.contains("not a credentials JSON object") == true)
    }

    @Test func aWrongVersionOrMissingKeyIsAnError() async throws {
        let home = try TemporaryHome()
        defer { home.remove() }
        let version = try script(home, "v2.sh", #"echo '{"Version":2,"AccessKeyId":"A","SecretAccessKey":"S"}'"#)
        let versionError = await #expect(throws: S3ClientError.self) {
            try await ProcessCredentialProvider(command: version, profileName: "p", environment: [:]).loadCredentials()
        }
        #expect(versionError?.message.contains("Version 2") == true)
        let missing = try script(home, "missing.sh", #"echo '{"Version":1,"AccessKeyId":"A"}'"#)
        let missingError = await #expect(throws: S3ClientError.self) {
            try await ProcessCredentialProvider(command: missing, profileName: "p", environment: [:]).loadCredentials()
        }
        #expect(missingError?.message.contains("without SecretAccessKey") == true)
        let expiration = try script(
            home, "date.sh", #"echo '{"Version":1,"AccessKeyId":"A","SecretAccessKey":"S","Expiration":"tomorrow"}'"#)
        let expirationError = await #expect(throws: S3ClientError.self) {
            try await ProcessCredentialProvider(command: expiration, profileName: "p", environment: [:])
                .loadCredentials()
        }
        #expect(expirationError?.message.contains("RFC 3339") == true)
    }

    @Test func aNonZeroExitIsAnErrorWithTheStatusAndStandardError() async throws {
        let home = try TemporaryHome()
        defer { home.remove() }
        let path = try script(home, "fail.sh", "echo 'vault: token expired, run vault login' >&2\nexit 3\n")
        let error = await #expect(throws: S3ClientError.self) {
            try await ProcessCredentialProvider(command: path, profileName: "vault", environment: [:])
                .loadCredentials()
        }
        #expect(error?.message.contains("credential_process of profile 'vault'") == true)
        #expect(error?.message.contains("exited with status 3") == true)
        #expect(error?.message.contains("vault: token expired, run vault login") == true)
    }

    @Test func aProfileRunsItsProcessAndTheChainNamesTheProfileOnFailure() async throws {
        let home = try TemporaryHome()
        defer { home.remove() }
        let good = try script(
            home, "good.sh", #"echo '{"Version":1,"AccessKeyId":"AKIDVIAPROFILE","SecretAccessKey":"S"}'"#)
        let bad = try script(home, "bad.sh", "exit 1\n")
        try home.write(
            ".aws/config", "[profile good]\ncredential_process = \(good)\n[profile bad]\ncredential_process = \(bad)\n")
        let environment = home.environment()
        let goodChain = try await AWSConfigurationLoader(environment: environment, profile: "good", region: "us-east-1")
            .load()
        #expect(try await goodChain.credentialProvider.loadCredentials()?.accessKeyID == "AKIDVIAPROFILE")

        let badChain = try await AWSConfigurationLoader(environment: environment, profile: "bad", region: "us-east-1")
            .load()
        let error = await #expect(throws: S3ClientError.self) {
            try await badChain.credentialProvider.loadCredentials()
        }
        #expect(error?.message.contains("profile 'bad'") == true)
        #expect(error?.message.contains("exited with status 1") == true)
    }

    @Test func cancellingTheLoadStopsTheProcess() async throws {
        let start = ContinuousClock.now
        let task = Task {
            try await ProcessCredentialProvider(command: "exec sleep 30", profileName: "slow", environment: [:])
                .loadCredentials()
        }
        try await Task.sleep(for: .milliseconds(200))
        task.cancel()
        _ = await task.result
        #expect(ContinuousClock.now - start < .seconds(10))
    }

    @Test func timestampsInRFC3339Forms() {
        let base = Date(timeIntervalSince1970: 1_714_564_800)  // 2024-05-01T12:00:00Z
        #expect(Timestamp.parseISO8601("2024-05-01T12:00:00Z").map(Date.init(timeIntervalSince1970:)) == base)
        #expect(Timestamp.parseISO8601("2024-05-01t12:00:00z").map(Date.init(timeIntervalSince1970:)) == base)
        #expect(Timestamp.parseISO8601("2024-05-01T14:00:00+02:00").map(Date.init(timeIntervalSince1970:)) == base)
        #expect(Timestamp.parseISO8601("2024-05-01T07:30:00-04:30").map(Date.init(timeIntervalSince1970:)) == base)
        #expect(
            Timestamp.parseISO8601("2024-05-01T12:00:00.250Z").map(Date.init(timeIntervalSince1970:))
                == base.addingTimeInterval(0.25))
        #expect(Timestamp.parseISO8601("2024-05-01 12:00:00Z").map(Date.init(timeIntervalSince1970:)) == base)
        #expect(Timestamp.parseISO8601("2024-05-01T12:00:00").map(Date.init(timeIntervalSince1970:)) == nil)
        #expect(Timestamp.parseISO8601("2024-13-01T12:00:00Z").map(Date.init(timeIntervalSince1970:)) == nil)
        #expect(Timestamp.parseISO8601("2024-05-01T12:00:00Zjunk").map(Date.init(timeIntervalSince1970:)) == nil)
        #expect(Timestamp.parseISO8601("").map(Date.init(timeIntervalSince1970:)) == nil)
    }
}
