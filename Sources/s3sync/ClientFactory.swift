import Foundation
import Logging
import S3Client
import SyncEngine

/// Builds the one S3 client of the process from flags, environment and AWS configuration.
enum ClientFactory {
    struct Settings {
        var endpointURL: String?
        var region: String?
        var checksum: ChecksumAlgorithm = .crc32c
        var concurrency = 32
        var bandwidthLimit: Int64?
    }

    static func make(
        global: GlobalOptions, settings: Settings, progress: TransferProgress, logger: Logger
    ) async throws -> S3Client {
        let environment = global.environment
        func value(_ names: String...) -> String? {
            for name in names {
                if let value = environment[name], !value.isEmpty { return value }
            }
            return nil
        }
        let ignoreConfigured = value("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")?.lowercased() == "true"
        let endpointURL =
            settings.endpointURL ?? (ignoreConfigured ? nil : value("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"))
        let region = settings.region ?? value("AWS_REGION", "AWS_DEFAULT_REGION") ?? "us-east-1"
        let endpoint: S3Endpoint?
        do {
            endpoint = try endpointURL.map { try S3Endpoint(url: $0) }
        } catch {
            throw SyncError(.usage, "\(error)")
        }
        var retry = RetryConfiguration()
        if let attempts = global.retries ?? value("AWS_MAX_ATTEMPTS").flatMap(Int.init) {
            retry.maxAttempts = max(1, attempts)
        }
        if value("AWS_RETRY_MODE")?.lowercased() == "standard" { retry.mode = .standard }
        var configuration = S3ClientConfiguration(
            region: region, endpoint: endpoint,
            credentialProvider: CredentialProviderChain([EnvironmentCredentialProvider(environment: environment)]),
            checksumAlgorithm: settings.checksum, retry: retry,
            caBundlePath: global.caBundle ?? value("AWS_CA_BUNDLE"), verifyTLS: !global.noVerifySSL,
            maxConnectionsPerHost: max(settings.concurrency, 8))
        if let limit = settings.bandwidthLimit {
            configuration.bandwidthLimiter = ByteRateLimiter(bytesPerSecond: limit)
        }
        configuration.bodyBytesObserver = { progress.addSent($0) }
        do {
            return try S3Client(configuration: configuration, logger: logger)
        } catch {
            throw SyncError(.configuration, error.description)
        }
    }
}
