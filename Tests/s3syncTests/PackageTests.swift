import Foundation
import S3TestSupport
import Testing

/// The Debian package of `scripts/package.sh`, installed on this machine with `dpkg -i` as an
/// administrator would (the test runs as root, as CI does), used, and removed again: whatever
/// happens, nothing of it stays installed.
@Suite struct PackageTests {
    static let installedFiles = [
        "/usr/bin/s3sync", "/usr/share/man/man1/s3sync.1.gz", "/usr/share/bash-completion/completions/s3sync",
        "/usr/share/zsh/vendor-completions/_s3sync", "/usr/share/fish/vendor_completions.d/s3sync.fish",
        "/usr/lib/systemd/system/s3sync-push@.service", "/usr/lib/systemd/system/s3sync-push@.timer",
        "/usr/lib/systemd/system/s3sync-worker@.service",
        "/usr/lib/sysusers.d/s3sync.conf", "/usr/share/doc/s3sync/copyright", "/usr/share/doc/s3sync/README.md",
    ]
    static let conffile = "/etc/s3sync/example.env"

    @Test func thePackageInstallsTheCommandItsManualCompletionsAndTimerAndRemovesCleanly() async throws {
        try #require(getuid() == 0, "dpkg -i needs root: run the tests as root, as CI does")
        let before = try await Shell.run(
            "/usr/bin/dpkg-query", ["--show", "--showformat=${db:Status-Status}", "s3sync"])
        try #require(
            ["", "not-installed", "config-files"].contains(before.output),
            "s3sync is installed on this machine already (\(before.output)): this test installs and removes its own")

        // The release binary scripts/test.sh built before `swift test`; nothing is built again.
        var environment = ProcessInfo.processInfo.environment
        environment["S3SYNC_PACKAGE_NO_BUILD"] = "1"
        let package = try await Shell.run(
            "/bin/bash", [TestEnvironment.packageRoot + "/scripts/package.sh"], environment: environment,
            timeout: .seconds(600))
        try #require(package.status == 0, "\(package.output)\n\(package.errorOutput)")
        let release = try await Shell.run(TestEnvironment.packageRoot + "/.build/release/s3sync", ["--version"])
        let version = release.output.trimmingCharacters(in: .whitespacesAndNewlines)
        let architecture = try await Shell.run("/usr/bin/dpkg", ["--print-architecture"]).output
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let deb = TestEnvironment.packageRoot + "/dist/s3sync_\(version)_\(architecture).deb"
        #expect(package.output.contains(deb))

        defer { _ = try? Shell.runSync("/usr/bin/dpkg", ["--purge", "s3sync"]) }
        let install = try await Shell.run("/usr/bin/dpkg", ["-i", deb])
        try #require(install.status == 0, "\(install.output)\n\(install.errorOutput)")
        let fields = try await Shell.run(
            "/usr/bin/dpkg-query", ["--show", "--showformat=${Version} ${Architecture} ${Depends}", "s3sync"])
        #expect(fields.output == "\(version) \(architecture) libc6 (>= 2.36), libstdc++6, zlib1g, libsqlite3-0")

        let installedVersion = try await Shell.run("/usr/bin/s3sync", ["--version"])
        #expect(installedVersion.status == 0)
        #expect(installedVersion.output == release.output)

        let manual = try await Shell.run("/usr/bin/man", ["-P", "cat", "s3sync"])
        #expect(manual.status == 0, "\(manual.errorOutput)")
        for word in ["s3sync", "push", "pull", "resume", "status", "--state"] {
            #expect(manual.output.contains(word), "man s3sync does not mention \(word)")
        }

        for file in Self.installedFiles + [Self.conffile] {
            #expect(FileManager.default.fileExists(atPath: file), "\(file) was not installed")
        }
        let completion = try String(contentsOfFile: "/usr/share/bash-completion/completions/s3sync", encoding: .utf8)
        #expect(completion.contains("push") && completion.contains("pull"))
        let example = try FileManager.default.attributesOfItem(atPath: Self.conffile)
        #expect((example[.posixPermissions] as? Int) == 0o600, "the env file holds credentials: root only")

        // A named instance of each template, as `systemctl enable --now s3sync-push@nightly.timer`
        // loads them; verify also checks that ExecStart's binary and the man page they cite exist.
        let verify = try await Shell.run(
            "/usr/bin/systemd-analyze",
            ["verify", "s3sync-push@nightly.service", "s3sync-push@nightly.timer", "s3sync-worker@movers.service"],
            timeout: .seconds(60))
        #expect(verify.status == 0, "\(verify.errorOutput)")
        #expect(verify.errorOutput.isEmpty, "systemd-analyze verify warns:\n\(verify.errorOutput)")

        // Removal takes everything but the edited configuration; a purge takes that too.
        let remove = try await Shell.run("/usr/bin/dpkg", ["-r", "s3sync"])
        #expect(remove.status == 0, "\(remove.output)\n\(remove.errorOutput)")
        for file in Self.installedFiles {
            #expect(!FileManager.default.fileExists(atPath: file), "\(file) was left after dpkg -r")
        }
        #expect(FileManager.default.fileExists(atPath: Self.conffile), "dpkg -r keeps configuration files")
        let purge = try await Shell.run("/usr/bin/dpkg", ["--purge", "s3sync"])
        #expect(purge.status == 0, "\(purge.output)\n\(purge.errorOutput)")
        #expect(!FileManager.default.fileExists(atPath: Self.conffile))
    }
}
