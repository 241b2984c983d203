import Foundation

/// The Content-Type of a file from its extension: the system's table (`/etc/mime.types`, which
/// the `media-types` package keeps up to date) where there is one, else a built-in table of the
/// common types.
enum MediaTypes {
    static let systemTable = "/etc/mime.types"

    /// Extension (lowercase, without the dot) → media type.
    static let table: [String: String] = {
        guard let text = try? String(contentsOfFile: systemTable, encoding: .utf8) else { return builtIn }
        let parsed = parse(text)
        return parsed.isEmpty ? builtIn : parsed
    }()

    /// The media type for a path, or `nil` when its extension is unknown (the store then uses its
    /// default, `binary/octet-stream` or `application/octet-stream`).
    static func type(forPath path: String) -> String? {
        let name = path.split(separator: "/").last ?? ""
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return nil }
        return table[name[name.index(after: dot)...].lowercased()]
    }

    /// Reads the `mime.types` format: `type ext ext …` per line, `#` comments.
    static func parse(_ text: String) -> [String: String] {
        var table: [String: String] = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard let type = fields.first, !type.hasPrefix("#"), type.contains("/") else { continue }
            for ext in fields.dropFirst() where table[ext.lowercased()] == nil {
                table[ext.lowercased()] = String(type)
            }
        }
        return table
    }

    static let builtIn: [String: String] = [
        "html": "text/html", "htm": "text/html", "css": "text/css", "js": "text/javascript",
        "mjs": "text/javascript", "json": "application/json", "xml": "application/xml", "txt": "text/plain",
        "csv": "text/csv", "md": "text/markdown", "pdf": "application/pdf", "zip": "application/zip",
        "gz": "application/gzip", "tgz": "application/gzip", "tar": "application/x-tar", "bz2": "application/x-bzip2",
        "xz": "application/x-xz", "zst": "application/zstd", "7z": "application/x-7z-compressed",
        "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif", "webp": "image/webp",
        "svg": "image/svg+xml", "ico": "image/vnd.microsoft.icon", "tif": "image/tiff", "tiff": "image/tiff",
        "heic": "image/heic", "avif": "image/avif", "mp3": "audio/mpeg", "wav": "audio/wav", "ogg": "audio/ogg",
        "flac": "audio/flac", "mp4": "video/mp4", "webm": "video/webm", "mov": "video/quicktime",
        "mkv": "video/x-matroska", "wasm": "application/wasm", "woff": "font/woff", "woff2": "font/woff2",
        "ttf": "font/ttf", "otf": "font/otf", "doc": "application/msword",
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "sql": "application/sql", "yaml": "application/yaml", "yml": "application/yaml", "sh": "application/x-sh",
    ]
}
