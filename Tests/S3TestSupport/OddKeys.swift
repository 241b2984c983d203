/// Keys that break naive encoders: the trap list from DESIGN.md.
public enum OddKeys {
    public static let all: [String] = [
        "plain.txt", "with space", "two  spaces", "plus+sign", "percent%41", "percent%", "hash#tag", "question?mark",
        "amp&er=sand", "quote\"double", "quote'single", "[brackets]", "{braces}", "(parens)", "tilde~under_score",
        "star*", "semi;colon", "colon:", "comma,", "at@", "dollar$", "caret^", "back`tick", "pipe|", "less<greater>",
        "ünïcödé/日本語/файл", "emoji-😀", "a-b", "a/b", "a.b", "a0",
        "deep/" + (1...40).map { "d\($0)" }.joined(separator: "/") + "/leaf",
        "trailing-dot.", "dir with space/file with space",
        // 1024 bytes in all, in components a filesystem-backed server can store (≤ 255 bytes each).
        (0..<4).map { String(repeating: Character(String(UnicodeScalar(UInt8(ascii: "k") + UInt8($0)))), count: 250) }
            .joined(separator: "/") + "/" + String(repeating: "z", count: 1024 - 4 * 251),
    ]
}
