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
