import Foundation
import S3TestSupport
import Testing

@testable import SyncEngine

/// How a job queue's URL is completed by the `PG*` variables and `~/.pgpass`, as libpq does.
@Suite struct PostgresLocationTests {
    @Test func aFullURLGivesEveryPart() throws {
        let location = try PostgresLocation(
            url: "postgresql://s3sync:s%40cret@db.internal:6543/jobs?sslmode=verify-full&sslrootcert=/etc/ca.pem",
            environment: ["PGHOST": "ignored", "PGPASSWORD": "ignored"])
        #expect(location.host == "db.internal")
        #expect(location.port == 6543)
        #expect(location.user == "s3sync")
        #expect(location.password == "s@cret")
        #expect(location.database == "jobs")
        #expect(location.sslMode == .verifyFull)
        #expect(location.sslRootCert == "/etc/ca.pem")
        #expect(location.description == "postgresql://s3sync@db.internal:6543/jobs")
        #expect(!location.description.contains("cret"))
    }

    @Test func variablesAndDefaultsFillWhatTheURLLeavesOut() throws {
        let environment = [
            "PGHOST": "pg.example", "PGPORT": "5433", "PGUSER": "alice", "PGDATABASE": "queue",
            "PGPASSWORD": "pw", "PGSSLMODE": "require", "PGSSLROOTCERT": "/ca.pem", "USER": "bob",
        ]
        let filled = try PostgresLocation(url: "postgres://", environment: environment)
        #expect(filled.host == "pg.example")
        #expect(filled.port == 5433)
        #expect(filled.user == "alice")
        #expect(filled.database == "queue")
        #expect(filled.password == "pw")
        #expect(filled.sslMode == .require)
        #expect(filled.sslRootCert == "/ca.pem")

        let defaults = try PostgresLocation(url: "postgresql:///", environment: ["USER": "bob"])
        #expect(defaults.host == "localhost")
        #expect(defaults.port == 5432)
        #expect(defaults.user == "bob")
        #expect(defaults.database == "bob")
        #expect(defaults.password == nil)
        #expect(defaults.sslMode == .prefer)
        #expect(try PostgresLocation(url: "postgresql://h", environment: [:]).user == "postgres")

        let ipv6 = try PostgresLocation(url: "postgresql://u@[::1]:7/d", environment: [:])
        #expect(ipv6.host == "::1")
        #expect(ipv6.description == "postgresql://u@[::1]:7/d")
        let socket = try PostgresLocation(url: "postgresql://u@%2Ftmp%2Fpg/d", environment: [:])
        #expect(socket.host == "/tmp/pg")
        #expect(socket.unixSocketPath == "/tmp/pg/.s.PGSQL.5432")
    }

    @Test func thePasswordFileIsReadOnlyWhenPrivate() throws {
        let directory = try TestEnvironment.makeTemporaryDirectory("pgpass")
        defer { TestEnvironment.removeTree(directory) }
        let path = directory + "/.pgpass"
        let lines = [
            "# comment",
            "other:*:*:*:wrong",
            "db.internal:5432:jobs:s3sync:first\\:secret",
            "*:*:*:s3sync:fallback",
        ]
        try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        let environment = ["HOME": directory]
        #expect(
            try PostgresLocation(url: "postgresql://s3sync@db.internal/jobs", environment: environment).password
                == "first:secret")
        #expect(
            try PostgresLocation(url: "postgresql://s3sync@elsewhere:9/x", environment: environment).password
                == "fallback")
        #expect(
            try PostgresLocation(url: "postgresql://bob@db.internal/jobs", environment: environment).password == nil)
        #expect(
            try PostgresLocation(url: "postgresql://s3sync:given@db.internal/jobs", environment: environment).password
                == "given")
        let moved = directory + "/passfile"
        try FileManager.default.moveItem(atPath: path, toPath: moved)
        #expect(
            try PostgresLocation(url: "postgresql://s3sync@h/d", environment: ["PGPASSFILE": moved]).password
                == "fallback")

        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: moved)
        #expect(
            try PostgresLocation(url: "postgresql://s3sync@h/d", environment: ["PGPASSFILE": moved]).password == nil)
    }

    @Test func passwordFileLinesUnescapeColonsAndBackslashes() {
        let file = PostgresPassfile(text: #"h\:x:1:d\\b:u:p\:w:x"#)
        #expect(file.entries == [.init(host: "h:x", port: "1", database: #"d\b"#, user: "u", password: "p:w:x")])
        #expect(file.password(host: "h:x", port: 1, database: #"d\b"#, user: "u") == "p:w:x")
        #expect(PostgresPassfile(text: "too:few:fields").entries.isEmpty)
    }

    @Test(arguments: [
        ("mysql://u:hunter2@h/d", "postgresql://"),
        ("postgresql://u:hunter2@h:port/d", "port 'port'"),
        ("postgresql://u:hunter2@h:70000/d", "port '70000'"),
        ("postgresql://u:hunter2@h/d?sslmode=sometimes", "sslmode 'sometimes'"),
        ("postgresql://u:hunter2@h/d?timeout=3", "'timeout'"),
        ("postgresql://u:hunter2@h/d?sslmode", "without a value"),
        ("postgresql://u:hunter2@[::1/d", "IPv6"),
    ])
    func malformedURLsAreUsageErrorsThatHideThePassword(url: String, complaint: String) {
        let error = #expect(throws: SyncError.self) { try PostgresLocation(url: url, environment: [:]) }
        #expect(error?.kind == .usage)
        #expect(error?.message.contains(complaint) == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("hunter2") == false)
    }

    @Test func badVariablesAreNamed() {
        let error = #expect(throws: SyncError.self) {
            try PostgresLocation(url: "postgresql://h/d", environment: ["PGSSLMODE": "on"])
        }
        #expect(error?.message.contains("PGSSLMODE") == true)
    }
}
