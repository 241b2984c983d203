import Foundation
import S3TestSupport
import Testing

/// `--metrics-file`: the Prometheus text format node_exporter's textfile collector reads, parsed
/// with prometheus_client's parser and checked against the JSON summary.
@Suite struct MetricsFileTests {
    struct Sample: Decodable {
        let name: String
        let labels: [String: String]
        let value: Double
    }

    /// The samples of a metrics file, as a real Prometheus parser reads them.
    func scrape(_ path: String) async throws -> [Sample] {
        let result = try await Shell.run(
            try TestEnvironment.tool("python"), [TestEnvironment.packageRoot + "/Tests/Scripts/promparse.py", path])
        guard result.status == 0 else { throw TestSupportError("promparse: \(result.errorOutput)") }
        return try JSONDecoder().decode([Sample].self, from: Data(result.output.utf8))
    }

    func value(_ samples: [Sample], _ name: String, status: String? = nil) -> Double? {
        samples.first { $0.name == name && (status == nil || $0.labels["status"] == status) }?.value
    }

    @Test func aPushWritesItsFiguresAndTheLastSuccessSurvivesAFailure() async throws {
        try await CLIWorld.with { world in
            for index in 0..<20 { try world.tree.write("dir/file\(index).txt", "content \(index)") }
            try world.tree.writeRandom("big.bin", size: 9 << 20)
            let metrics = world.home + "/metrics/s3sync.prom"
            try FileManager.default.createDirectory(
                atPath: world.home + "/metrics", withIntermediateDirectories: true)
            // While it runs, the file says so.
            let process = try world.s3sync.start(
                world.pushArguments(["--metrics-file", metrics, "--bwlimit", "4MiB"]), logPath: world.home + "/push.log"
            )
            try await waitUntil("the metrics file of the running push", timeout: .seconds(20)) {
                FileManager.default.fileExists(atPath: metrics)
            }
            let running = try await scrape(metrics)
            #expect(value(running, "s3sync_run_status", status: "running") == 1)
            let status = await process.wait(timeout: .seconds(60))
            #expect(status == 0)
            let first = try await scrape(metrics)
            #expect(value(first, "s3sync_run_status", status: "completed") == 1)
            #expect(value(first, "s3sync_run_status", status: "running") == 0)
            #expect(value(first, "s3sync_transferred_files") == 21)
            // "content N": 10 files of 9 bytes, 10 of 10, and the 9 MiB one.
            let bytes: Int = (9 << 20) + 190
            #expect(value(first, "s3sync_transferred_bytes") == Double(bytes))
            let completedAt = try #require(value(first, "s3sync_last_success_timestamp_seconds"))
            #expect(value(first, "s3sync_run_end_timestamp_seconds") == completedAt)
            #expect(Set(first.map { $0.labels["source"] }) == [world.tree.root])
            #expect(Set(first.map { $0.labels["destination"] }) == ["s3://\(world.bucket)/backup/"])

            // A failed run (a name that is not UTF-8 cannot be a key): its figures agree with its
            // JSON summary, and the last success stays what it was.
            let badName: [CChar] = [0x64, 0x69, 0x72, 0x2F, 0x62, 0x61, 0x64, -1, 0]
            let fd = open(world.tree.root, O_RDONLY | O_DIRECTORY)
            #expect(fd >= 0)
            let created = openat(fd, badName, O_CREAT | O_WRONLY, 0o644)
            #expect(created >= 0)
            close(created)
            close(fd)
            let failed = try await world.s3sync.run(world.pushArguments(["--metrics-file", metrics]))
            #expect(failed.status == 1, "\(failed.stderr)")
            let second = try await scrape(metrics)
            let job = try #require(failed.int("job"))
            #expect(Set(second.map { $0.labels["job"] }) == [String(job)])
            #expect(value(second, "s3sync_run_status", status: "failed") == 1)
            #expect(value(second, "s3sync_failed_files") == Double(failed.int("failed_files") ?? -1))
            #expect(value(second, "s3sync_transferred_files") == Double(failed.int("uploaded_files") ?? -1))
            #expect(value(second, "s3sync_skipped_files") == Double(failed.int("skipped_files") ?? -1))
            #expect(value(second, "s3sync_sent_bytes") == Double(failed.int("sent_bytes") ?? -1))
            #expect(value(second, "s3sync_retries") == Double(failed.int("retries") ?? -1))
            // The time the first run completed, as the state database recorded it.
            let lastSuccess = try #require(value(second, "s3sync_last_success_timestamp_seconds"))
            #expect(abs(lastSuccess - completedAt) < 1)
        }
    }

    @Test func aPullIsLabelledAsOne() async throws {
        try await CLIWorld.with { world in
            for index in 0..<5 { try world.tree.write("f\(index).txt", "content \(index)") }
            #expect(try await world.push().status == 0)
            let metrics = world.home + "/pull.prom"
            let restore = world.home + "/restore"
            let pull = try await world.s3sync.run([
                "pull", "s3://\(world.bucket)/backup", restore, "--state", world.state, "--json", "--metrics-file",
                metrics,
            ])
            #expect(pull.status == 0, "\(pull.stderr)")
            let samples = try await scrape(metrics)
            #expect(Set(samples.map { $0.labels["direction"] }) == ["pull"])
            #expect(Set(samples.map { $0.labels["destination"] }) == [restore])
            #expect(value(samples, "s3sync_transferred_files") == 5)
            #expect(value(samples, "s3sync_received_bytes") == Double(pull.int("received_bytes") ?? -1))
        }
    }

    @Test func aMetricsFileThatCannotBeWrittenStopsTheRunBeforeItStarts() async throws {
        try await CLIWorld.with { world in
            try world.tree.write("a.txt", "a")
            let run = try await world.push(["--metrics-file", world.home + "/no/such/dir/s3sync.prom"])
            #expect(run.status == 2)
            #expect(run.stderr.contains("metrics"))
            #expect(try await world.remote().isEmpty)
        }
    }
}
