import NIOCore
import S3Client
import S3TestSupport
import Testing

@testable import SyncEngine

/// The listing against rclone serve s3: whatever directories it is told to start on early —
/// right, wrong, some, or a level above where the tree branches — it yields every key under the
/// prefix once, in key order.
@Suite struct RemoteListingTests {
    static let keys = [
        "p/a/1", "p/a/2", "p/a/sub/3", "p/b/x/1", "p/c", "p/d/1", "p/d-e", "p/z/1", "chain/only/a/1", "chain/only/b/2",
        "chain/only/c",
    ]

    func list(_ client: S3Client, bucket: String, prefix: String, likely: [String]) async throws -> [String] {
        let listing = RemoteListing(
            client: client, location: S3Location(bucket: bucket, prefix: prefix), budget: RequestBudget(capacity: 4),
            likelyDirectories: likely)
        var keys: [String] = []
        for try await object in listing { keys.append(object.key) }
        return keys
    }

    @Test func earlyDirectoriesChangeNothingButTheTiming() async throws {
        try await S3TestServer.with(.rclone) { server in
            let bucket = try await server.createBucket()
            try await server.makeClient().using { client in
                for key in Self.keys {
                    _ = try await client.putObject(bucket: bucket, key: key, body: .bytes(ByteBuffer(string: key)))
                }
                let expected = Self.keys.filter { $0.hasPrefix("p/") }.sorted {
                    $0.utf8.lexicographicallyPrecedes($1.utf8)
                }
                let guesses: [[String]] = [
                    [], ["a", "b", "d", "z"], ["a", "nope", "q"], ["b"], ["c", "d-e"], (0..<40).map { "n\($0)" },
                ]
                for likely in guesses {
                    let keys = try await list(client, bucket: bucket, prefix: "p/", likely: likely)
                    #expect(keys == expected, "\(likely)")
                }
                // One directory at the top: the listing goes down to where the tree branches, and the
                // guesses for the level above are dropped.
                let chain = try await list(client, bucket: bucket, prefix: "chain/", likely: ["only", "a"])
                #expect(chain == ["chain/only/a/1", "chain/only/b/2", "chain/only/c"])
            }
        }
    }
}
