import Foundation
import Testing

@testable import SyncEngine

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct JobLockTests {
    @Test func theHolderIsFoundWhileTheLockIsHeldAndNotAfter() throws {
        let directory = NSTemporaryDirectory() + "joblock-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(JobLock.currentHolder(directory: directory, identity: "job") == nil, "no lock file yet")
        var lock: JobLock? = try JobLock(directory: directory, identity: "job", description: "a → b")
        let holder = JobLock.currentHolder(directory: directory, identity: "job")
        #expect(holder?.pid == getpid())
        #expect(JobLock.currentHolder(directory: directory, identity: "another job") == nil)
        withExtendedLifetime(lock) {}
        lock = nil
        #expect(JobLock.currentHolder(directory: directory, identity: "job") == nil, "released, as by a killed run")
    }

    @Test func theLockTableMatchesDeviceAndInodeAndSkipsWaiters() {
        // Device 0xfd01 is major 0xfd, minor 0x01.
        let table = LockTable(
            """
            1: FLOCK  ADVISORY  WRITE 4711 fd:01:393228 0 EOF
            2: POSIX  ADVISORY  WRITE 99 00:2d:77 0 EOF
            2: -> FLOCK  ADVISORY  WRITE 12 00:2d:88 0 EOF
            """)
        #expect(table.holds(device: 0xfd01, inode: 393_228))
        #expect(!table.holds(device: 0xfd01, inode: 393_229))
        #expect(table.holds(device: 0x2d, inode: 77))
        #expect(!table.holds(device: 0x2d, inode: 88), "a waiter holds nothing")
    }
}
