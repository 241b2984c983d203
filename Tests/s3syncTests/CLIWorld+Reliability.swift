import Foundation
import S3TestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// What the reliability tests share: runs through the fault proxy, runs as an unprivileged user,
/// runs with a deadline, the state database's status and integrity, trees of mixed sizes.
extension CLIWorld {
    /// The binary with its requests going through `proxy`, plus `extra` environment.
    func through(_ proxy: FaultProxy, _ extra: [String: String] = [:]) -> S3SyncBinary {
        var environment = s3sync.environment
        environment["AWS_ENDPOINT_URL"] = proxy.endpointURL
        for (key, value) in extra { environment[key] = value }
        return S3SyncBinary(environment: environment, home: home)
    }

    /// `s3sync status --json` for the most recent job, or `nil` when there is none yet.
    func latestJob(statePath: String? = nil) async throws -> [String: Any]? {
        let run = try await s3sync.run(["status", "--state", statePath ?? state, "--json"])
        guard run.status == 0,
            let jobs = try? JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [[String: Any]]
        else { return nil }
        return jobs.first
    }

    /// Polls the latest job's status until `condition` holds (or the process `running` exits).
    @discardableResult
    func waitForJob(
        timeout: Duration = .seconds(60), while running: ChildProcess? = nil, _ condition: ([String: Any]) -> Bool
    ) async throws -> [String: Any] {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let job = try await latestJob(), condition(job) { return job }
            if let running, !running.isRunning {
                throw TestSupportError("s3sync exited before the awaited state:\n\(running.log)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestSupportError("the job did not reach the awaited state within \(timeout)")
    }

    /// `PRAGMA integrity_check` on the state database, as the sqlite3 shell prints it.
    func integrityCheck(statePath: String? = nil) async throws -> String {
        let check = try await Shell.run("/usr/bin/sqlite3", [statePath ?? state, "PRAGMA integrity_check"])
        return (check.output + check.errorOutput).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Runs the binary as the unprivileged user 65534 when the tests run as root (root reads and
    /// writes everything, so permissions would not bite), with a deadline.
    func runUnprivileged(
        _ arguments: [String], extraEnvironment: [String: String] = [:], timeout: Duration = .seconds(120)
    ) async throws -> S3SyncBinary.Run {
        var environment = s3sync.environment
        for (key, value) in extraEnvironment { environment[key] = value }
        let result: Shell.Result
        if getuid() == 0 {
            result = try await Shell.run(
                "/usr/bin/setpriv",
                ["--reuid=65534", "--regid=65534", "--clear-groups", S3SyncBinary.path] + arguments,
                environment: environment, timeout: timeout)
        } else {
            result = try await Shell.run(S3SyncBinary.path, arguments, environment: environment, timeout: timeout)
        }
        return S3SyncBinary.Run(status: result.status, stdout: result.output, stderr: result.errorOutput)
    }

    /// Keys under the prefix with the raw bytes of each key, as boto3 lists them.
    func remoteKeys(prefix: String = "backup/") async throws -> Set<[UInt8]> {
        Set(try await inspector.objects(bucket: bucket, prefix: prefix).map { Array($0.key.utf8) })
    }
}

extension S3SyncBinary {
    /// Runs to completion, failing (and killing it) if it takes longer than `timeout`.
    func run(_ arguments: [String], timeout: Duration, extraEnvironment: [String: String] = [:]) async throws -> Run {
        var environment = self.environment
        for (key, value) in extraEnvironment { environment[key] = value }
        let result = try await Shell.run(Self.path, arguments, environment: environment, timeout: timeout)
        return Run(status: result.status, stdout: result.output, stderr: result.errorOutput)
    }
}

extension S3SyncBinary.Run {
    /// The `failures` of the `--json` summary: path → error.
    var failures: [String: String] {
        var result: [String: String] = [:]
        for failure in summary["failures"] as? [[String: Any]] ?? [] {
            if let path = failure["path"] as? String { result[path] = failure["error"] as? String ?? "" }
        }
        return result
    }
}

/// Trees for the reliability tests: many small files and a few that upload in 5 MiB parts.
enum MixedTree {
    static let partSize = 5 << 20
    /// `--part-size 5MiB --multipart-threshold 5MiB`.
    static let multipartArguments = ["--part-size", "5MiB", "--multipart-threshold", "5MiB"]

    struct Written {
        var smallFiles = 0
        var smallBytes = 0
        /// The sizes of the small files, largest first.
        var smallSizes: [Int] = []
        var largeFiles = 0
        var largeBytes = 0
        var files: Int { smallFiles + largeFiles }
        var bytes: Int { smallBytes + largeBytes }
    }

    /// Writes `small` files of 1 byte to `maxSmall` bytes in a few directories, and `large` files of
    /// `largeParts` parts and a bit (the last part short), all from `seed`.
    @discardableResult
    static func write(
        _ tree: SourceTree, small: Int, maxSmall: Int = 48 << 10, large: Int, largeParts: Int = 3, seed: UInt64 = 1
    ) throws -> Written {
        var written = Written()
        var random = SeededRandom(seed: seed)
        for index in 0..<small {
            let size = Int(random.next() % UInt64(maxSmall)) + 1
            try tree.writeRandom(
                "set\(index % 7)/file-\(index).dat", size: size, seed: seed &* 1000 &+ UInt64(index))
            written.smallFiles += 1
            written.smallBytes += size
            written.smallSizes.append(size)
        }
        written.smallSizes.sort(by: >)
        for index in 0..<large {
            let size = largeParts * partSize + 4321 * (index + 1)
            try tree.writeRandom("large/blob-\(index).bin", size: size, seed: seed &* 7919 &+ UInt64(index))
            written.largeFiles += 1
            written.largeBytes += size
        }
        return written
    }
}

/// A small seeded generator (xorshift64*), so a test's random moments repeat run after run.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }

    mutating func next() -> UInt64 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 0x2545_F491_4F6C_DD1D
    }
}

/// Reading `s3sync status --json` and the `--json` summary.
enum StatusJSON {
    /// Parts recorded as stored across the job's open multipart uploads.
    static func partsDone(_ job: [String: Any]) -> Int {
        (job["open_uploads"] as? [[String: Any]] ?? []).reduce(0) {
            $0 + (($1["parts_done"] as? NSNumber)?.intValue ?? 0)
        }
    }

    /// Tasks in one state (`done`, `pending`, `failed`, `changed`, `vanished`).
    static func tasks(_ job: [String: Any], _ state: String) -> Int {
        ((job["tasks"] as? [String: Any])?[state] as? NSNumber)?.intValue ?? 0
    }

    /// The last `{...}` line of a log: the `--json` summary of a background run.
    static func summary(_ log: String) -> [String: Any] {
        guard let line = log.split(separator: "\n").last(where: { $0.hasPrefix("{") }),
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        else { return [:] }
        return object
    }

    static func int(_ object: [String: Any], _ key: String) -> Int? { (object[key] as? NSNumber)?.intValue }
}

/// What differs between two key → MD5 maps, for failure messages.
func differences(_ remote: [String: String], _ expected: [String: String]) -> String {
    var lines: [String] = []
    for key in Set(remote.keys).union(expected.keys).sorted() where remote[key] != expected[key] {
        lines.append("\(key): bucket \(remote[key] ?? "missing"), expected \(expected[key] ?? "missing")")
    }
    return lines.prefix(20).joined(separator: "\n")
}
