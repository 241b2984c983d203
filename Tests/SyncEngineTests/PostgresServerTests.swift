import Foundation
import S3TestSupport
import Testing

@Suite struct PostgresServerTests {
    @Test func theSharedClusterIsStartedOnceAndGivesEachCallItsOwnDatabase() async throws {
        let postgres = try await PostgresServer.shared()
        #expect(try await PostgresServer.shared().port == postgres.port)
        let first = try await postgres.makeDatabase()
        let second = try await postgres.makeDatabase()
        #expect(first != second)
        #expect(first.hasPrefix("postgresql://postgres@127.0.0.1:\(postgres.port)/s3sync_"))
        #expect(first.hasSuffix("?sslmode=disable"))
        _ = try postgres.psql("CREATE TABLE marks (value text)", database: first)
        #expect(throws: (any Error).self, "the other database has no such table") {
            try postgres.psql("SELECT value FROM marks", database: second)
        }
    }

    @Test func psqlRoundTripsAValue() async throws {
        let postgres = try await PostgresServer.shared()
        let database = try await postgres.makeDatabase()
        _ = try postgres.psql("CREATE TABLE marks (id int, value text)", database: database)
        _ = try postgres.psql("INSERT INTO marks VALUES (1, 'élan'), (2, 'b')", database: database)
        #expect(try postgres.psql("SELECT id, value FROM marks ORDER BY id", database: database) == "1|élan\n2|b")
    }

    @Test func aRestartKeepsTheDataAndAcceptsConnectionsAgain() async throws {
        let work = try await PostgresServer.with { postgres in
            let database = try await postgres.makeDatabase()
            _ = try postgres.psql("CREATE TABLE marks AS SELECT 42 AS value", database: database)
            try await postgres.restart()
            #expect(try postgres.psql("SELECT value FROM marks", database: database) == "42")
            #expect(try await postgres.makeDatabase() != database)
            return postgres.workDirectory
        }
        #expect(!FileManager.default.fileExists(atPath: work), "stop removes the cluster's directory")
    }

    @Test func aClusterWithAPasswordAuthenticatesWithItAndNeverLogsIt() async throws {
        let password = "pg-secret-\(UUID().uuidString.prefix(8))"
        try await PostgresServer.with(password: password) { postgres in
            let url = try await postgres.makeDatabase()
            #expect(url.hasPrefix("postgresql://postgres:\(password)@127.0.0.1:\(postgres.port)/s3sync_"))
            #expect(try postgres.psql("SELECT current_user", database: url) == "postgres")
            #expect(try postgres.psql("SELECT DISTINCT auth_method FROM pg_hba_file_rules") == "scram-sha-256")
            #expect(!postgres.log.contains(password))
        }
    }
}
