import Foundation
import Logging
import S3Client
import SyncEngine

/// Builds the one S3 client of the process from flags, environment and AWS configuration
/// (`~/.aws/config`, `~/.aws/credentials`, the credential chain).
enum ClientFactory {
    struct Settings {
        var endpointURL: String?
        var region: String?
        var checksum: ChecksumAlgorithm = .crc32c
        var concurrency = 32
        var bandwidthLimit: Int64?
        /// The file holding an SSE-C key.
        var customerKeyFile: String?
    }

    static func make(
        global: GlobalOptions, settings: Settings, progress: TransferProgress, logger: Logger
    ) async throws -> S3Client {
        let resolved: ResolvedAWSConfiguration
        do {
            resolved = try await AWSConfigurationLoader(
                environment: global.environment, profile: global.profile, region: settings.region,
                endpointURL: settings.endpointURL, caBundlePath: global.caBundle
            ).load()
        } catch let error as S3ClientError {
            throw SyncError(.configuration, error.message, underlying: error)
        }
        for warning in resolved.warnings { logger.warning("\(warning)") }
        var retry = RetryConfiguration()
        if let attempts = global.retries { retry.maxAttempts = attempts }
        var configuration = resolved.clientConfiguration(retry: retry)
        if let attempts = global.retries { configuration.retry.maxAttempts = attempts }
        configuration.checksumAlgorithm = settings.checksum
        // Not a flag: tests use it to make a stalled server time out quickly.
        if let text = global.environment["S3SYNC_READ_TIMEOUT_SECONDS"], let seconds = Double(text), seconds > 0 {
            configuration.readTimeout = .milliseconds(Int64(seconds * 1000))
        }
        configuration.verifyTLS = !global.noVerifySSL
        configuration.maxConnectionsPerHost = max(settings.concurrency, 8)
        if let limit = settings.bandwidthLimit {
            configuration.bandwidthLimiter = ByteRateLimiter(bytesPerSecond: limit)
        }
        configuration.bodyBytesObserver = { progress.addSent($0) }
        if let path = settings.customerKeyFile {
            do {
                configuration.customerKey = try CustomerKey(contentsOf: path)
            } catch {
                throw SyncError(.configuration, "\(error.message) (--sse-c-key-file)", underlying: error)
            }
        }
        logger.info(
            "configuration",
            metadata: [
                "endpoint": "\(configuration.endpoint)", "region": "\(resolved.region.value)",
                "region_from": "\(resolved.region.source)", "profile": "\(resolved.profile.value)",
            ])
        do {
            return try S3Client(configuration: configuration, logger: logger)
        } catch {
            // The only setting the client itself reads is the CA bundle.
            throw SyncError(
                .configuration, "\(error.description) (from --ca-bundle or AWS_CA_BUNDLE)", underlying: error)
        }
    }
}
