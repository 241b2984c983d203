import Foundation
import S3TestSupport
import Testing

/// The CLI picks up AWS configuration the way users already have it.
@Suite struct ConfigurationTests {
    @Test func aProfileInTheSharedFilesIsEnough() async throws {
        try await CLIWorld.with { world in
            try world.tree.write("a.txt", "from a profile")
            let aws = world.home + "/.aws"
            try FileManager.default.createDirectory(atPath: aws, withIntermediateDirectories: true)
            try """
            [backup]
            aws_access_key_id = \(S3TestServer.accessKeyID)
            aws_secret_access_key = \(S3TestServer.secretAccessKey)
            """.write(toFile: aws + "/credentials", atomically: true, encoding: .utf8)
            try """
            [profile backup]
            region = eu-west-3
            endpoint_url = \(world.server.endpointURL)
            """.write(toFile: aws + "/config", atomically: true, encoding: .utf8)
            let run = try await world.s3sync.run(
                world.pushArguments(["--profile", "backup"]),
                extraEnvironment: [
                    "AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_ENDPOINT_URL": "", "AWS_REGION": "",
                ])
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.int("uploaded_files") == 1)
            let missing = try await world.s3sync.run(
                world.pushArguments(["--profile", "nope"]),
                extraEnvironment: ["AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""])
            #expect(missing.status == 2)
            #expect(missing.stderr.contains("nope"))
        }
    }

    @Test func anSSOProfileIsEnoughToPush() async throws {
        let portal = FakeSSOPortal(accessKeyID: S3TestServer.accessKeyID, secretAccessKey: S3TestServer.secretAccessKey)
        try await MetadataServer.with(portal.handler) { sso async throws in
            try await CLIWorld.with { world in
                try world.tree.write("a.txt", "from an SSO login")
                let home = world.home
                func write(_ relativePath: String, _ contents: String) throws {
                    let path = home + "/" + relativePath
                    try FileManager.default.createDirectory(
                        atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                    try contents.write(toFile: path, atomically: true, encoding: .utf8)
                }
                let startURL = "https://d-abc123.awsapps.com/start"
                try write(
                    ".aws/config",
                    """
                    [profile backup]
                    sso_session = corp
                    sso_account_id = 111122223333
                    sso_role_name = ReadOnly
                    region = us-east-1
                    endpoint_url = \(world.server.endpointURL)

                    [sso-session corp]
                    sso_start_url = \(startURL)
                    sso_region = eu-west-1
                    """)
                try write(
                    FakeSSOPortal.cachePath(key: "corp"),
                    FakeSSOPortal.tokenFile(expiresAt: Date().addingTimeInterval(3600), startURL: startURL))
                let environment = [
                    "AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_ENDPOINT_URL": "", "AWS_REGION": "",
                    "AWS_ENDPOINT_URL_SSO": sso.baseURL,
                ]
                let run = try await world.s3sync.run(
                    world.pushArguments(["--profile", "backup"]), extraEnvironment: environment)
                #expect(run.status == 0, "\(run.stderr)")
                #expect(run.int("uploaded_files") == 1)
                #expect(portal.fetches == 1)

                try write(
                    FakeSSOPortal.cachePath(key: "corp"),
                    FakeSSOPortal.tokenFile(expiresAt: Date().addingTimeInterval(-60), startURL: startURL))
                let expired = try await world.s3sync.run(
                    world.pushArguments(["--profile", "backup"]), extraEnvironment: environment)
                #expect(expired.status == 2)
                let said = expired.stderr + expired.stdout
                #expect(said.contains("expired"), "\(said)")
                #expect(said.contains("aws sso login --profile backup"), "\(said)")
                #expect(portal.fetches == 1)
            }
        }
    }
}
