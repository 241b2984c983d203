import Foundation
import S3Client
import S3TestSupport

/// A real server, a bucket, a source tree, a private HOME and state path, and the s3sync binary
/// wired to them: what one CLI test needs.
struct CLIWorld: Sendable {
    let server: S3TestServer
    let bucket: String
    let tree: SourceTree
    let home: String
    let s3sync: S3SyncBinary

    var state: String { home + "/state/state.db" }
    var inspector: BucketInspector { BucketInspector(server) }

    static func with<Result: Sendable>(
        _ kind: S3TestServer.Kind = .rclone, _ body: (CLIWorld) async throws -> Result
    ) async throws -> Result {
        try await S3TestServer.with(kind) { server in
            let bucket = try await server.createBucket()
            let tree = try SourceTree()
            let home = try TestEnvironment.makeTemporaryDirectory("home")
            defer {
                tree.delete()
                TestEnvironment.removeTree(home)
            }
            let world = CLIWorld(
                server: server, bucket: bucket, tree: tree, home: home,
                s3sync: S3SyncBinary(environment: server.environment, home: home))
            return try await body(world)
        }
    }

    /// `s3sync push TREE s3://BUCKET/PREFIX --state … --json` plus `extra`.
    func push(_ extra: [String] = [], prefix: String = "backup") async throws -> S3SyncBinary.Run {
        try await s3sync.run(["push", tree.root, "s3://\(bucket)/\(prefix)", "--state", state, "--json"] + extra)
    }

    func pushArguments(_ extra: [String] = [], prefix: String = "backup") -> [String] {
        ["push", tree.root, "s3://\(bucket)/\(prefix)", "--state", state, "--json"] + extra
    }

    /// Keys and content MD5s under a prefix, as boto3 sees them.
    func remote(prefix: String = "backup/") async throws -> [String: String] {
        var result: [String: String] = [:]
        for object in try await inspector.objects(bucket: bucket, prefix: prefix, contents: true) {
            result[object.key] = object.md5
        }
        return result
    }

    /// Relative path → MD5 of every regular file in the tree.
    func local() throws -> [String: String] {
        var result: [String: String] = [:]
        let enumerator = FileManager.default.enumerator(atPath: tree.root)
        while let path = enumerator?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            let full = tree.path(path)
            guard FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory), !isDirectory.boolValue else {
                continue
            }
            result[path] = try Data(contentsOf: URL(fileURLWithPath: full)).md5Hex
        }
        return result
    }

    /// The local tree as keys under a prefix.
    func expected(prefix: String = "backup/") throws -> [String: String] {
        Dictionary(uniqueKeysWithValues: try local().map { (prefix + $0.key, $0.value) })
    }

    func client() throws -> S3Client { try server.makeClient() }
}
