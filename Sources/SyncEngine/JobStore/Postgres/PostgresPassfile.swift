import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A libpq password file (`~/.pgpass`): lines of `host:port:database:user:password`, where `*`
/// matches anything, `\:` and `\\` stand for `:` and `\`, and `#` starts a comment. The first
/// line that matches gives the password.
struct PostgresPassfile: Sendable, Hashable {
    struct Entry: Sendable, Hashable {
        var host: String
        var port: String
        var database: String
        var user: String
        var password: String

        func matches(host: String, port: Int, database: String, user: String) -> Bool {
            func match(_ field: String, _ value: String) -> Bool { field == "*" || field == value }
            return match(self.host, host) && match(self.port, String(port)) && match(self.database, database)
                && match(self.user, user)
        }
    }

    var entries: [Entry]

    /// Reads the file at `path`; `nil` when it is missing, not a regular file, or readable by its
    /// group or others (libpq ignores such a file too).
    init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG,
            info.st_mode & (S_IRWXG | S_IRWXO) == 0,
            let text = try? String(contentsOfFile: path, encoding: .utf8)
        else { return nil }
        self.init(text: text)
    }

    init(text: String) {
        entries = text.split(whereSeparator: \.isNewline).compactMap(Self.entry)
    }

    /// The password of the first entry that matches.
    func password(host: String, port: Int, database: String, user: String) -> String? {
        entries.first { $0.matches(host: host, port: port, database: database, user: user) }?.password
    }

    /// A line's five fields, or `nil` for a comment or a line with fewer.
    static func entry(_ line: Substring) -> Entry? {
        guard !line.hasPrefix("#") else { return nil }
        var fields: [String] = []
        var field = ""
        var escaped = false
        for character in line {
            if escaped {
                field.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == ":" && fields.count < 4 {
                fields.append(field)
                field = ""
            } else {
                field.append(character)
            }
        }
        fields.append(field)
        guard fields.count == 5 else { return nil }
        return Entry(host: fields[0], port: fields[1], database: fields[2], user: fields[3], password: fields[4])
    }
}
