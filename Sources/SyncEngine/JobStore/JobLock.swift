import Crypto
import Foundation
import S3Client

#if canImport(Glibc)
    import Glibc
#endif

/// An exclusive lock for one source and destination, so overlapping runs (cron starting a push
/// while the last one still runs) do not both work on the same job. Held with `flock`, so the
/// kernel releases it when the holder dies, even by SIGKILL: a lock is never stale.
public final class JobLock: Sendable {
    /// Who holds a lock, written into the lock file.
    public struct Holder: Codable, Sendable, Hashable {
        public var pid: Int32
        public var host: String
        public var startedAt: String
        public var command: String
    }

    let descriptor: Int32
    public let path: String

    /// Takes the lock or throws ``SyncError`` (locked) naming the holder.
    /// - Parameter directory: where lock files live (next to the state database).
    public init(directory: String, identity: String, description: String) throws(SyncError) {
        let lockDirectory = directory + "/locks"
        do {
            try FileManager.default.createDirectory(
                atPath: lockDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw SyncError(
                .configuration, "cannot create the lock directory \(lockDirectory): \(error.localizedDescription)")
        }
        let path = Self.path(directory: directory, identity: identity)
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw SyncError(.configuration, "cannot open the lock file \(path): \(String(cString: strerror(errno)))")
        }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let holder = Self.readHolder(fd)
            close(fd)
            var message = "another s3sync run is already working on \(description)"
            if let holder {
                message += " (pid \(holder.pid) on \(holder.host), started \(holder.startedAt): \(holder.command))"
            }
            message += "; wait for it to finish or stop it, then run again"
            throw SyncError(.locked, message)
        }
        let holder = Holder(
            pid: getpid(), host: ProcessInfo.processInfo.hostName,
            startedAt: Timestamp.iso8601(secondsSince1970: Int(Date().timeIntervalSince1970)),
            command: CommandLine.arguments.map { $0.contains(" ") ? "'\($0)'" : $0 }.joined(separator: " "))
        if let data = try? JSONEncoder().encode(holder) {
            _ = ftruncate(fd, 0)
            _ = data.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        }
        self.descriptor = fd
        self.path = path
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }

    /// The lock file of a job's source and destination.
    static func path(directory: String, identity: String) -> String {
        let digest = SHA256.hash(data: Array(identity.utf8)).prefix(12).map { String(format: "%02x", $0) }.joined()
        return directory + "/locks/\(digest).lock"
    }

    /// Who holds the lock now, or `nil` when nobody does: a run that was killed has released it.
    /// Looks the lock up in `/proc/locks` rather than trying to take it, so it never makes a run
    /// that starts at the same moment find the lock taken.
    static func currentHolder(directory: String, identity: String) -> Holder? {
        let fd = open(path(directory: directory, identity: identity), O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, let locks = try? String(contentsOfFile: "/proc/locks", encoding: .utf8) else {
            return nil
        }
        guard LockTable(locks).holds(device: UInt64(info.st_dev), inode: UInt64(info.st_ino)) else { return nil }
        return readHolder(fd)
    }

    static func readHolder(_ fd: Int32) -> Holder? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = pread(fd, &buffer, buffer.count, 0)
        guard count > 0 else { return nil }
        return try? JSONDecoder().decode(Holder.self, from: Data(buffer[0..<count]))
    }
}

/// The kernel's table of file locks, `/proc/locks`: one line a lock, such as
/// `1: FLOCK  ADVISORY  WRITE 4711 fd:01:393228 0 EOF` (the file as major:minor:inode, the device
/// numbers in hex); waiters are marked `->` and hold nothing.
struct LockTable {
    let text: String

    init(_ text: String) { self.text = text }

    /// Whether a lock is held on the file with this device and inode.
    func holds(device: UInt64, inode: UInt64) -> Bool {
        // glibc's encoding of a dev_t into its major and minor numbers.
        let major = ((device >> 8) & 0xfff) | ((device >> 32) & ~0xfff)
        let minor = (device & 0xff) | ((device >> 12) & ~0xff)
        for line in text.split(separator: "\n") where !line.contains("->") {
            for field in line.split(separator: " ") {
                let parts = field.split(separator: ":")
                guard parts.count == 3, let lineMajor = UInt64(parts[0], radix: 16),
                    let lineMinor = UInt64(parts[1], radix: 16), let lineInode = UInt64(parts[2])
                else { continue }
                if lineMajor == major && lineMinor == minor && lineInode == inode { return true }
            }
        }
        return false
    }
}
