import Foundation

/// Where a shared job store is: a `postgresql://` URL completed by the `PG*` variables and
/// `~/.pgpass`, as `psql` completes it.
///
/// ```swift
/// let location = try PostgresLocation(url: "postgresql://s3sync@db.internal/jobs?sslmode=verify-full",
///                                     environment: ProcessInfo.processInfo.environment)
/// print(location)  // postgresql://s3sync@db.internal:5432/jobs
/// ```
public struct PostgresLocation: Sendable, CustomStringConvertible {
    /// How the connection is encrypted, as libpq's `sslmode` says it.
    ///
    /// s3sync always verifies the server's certificate when it uses TLS, in every mode: `prefer`
    /// and `require` check the chain as `verify-ca` does, and `verify-full` checks the host name
    /// too. A server whose certificate cannot be verified is refused, not used unverified.
    public enum SSLMode: String, Sendable, Hashable, CaseIterable {
        /// Never TLS.
        case disable
        /// TLS when the server offers it (s3sync treats it as `prefer`).
        case allow
        /// TLS when the server offers it.
        case prefer
        /// TLS or no connection.
        case require
        /// TLS with a certificate signed by a trusted CA, whatever host name it names.
        case verifyCA = "verify-ca"
        /// TLS with a certificate signed by a trusted CA for this host name.
        case verifyFull = "verify-full"
    }

    public var host: String
    public var port: Int
    public var user: String
    public var database: String
    /// Never printed.
    public var password: String?
    public var sslMode: SSLMode
    /// A PEM file of the CAs to trust instead of the system's.
    public var sslRootCert: String?

    /// Parses `postgresql://USER[:PASSWORD]@HOST[:PORT]/DB?sslmode=…&sslrootcert=…` (or
    /// `postgres://…`). What the URL leaves out comes from `PGHOST`, `PGPORT`, `PGUSER`,
    /// `PGPASSWORD`, `PGDATABASE`, `PGSSLMODE` and `PGSSLROOTCERT`; then the password from the
    /// password file (`PGPASSFILE`, else `HOME/.pgpass`, used only when its mode is 0600 or
    /// stricter, as libpq does); then the defaults: localhost, port 5432, the user `USER` (else
    /// `postgres`), a database named after the user, `sslmode=prefer`.
    ///
    /// A host that starts with `/` is the directory of the server's Unix socket.
    /// - Throws: ``SyncError`` (usage) naming what is wrong with the URL or a variable; the
    ///   message never contains the password.
    public init(url: String, environment: [String: String]) throws(SyncError) {
        let parts = try URLParts(url)
        func variable(_ name: String) -> String? {
            guard let value = environment[name], !value.isEmpty else { return nil }
            return value
        }
        host = parts.host ?? variable("PGHOST") ?? "localhost"
        let portText = parts.port ?? variable("PGPORT")
        if let portText {
            guard let port = Int(portText), (1...65535).contains(port) else {
                let source = parts.port == nil ? "PGPORT" : "the job queue URL"
                throw SyncError(.usage, "the port '\(portText)' in \(source) is not a number from 1 to 65535")
            }
            self.port = port
        } else {
            port = 5432
        }
        user = parts.user ?? variable("PGUSER") ?? variable("USER") ?? "postgres"
        database = parts.database ?? variable("PGDATABASE") ?? user
        let modeText = parts.parameters["sslmode"] ?? variable("PGSSLMODE")
        if let modeText {
            guard let mode = SSLMode(rawValue: modeText) else {
                let source = parts.parameters["sslmode"] == nil ? "PGSSLMODE" : "the job queue URL"
                let modes = SSLMode.allCases.map(\.rawValue).joined(separator: ", ")
                throw SyncError(.usage, "sslmode '\(modeText)' in \(source) is not one of \(modes)")
            }
            sslMode = mode
        } else {
            sslMode = .prefer
        }
        sslRootCert = parts.parameters["sslrootcert"] ?? variable("PGSSLROOTCERT")
        password = parts.password ?? variable("PGPASSWORD")
        if password == nil {
            let passfile = variable("PGPASSFILE") ?? variable("HOME").map { $0 + "/.pgpass" }
            if let passfile {
                password = PostgresPassfile(path: passfile)?.password(
                    host: host.hasPrefix("/") ? "localhost" : host, port: port, database: database, user: user)
            }
        }
    }

    /// `postgresql://user@host:port/db`, never with the password.
    public var description: String {
        let shownHost: String
        if host.contains(":") {
            shownHost = "[\(host)]"
        } else {
            shownHost = host.replacingOccurrences(of: "/", with: "%2F")
        }
        return "postgresql://\(user)@\(shownHost):\(port)/\(database)"
    }

    /// The path of the server's Unix socket, when the host is a directory.
    var unixSocketPath: String? {
        host.hasPrefix("/") ? "\(host)/.s.PGSQL.\(port)" : nil
    }
}

/// The pieces of a `postgresql://` URL, percent-decoded; `nil` for what it leaves out.
private struct URLParts {
    var user: String?
    var password: String?
    var host: String?
    var port: String?
    var database: String?
    var parameters: [String: String] = [:]

    static let knownParameters: Set = ["sslmode", "sslrootcert"]

    init(_ url: String) throws(SyncError) {
        var rest = Substring(url)
        if rest.hasPrefix("postgresql://") {
            rest = rest.dropFirst("postgresql://".count)
        } else if rest.hasPrefix("postgres://") {
            rest = rest.dropFirst("postgres://".count)
        } else {
            let scheme = url.range(of: "://").map { String(url[..<$0.lowerBound]) + "://" } ?? "no scheme"
            throw SyncError(
                .usage, "the job queue URL must start with postgresql:// or postgres:// (it has \(scheme))")
        }
        if let question = rest.firstIndex(of: "?") {
            for pair in rest[rest.index(after: question)...].split(separator: "&") {
                let (name, value) = try Self.split(pair)
                guard Self.knownParameters.contains(name) else {
                    throw SyncError(
                        .usage,
                        "the job queue URL has the parameter '\(name)', which s3sync does not know (it knows sslmode and sslrootcert)"
                    )
                }
                parameters[name] = value
            }
            rest = rest[..<question]
        }
        var authority = rest
        if let slash = rest.firstIndex(of: "/") {
            authority = rest[..<slash]
            let path = rest[rest.index(after: slash)...]
            if !path.isEmpty { database = try Self.decode(path, what: "database name") }
        }
        if let at = authority.lastIndex(of: "@") {
            let userInfo = authority[..<at]
            authority = authority[authority.index(after: at)...]
            if let colon = userInfo.firstIndex(of: ":") {
                password = try Self.decode(userInfo[userInfo.index(after: colon)...], what: "password")
                user = try Self.decode(userInfo[..<colon], what: "user name")
            } else if !userInfo.isEmpty {
                user = try Self.decode(userInfo, what: "user name")
            }
            if user?.isEmpty == true { user = nil }
        }
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else {
                throw SyncError(.usage, "the job queue URL has an IPv6 host without its closing ']'")
            }
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") {
                portText = after.dropFirst()
            } else if !after.isEmpty {
                throw SyncError(.usage, "the job queue URL has '\(after)' after its IPv6 host")
            }
        } else if let colon = authority.lastIndex(of: ":") {
            portText = authority[authority.index(after: colon)...]
            authority = authority[..<colon]
            if !authority.isEmpty { host = try Self.decode(authority, what: "host") }
        } else if !authority.isEmpty {
            host = try Self.decode(authority, what: "host")
        }
        if let portText, !portText.isEmpty { port = String(portText) }
    }

    static func split(_ pair: Substring) throws(SyncError) -> (String, String) {
        guard let equals = pair.firstIndex(of: "=") else {
            throw SyncError(.usage, "the job queue URL has the parameter '\(pair)' without a value (NAME=VALUE)")
        }
        let name = try decode(pair[..<equals], what: "parameter name")
        return (name, try decode(pair[pair.index(after: equals)...], what: "value of \(name)"))
    }

    /// Percent-decodes a piece of the URL; never echoes it, since it may be the password.
    static func decode(_ text: Substring, what: String) throws(SyncError) -> String {
        guard text.contains("%") else { return String(text) }
        guard let decoded = text.removingPercentEncoding else {
            throw SyncError(.usage, "the \(what) in the job queue URL has a malformed %-escape")
        }
        return decoded
    }
}
