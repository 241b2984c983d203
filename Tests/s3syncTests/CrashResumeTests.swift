import Foundation
import S3TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// SIGKILL in the middle of multipart uploads, then `resume`: the bucket ends up complete, no
/// upload is left open, and the bytes the server receives again stay within what was in flight.
@Suite struct CrashResumeTests {
    static let partSize = 5 << 20
    static let concurrency = 4

    @Test func resumeAfterSIGKILLResendsOnlyWhatWasInFlight() async throws {
        try await CLIWorld.with { world in
            var payload = 0
            var smallBytes = 0
            for index in 0..<3 {
                payload += try world.tree.writeRandom(
                    "videos/clip\(index).mp4", size: 6 * Self.partSize + 1234 * index, seed: UInt64(index + 1)
                ).count
            }
            for index in 0..<20 {
                let size = try world.tree.writeRandom(
                    "notes/n\(index).txt", size: 3000 + index, seed: UInt64(100 + index)
                ).count
                payload += size
                smallBytes += size
            }
            try await FaultProxy.with(upstream: world.server) { proxy in
                var environment = world.s3sync.environment
                environment["AWS_ENDPOINT_URL"] = proxy.endpointURL
                let s3sync = S3SyncBinary(environment: environment, home: world.home)
                let arguments = world.pushArguments([
                    "--part-size", "5MiB", "--multipart-threshold", "5MiB", "--concurrency", "\(Self.concurrency)",
                    "--bwlimit", "12MiB",
                ])
                let process = try s3sync.start(arguments, logPath: world.home + "/push.log")
                // Kill once a few parts are recorded as stored.
                let deadline = ContinuousClock.now + .seconds(60)
                var partsDone = 0
                var running: [String: Any] = [:]
                while ContinuousClock.now < deadline && partsDone < 4 {
                    try await Task.sleep(for: .milliseconds(100))
                    let status = try await s3sync.run(["status", "--state", world.state, "--json"])
                    if let jobs = try? JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [[String: Any]],
                        let uploads = jobs.first?["open_uploads"] as? [[String: Any]]
                    {
                        partsDone = uploads.reduce(0) { $0 + (($1["parts_done"] as? NSNumber)?.intValue ?? 0) }
                        running = jobs.first ?? [:]
                    }
                }
                #expect(partsDone >= 4, "\(process.log)")
                // While it works, status names the run that holds the job's lock.
                #expect(running["state"] as? String == "running", "\(running)")
                let holder = running["held_by"] as? [String: Any]
                #expect((holder?["pid"] as? NSNumber)?.int32Value == process.pid, "\(running)")
                process.signal(SIGKILL)
                _ = await process.wait(timeout: .seconds(10))
                // Killed, the lock is free: the job reads interrupted, and says how to continue.
                let killed = try await s3sync.run(["status", "--state", world.state, "--json"])
                let jobs = try JSONSerialization.jsonObject(with: Data(killed.stdout.utf8)) as? [[String: Any]]
                #expect(jobs?.first?["state"] as? String == "interrupted", "\(killed.stdout)")
                #expect(jobs?.first?["held_by"] == nil, "\(killed.stdout)")
                let text = try await s3sync.run(["status", "--state", world.state])
                #expect(text.stdout.contains(": interrupted"), "\(text.stdout)")
                #expect(text.stdout.contains("s3sync resume"), "\(text.stdout)")
                let firstRun = try await proxy.statistics()
                #expect(try await world.inspector.openUploads(bucket: world.bucket).count >= 1)

                try await proxy.resetStatistics()
                let resume = try await s3sync.run(["resume", "--state", world.state, "--json", "--bwlimit", "1GiB"])
                #expect(resume.status == 0, "\(resume.stderr)")
                #expect(resume.string("status") == "completed")
                #expect((resume.int("resumed_bytes") ?? 0) >= 4 * Self.partSize)
                let secondRun = try await proxy.statistics()

                func sent(_ statistics: FaultProxy.Statistics) -> Int64 {
                    statistics.operation("UploadPart").forwardedBodyBytes
                        + statistics.operation("PutObject").forwardedBodyBytes
                }
                let resent = sent(firstRun) + sent(secondRun) - Int64(payload)
                let inFlight = Int64(Self.concurrency * Self.partSize + smallBytes)
                print(
                    "CrashResumeTests: payload \(payload) B; first run sent \(sent(firstRun)) B before SIGKILL, resume sent \(sent(secondRun)) B; re-sent \(resent) B (bound: \(inFlight) B in flight)\n\(resume.stdout)\n\(secondRun.operations.mapValues { ($0.requests, $0.forwardedBodyBytes, $0.responses) })"
                )
                #expect(resent >= 0)
                #expect(resent <= inFlight)
            }
            #expect(try await world.inspector.openUploads(bucket: world.bucket).isEmpty)
            #expect(try await world.remote() == (try world.expected()))
            let check = try await Shell.run("/usr/bin/sqlite3", [world.state, "PRAGMA integrity_check"])
            #expect(check.output.trimmingCharacters(in: .whitespacesAndNewlines) == "ok")
        }
    }
}
