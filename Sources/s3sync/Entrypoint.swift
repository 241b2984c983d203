import ArgumentParser
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The process entry point: parses, runs, and maps every outcome to s3sync's exit codes
/// (usage errors exit 2, not ArgumentParser's 64).
@main
enum Entrypoint {
    static func main() async {
        returnLargeBuffersToTheSystem()
        do {
            var command = try S3SyncCommand.parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            exit(0)
        } catch let code as ExitCode {
            exit(code.rawValue)
        } catch {
            let code = S3SyncCommand.exitCode(for: error)
            let message = S3SyncCommand.fullMessage(for: error)
            if code == .success {
                print(message)
                exit(0)
            }
            FileHandle.standardError.write(Data((message + "\n").utf8))
            exit(code == .validationFailure ? 2 : code.rawValue)
        }
    }

    /// glibc raises its mmap threshold each time a large block is freed, after which blocks of that
    /// size come from the per-thread arenas and stay there once freed: a multipart upload's
    /// checksum buffers and listing pages then kept about 7 MB of freed memory resident. A fixed
    /// threshold gives blocks of 128 KiB and more back to the system when they are freed.
    /// (`mallopt` is in <malloc.h>, which the Glibc module does not export; it is looked up instead.)
    /// Gives the pages of freed memory back to the system (`malloc_trim`): after the state
    /// database's check at open, which reads the whole file through SQLite's page cache and
    /// frees it, about 2 MB that would otherwise stay resident for the whole run.
    static func releaseFreedMemory() {
        #if canImport(Glibc)
            typealias MallocTrim = @convention(c) (Int) -> Int32
            guard let symbol = dlsym(nil, "malloc_trim") else { return }
            _ = unsafeBitCast(symbol, to: MallocTrim.self)(0)
        #endif
    }

    private static func returnLargeBuffersToTheSystem() {
        #if canImport(Glibc)
            typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
            let mmapThreshold: Int32 = -3  // M_MMAP_THRESHOLD
            guard let symbol = dlsym(nil, "mallopt") else { return }
            _ = unsafeBitCast(symbol, to: Mallopt.self)(mmapThreshold, 128 * 1024)
        #endif
    }
}

struct S3SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "s3sync",
        abstract:
            "Sync directory trees with Amazon S3 and S3-compatible stores, both ways; resume after any interruption.",
        discussion: """
            Exit codes: 0 all done; 1 some files failed (the job stays resumable); 2 usage, configuration, \
            credential or access error; 3 another run holds this job's lock; 130/143 interrupted by SIGINT/SIGTERM \
            after checkpointing.
            """,
        version: "0.1.0",
        subcommands: [
            PushCommand.self, PullCommand.self, ResumeCommand.self, StatusCommand.self, WorkerCommand.self,
            CleanCommand.self,
        ])
}
