import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO

/// What went wrong talking to PostgreSQL, in words a user can act on, and whether trying the
/// same statement again may work: the connection dropped or could not be made (a server that
/// restarts), or the server gave up on a transaction it may well run next time (a deadlock, a
/// serialization failure, a shutdown). An SQL error is not tried again.
///
/// `PSQLError` describes itself vaguely on purpose (its query and binds could leak); this reads
/// its code, the server's message and SQLSTATE instead.
struct PostgresFailure: Sendable {
    /// The reason, for "cannot reach the job queue …: REASON" and "the job queue … failed: REASON".
    let reason: String
    /// The connection failed, not the statement.
    let isConnectionLevel: Bool
    /// Worth running again after a pause.
    let isTransient: Bool
    let underlying: any Error

    /// SQLSTATEs a later attempt may not get: connection exceptions (class 08), the server
    /// shutting down or starting (57P01–57P03), serialization failures and deadlocks.
    static let transientStates: Set = ["57P01", "57P02", "57P03", "40001", "40P01"]

    init(_ error: any Error) {
        underlying = error
        switch error {
        case let error as PSQLError:
            (reason, isConnectionLevel, isTransient) = Self.describe(error)
        case let error as PostgresDecodingError:
            reason = "a column \(error.columnName) of type \(error.postgresType) cannot be read as \(error.targetType)"
            (isConnectionLevel, isTransient) = (false, false)
        default:
            // The pool's own error when it gave up making connections for a while (its circuit
            // breaker); it is not exported, so it is known by its name.
            if String(describing: type(of: error)) == "ConnectionPoolError" {
                reason = "no connection could be made for a while (\(error))"
                (isConnectionLevel, isTransient) = (true, true)
            } else if let reason = Self.transportReason(error) {
                self.reason = reason
                (isConnectionLevel, isTransient) = (true, true)
            } else {
                reason = "\(error)"
                (isConnectionLevel, isTransient) = (false, false)
            }
        }
    }

    private static func describe(_ error: PSQLError) -> (String, Bool, Bool) {
        switch error.code {
        case .server:
            let message = error.serverInfo?[.message] ?? "the server refused"
            let state = error.serverInfo?[.sqlState] ?? ""
            let detail = error.serverInfo?[.detail].map { ": \($0)" } ?? ""
            let transient = state.hasPrefix("08") || transientStates.contains(state)
            let text = state.isEmpty ? message + detail : "\(message)\(detail) (SQLSTATE \(state))"
            return (text, state.hasPrefix("08") || state.hasPrefix("57P"), transient)
        case .connectionError:
            let reason = error.underlying.flatMap(transportReason) ?? "the connection failed"
            return (reason, true, true)
        case .serverClosedConnection, .uncleanShutdown:
            let reason = error.underlying.flatMap(transportReason).map { ": \($0)" } ?? ""
            return ("the server closed the connection\(reason)", true, true)
        case .clientClosedConnection:
            return ("the connection was closed", true, true)
        case .sslUnsupported:
            return ("the server does not offer TLS, which sslmode requires", true, false)
        case .failedToAddSSLHandler, .receivedUnencryptedDataAfterSSLRequest:
            return ("TLS could not be set up (\(error.code))", true, false)
        case .authMechanismRequiresPassword:
            return (
                "the server asks for a password and none was given (in the URL, PGPASSWORD or ~/.pgpass)", true, false
            )
        case .unsupportedAuthMechanism:
            return ("the server asks for an authentication method s3sync does not support", true, false)
        case .saslError:
            return ("SCRAM authentication failed", true, false)
        case .poolClosed:
            return ("the store was already closed", true, false)
        case .queryCancelled:
            return ("the statement was cancelled", false, false)
        case .tooManyParameters:
            return ("a statement had too many parameters", false, false)
        default:
            return ("the server's answer could not be understood (\(error.code))", true, false)
        }
    }

    /// The reason of a failure below PostgreSQL: a refused or reset connection, a name that does
    /// not resolve, a TLS handshake that failed; `nil` for anything else.
    static func transportReason(_ error: any Error) -> String? {
        switch error {
        case let error as NIOConnectionError:
            if let first = error.connectionErrors.first {
                return transportReason(first.error) ?? "\(first.error)"
            }
            if error.dnsAError != nil || error.dnsAAAAError != nil {
                return "the host name \(error.host) does not resolve"
            }
            return "no address of \(error.host) accepted a connection"
        case let error as IOError:
            return String(cString: strerror(error.errnoCode)).lowercased()
        case let error as NIOSSLError:
            return "the TLS handshake failed: \(error)"
        case let error as BoringSSLError:
            return "the TLS handshake failed: \(error)"
        case let error as ChannelError:
            switch error {
            case .connectTimeout(let timeout):
                return "no answer within \(timeout.nanoseconds / 1_000_000_000) s"
            default:
                return "the connection failed (\(error))"
            }
        case is NIOSSLExtraError:
            return "the TLS handshake failed: \(error)"
        default:
            return nil
        }
    }

    /// The error a store method throws: "cannot reach the job queue …" for a connection that
    /// failed, "the job queue … failed" for a statement the server refused.
    func syncError(location: PostgresLocation) -> SyncError {
        let message =
            isConnectionLevel
            ? "cannot reach the job queue \(location): \(reason)" : "the job queue \(location) failed: \(reason)"
        return SyncError(.configuration, message, subject: .jobQueue(location.description), underlying: underlying)
    }
}
