/// One `--exclude` or `--include` glob. Rules apply in order; the last one that matches a path
/// decides; a path no rule matches is included.
///
/// Matching, on the path relative to the source directory (`/`-separated):
/// - `*` matches within one path component, `**` across components, `?` one character,
///   `[abc]`, `[a-z]`, `[!abc]` a character class.
/// - A pattern without `/` matches a file's name or the name of any directory above it:
///   `*.tmp` excludes every `.tmp` file, `.git` excludes everything under any `.git` directory.
/// - A pattern with `/` matches from the top of the tree (a leading `/` is optional), against the
///   file's path or the path of any directory above it: `logs/*.gz`, `build/`, `**/cache`.
public struct FilterRule: Sendable, Hashable, Codable {
    public enum Action: String, Sendable, Hashable, Codable {
        case include, exclude
    }

    public let action: Action
    public let pattern: String

    public init(_ action: Action, _ pattern: String) {
        self.action = action
        self.pattern = pattern
    }
}

/// The compiled rules, applied to relative paths.
public struct PathFilter: Sendable {
    struct CompiledRule: Sendable {
        let action: FilterRule.Action
        let glob: [UInt8]
        let anchored: Bool
    }

    let rules: [CompiledRule]

    public init(_ rules: [FilterRule]) {
        self.rules = rules.map { rule in
            var pattern = Substring(rule.pattern)
            var anchored = pattern.contains("/")
            while pattern.hasSuffix("/") && pattern.count > 1 { pattern = pattern.dropLast() }
            if pattern.hasPrefix("/") {
                pattern = pattern.drop { $0 == "/" }
                anchored = true
            }
            return CompiledRule(action: rule.action, glob: Array(pattern.utf8), anchored: anchored)
        }
    }

    public var isEmpty: Bool { rules.isEmpty }
    /// Whether any rule includes: then an excluded directory may still hold included files.
    public var hasIncludes: Bool { rules.contains { $0.action == .include } }

    /// Whether the file at this relative path takes part in the sync.
    public func includes(_ path: String) -> Bool {
        guard !rules.isEmpty else { return true }
        let bytes = Array(path.utf8)
        for rule in rules.reversed() where matches(rule, bytes) {
            return rule.action == .include
        }
        return true
    }

    /// Whether a directory can be skipped whole: an exclude rule matches it and no include rule
    /// exists that could bring something under it back.
    public func excludesDirectory(_ path: String) -> Bool {
        guard !rules.isEmpty, !hasIncludes else { return false }
        let bytes = Array(path.utf8)
        return rules.contains { $0.action == .exclude && matches($0, bytes) }
    }

    func matches(_ rule: CompiledRule, _ path: [UInt8]) -> Bool {
        // The path itself, then each directory above it.
        var ends: [Int] = [path.count]
        for (index, byte) in path.enumerated() where byte == UInt8(ascii: "/") { ends.append(index) }
        for end in ends {
            if rule.anchored {
                if Glob.matches(rule.glob[...], path[0..<end]) { return true }
            } else {
                var start = end
                while start > 0 && path[start - 1] != UInt8(ascii: "/") { start -= 1 }
                if Glob.matches(rule.glob[...], path[start..<end]) { return true }
            }
        }
        return false
    }
}

/// Glob matching over UTF-8 bytes: `*`, `**`, `?`, `[...]`.
enum Glob {
    static func matches(_ pattern: ArraySlice<UInt8>, _ text: ArraySlice<UInt8>) -> Bool {
        var p = pattern.startIndex
        var t = text.startIndex
        // Backtracking points for the last `*` / `**`.
        var starP = -1
        var starT = -1
        while t < text.endIndex {
            if p < pattern.endIndex {
                let c = pattern[p]
                if c == UInt8(ascii: "*") {
                    var next = p + 1
                    let double = next < pattern.endIndex && pattern[next] == UInt8(ascii: "*")
                    while next < pattern.endIndex && pattern[next] == UInt8(ascii: "*") { next += 1 }
                    if double {
                        // `**/` also matches zero directories; `**` matches any rest, `/` included.
                        if next < pattern.endIndex && pattern[next] == UInt8(ascii: "/")
                            && matches(pattern[(next + 1)...], text[t...])
                        {
                            return true
                        }
                        var k = t
                        while k <= text.endIndex {
                            if matches(pattern[next...], text[k...]) { return true }
                            k += 1
                        }
                        return false
                    }
                    starP = next
                    starT = t
                    p = next
                    continue
                }
                if c == UInt8(ascii: "?") {
                    if text[t] != UInt8(ascii: "/") {
                        p += 1
                        t += 1
                        continue
                    }
                } else if c == UInt8(ascii: "["), let (matched, after) = matchClass(pattern, p, text[t]) {
                    if matched {
                        p = after
                        t += 1
                        continue
                    }
                } else if c == UInt8(ascii: "\\") && p + 1 < pattern.endIndex {
                    if pattern[p + 1] == text[t] {
                        p += 2
                        t += 1
                        continue
                    }
                } else if c == text[t] {
                    p += 1
                    t += 1
                    continue
                }
            }
            // Mismatch: let the last star take one more character.
            if starP >= 0 && text[starT] != UInt8(ascii: "/") {
                starT += 1
                t = starT
                p = starP
                continue
            }
            return false
        }
        while p < pattern.endIndex && pattern[p] == UInt8(ascii: "*") { p += 1 }
        return p == pattern.endIndex
    }

    /// Matches a `[...]` class at `start`; returns whether `byte` is in it and where the class ends,
    /// or `nil` when the bracket is not a complete class (then it is a literal `[`).
    static func matchClass(_ pattern: ArraySlice<UInt8>, _ start: Int, _ byte: UInt8) -> (Bool, Int)? {
        var index = start + 1
        var negated = false
        if index < pattern.endIndex && (pattern[index] == UInt8(ascii: "!") || pattern[index] == UInt8(ascii: "^")) {
            negated = true
            index += 1
        }
        var matched = false
        var first = true
        while index < pattern.endIndex {
            let c = pattern[index]
            if c == UInt8(ascii: "]") && !first {
                return (byte != UInt8(ascii: "/") && matched != negated, index + 1)
            }
            first = false
            if index + 2 < pattern.endIndex && pattern[index + 1] == UInt8(ascii: "-")
                && pattern[index + 2] != UInt8(ascii: "]")
            {
                if c <= byte && byte <= pattern[index + 2] { matched = true }
                index += 3
            } else {
                if c == byte { matched = true }
                index += 1
            }
        }
        return nil
    }
}
