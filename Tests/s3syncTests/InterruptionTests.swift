import Foundation
import S3TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Real signals sent to a real s3sync process: it checkpoints, exits 130/143, and resumes.
@Suite struct InterruptionTests {
    /// Polls `s3sync status --json JOB` until `condition` holds.
    func waitForStatus(
        _ world: CLIWorld, timeout: Duration = .seconds(60), _ condition: ([String: Any]) -> Bool
    ) async throws -> [String: Any] {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let run = try await world.s3sync.run(["status", "--state", world.state, "--json"])
            if run.status == 0, let data = run.stdout.data(using: .utf8),
                let jobs = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]], let job = jobs.first,
                condition(job)
            {
                return job
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TestSupportError("status condition not reached within \(timeout)")
    }

    func summary(_ log: String) -> [String: Any] {
        guard let line = log.split(separator: "\n").last(where: { $0.hasPrefix("{") }),
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        else { return [:] }
        return object
    }

    func doneTasks(_ job: [String: Any]) -> Int {
        ((job["tasks"] as? [String: Any])?["done"] as? NSNumber)?.intValue ?? 0
    }

    /// Without `--bwlimit`, parts go out with `sendfile`; a signal while the server has stopped
    /// reading one of them must still end the run at once, and resume must finish the file from
    /// the parts already stored.
    @Test func aSignalWhileAPartIsHalfSentEndsTheRunAndResumeFinishes() async throws {
        try await CLIWorld.with { world in
            try world.tree.writeRandom("big.bin", size: 48 << 20, seed: 9)
            let hold = FaultProxy.Rule(
                .holdRequest, contains: "partNumber=5&", operation: "UploadPart", times: 1, stallSeconds: 60,
                fraction: 0.5)
            try await FaultProxy.with(upstream: world.server, rules: [hold]) { proxy in
                let process = try world.through(proxy).start(
                    world.pushArguments(["--part-size", "8MiB"]), logPath: world.home + "/push.log")
                try await waitUntil("the hold in part 5, parts 1 to 4 stored") {
                    let seen = try await proxy.statistics()
                    return seen.total.holds >= 1 && seen.operation("UploadPart").responses["200"] ?? 0 >= 4
                }
                try await Task.sleep(for: .milliseconds(500))  // for the parts to be recorded
                let sent = ContinuousClock.now
                process.signal(SIGINT)
                let status = await process.wait(timeout: .seconds(15))
                #expect(status == 130, "\(process.log)")
                #expect(ContinuousClock.now - sent < .seconds(5))
                #expect(summary(process.log)["status"] as? String == "interrupted")
                try await proxy.setRules([])
                let resume = try await world.through(proxy).run(["resume", "--state", world.state, "--json"])
                #expect(resume.status == 0, "\(resume.stderr)")
                #expect(resume.string("status") == "completed")
                #expect((resume.int("resumed_bytes") ?? 0) >= 32 << 20, "\(resume.stdout)")
            }
            #expect(try await world.remote() == (try world.expected()))
            #expect(try await world.inspector.openUploads(bucket: world.bucket).isEmpty)
        }
    }

    @Test(arguments: [SIGINT, SIGTERM])
    func aSignalCheckpointsAndResumeFinishes(signal: Int32) async throws {
        try await CLIWorld.with { world in
            for index in 0..<40 {
                try world.tree.writeRandom("files/f\(index).bin", size: 256 << 10, seed: UInt64(index + 1))
            }
            let process = try world.s3sync.start(
                world.pushArguments(["--bwlimit", "200KiB", "--concurrency", "4"]), logPath: world.home + "/push.log")
            _ = try await waitForStatus(world) { doneTasks($0) >= 2 }

            // A second run on the same job while the first holds it: exit 3, naming the holder.
            let overlapping = try await world.push()
            #expect(overlapping.status == 3, "\(overlapping.stderr)")
            #expect(overlapping.stderr.contains("pid \(process.pid)"))

            let sent = ContinuousClock.now
            process.signal(signal)
            let status = await process.wait(timeout: .seconds(15))
            #expect(status == 128 + signal, "\(process.log)")
            #expect(ContinuousClock.now - sent < .seconds(5))
            #expect(summary(process.log)["status"] as? String == "interrupted")

            let job = try await waitForStatus(world, timeout: .seconds(5)) { _ in true }
            #expect(job["state"] as? String == "interrupted")
            let uploadedBefore = doneTasks(job)
            #expect(uploadedBefore >= 2 && uploadedBefore < 40)

            let resume = try await world.s3sync.run(["resume", "--state", world.state, "--json", "--bwlimit", "1GiB"])
            #expect(resume.status == 0, "\(resume.stderr)")
            #expect(resume.string("status") == "completed")
            #expect(resume.int("uploaded_files")! <= 40 - uploadedBefore + 4)
            #expect(try await world.remote() == (try world.expected()))
        }
    }
}
