import PostgresNIO

extension PostgresJobStore {
    /// Opens parts of an upload to every host of its job, in one statement; open parts stay as
    /// they are, and stored ones are not opened again.
    public func openParts(uploadRowID: Int64, numbers: [Int]) async throws {
        guard !numbers.isEmpty else { return }
        try await rows(
            """
            INSERT INTO "partClaim" ("uploadRowID", "partNumber")
            SELECT \(uploadRowID), number FROM unnest(\(numbers.map(Int64.init))::bigint[]) AS number
            WHERE NOT EXISTS (
                SELECT 1 FROM "uploadPart" p WHERE p."uploadRowID" = \(uploadRowID) AND p."partNumber" = number)
            ON CONFLICT DO NOTHING
            """)
    }

    /// Claims an open part nobody holds (or whose lease ran out) in one statement, locking the
    /// candidate with `FOR UPDATE SKIP LOCKED` so hosts claiming at once get different parts; the
    /// lease is on the server's clock.
    public func claimPart(jobID: Int64, uploadRowID: Int64?, worker: String, lease: Duration) async throws
        -> PartClaim?
    {
        guard
            let row = try await row(
                """
                WITH clock AS (
                    SELECT extract(epoch FROM clock_timestamp())::double precision AS now
                ), candidate AS (
                    SELECT c."uploadRowID", c."partNumber" FROM "partClaim" c
                    JOIN "multipartUpload" m ON m.id = c."uploadRowID", clock
                    WHERE m."jobID" = \(jobID) AND (\(uploadRowID)::bigint IS NULL OR c."uploadRowID" = \(uploadRowID))
                    AND (c."leaseUntil" IS NULL OR c."leaseUntil" < clock.now)
                    AND NOT EXISTS (
                        SELECT 1 FROM "uploadPart" p
                        WHERE p."uploadRowID" = c."uploadRowID" AND p."partNumber" = c."partNumber")
                    ORDER BY c."uploadRowID", c."partNumber" LIMIT 1
                    FOR UPDATE OF c SKIP LOCKED
                ), claimed AS (
                    UPDATE "partClaim" c SET "claimedBy" = \(worker), "leaseUntil" = clock.now + \(lease.seconds)
                    FROM candidate, clock
                    WHERE c."uploadRowID" = candidate."uploadRowID" AND c."partNumber" = candidate."partNumber"
                    RETURNING c."uploadRowID", c."partNumber"
                )
                SELECT m.*, claimed."partNumber" AS "claimedPart" FROM claimed
                JOIN "multipartUpload" m ON m.id = claimed."uploadRowID"
                """)
        else { return nil }
        let number: Int64 = try row.value("claimedPart")
        return PartClaim(upload: try row.multipartUpload(), partNumber: Int(number))
    }
}
