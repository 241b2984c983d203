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
}
