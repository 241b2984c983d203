import Foundation
import Logging
import NIOSSL
import PostgresNIO

extension PostgresLocation {
    /// The TLS settings for this location's `sslmode`, or `nil` when it is `disable` or the host
    /// is a Unix socket. Certificates are always verified (see ``SSLMode``): `verify-full` checks
    /// the chain and the host name, every other mode the chain.
    /// - Throws: ``SyncError`` (configuration) when `sslrootcert` cannot be read.
    func tlsConfiguration() throws(SyncError) -> TLSConfiguration? {
        guard sslMode != .disable, unixSocketPath == nil else { return nil }
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = sslMode == .verifyFull ? .fullVerification : .noHostnameVerification
        if let sslRootCert {
            do {
                tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(sslRootCert))
            } catch {
                throw SyncError(
                    .configuration,
                    "cannot read the CA certificates \(sslRootCert) (sslrootcert) for the job queue \(self): \(error)",
                    subject: .jobQueue(description))
            }
        }
        return tls
    }

    /// Whether a server that does not offer TLS is refused.
    var requiresTLS: Bool { [.require, .verifyCA, .verifyFull].contains(sslMode) }

    /// The pool's configuration.
    func clientConfiguration() throws(SyncError) -> PostgresClient.Configuration {
        var configuration: PostgresClient.Configuration
        if let unixSocketPath {
            configuration = .init(
                unixSocketPath: unixSocketPath, username: user, password: password, database: database)
        } else {
            let tls: PostgresClient.Configuration.TLS
            if let settings = try tlsConfiguration() {
                tls = requiresTLS ? .require(settings) : .prefer(settings)
            } else {
                tls = .disable
            }
            configuration = .init(
                host: host, port: port, username: user, password: password, database: database, tls: tls)
        }
        configuration.options.additionalStartupParameters = [("application_name", "s3sync")]
        return configuration
    }

    /// The configuration of a connection of its own (migrations, the planner's lock).
    /// - Parameter applicationName: what `pg_stat_activity` shows for it.
    func connectionConfiguration(applicationName: String = "s3sync") throws(SyncError)
        -> PostgresConnection.Configuration
    {
        var configuration: PostgresConnection.Configuration
        if let unixSocketPath {
            configuration = .init(
                unixSocketPath: unixSocketPath, username: user, password: password, database: database)
        } else {
            let tls: PostgresConnection.Configuration.TLS
            if let settings = try tlsConfiguration() {
                let context: NIOSSLContext
                do {
                    context = try NIOSSLContext(configuration: settings)
                } catch {
                    throw SyncError(
                        .configuration, "cannot set up TLS for the job queue \(self): \(error)",
                        subject: .jobQueue(description))
                }
                tls = requiresTLS ? .require(context) : .prefer(context)
            } else {
                tls = .disable
            }
            configuration = .init(
                host: host, port: port, username: user, password: password, database: database, tls: tls)
        }
        configuration.options.additionalStartupParameters = [("application_name", applicationName)]
        return configuration
    }

    /// Opens a connection of its own.
    /// - Throws: ``SyncError`` (configuration) saying why the server cannot be reached.
    func connect(applicationName: String = "s3sync", logger: Logger) async throws -> PostgresConnection {
        let configuration = try connectionConfiguration(applicationName: applicationName)
        do {
            return try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
        } catch {
            throw PostgresFailure(error).syncError(location: self)
        }
    }
}
