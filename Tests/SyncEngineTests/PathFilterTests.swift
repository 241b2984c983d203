import Testing

@testable import SyncEngine

@Suite struct PathFilterTests {
    @Test func globsMatchWithinAndAcrossComponents() {
        #expect(Glob.matches(Array("*.txt".utf8)[...], Array("a.txt".utf8)[...]))
        #expect(!Glob.matches(Array("*.txt".utf8)[...], Array("d/a.txt".utf8)[...]))
        #expect(Glob.matches(Array("**/*.txt".utf8)[...], Array("d/e/a.txt".utf8)[...]))
        #expect(Glob.matches(Array("**/*.txt".utf8)[...], Array("a.txt".utf8)[...]))
        #expect(Glob.matches(Array("d/**".utf8)[...], Array("d/e/f".utf8)[...]))
        #expect(Glob.matches(Array("f?le".utf8)[...], Array("file".utf8)[...]))
        #expect(!Glob.matches(Array("a?b".utf8)[...], Array("a/b".utf8)[...]))
        #expect(Glob.matches(Array("[abc]x".utf8)[...], Array("bx".utf8)[...]))
        #expect(!Glob.matches(Array("[!abc]x".utf8)[...], Array("bx".utf8)[...]))
        #expect(Glob.matches(Array("[a-c]x".utf8)[...], Array("cx".utf8)[...]))
        #expect(Glob.matches(Array("[x".utf8)[...], Array("[x".utf8)[...]))
    }

    @Test func lastMatchingRuleWins() {
        let filter = PathFilter([FilterRule(.exclude, "*"), FilterRule(.include, "*.jpg")])
        #expect(filter.includes("photos/cat.jpg"))
        #expect(!filter.includes("photos/cat.png"))
        let reversed = PathFilter([FilterRule(.include, "*.jpg"), FilterRule(.exclude, "*")])
        #expect(!reversed.includes("cat.jpg"))
    }

    @Test func namePatternsMatchAnyDirectoryAbove() {
        let filter = PathFilter([FilterRule(.exclude, ".git"), FilterRule(.exclude, "*.tmp")])
        #expect(!filter.includes(".git/config"))
        #expect(!filter.includes("sub/.git/objects/ab"))
        #expect(!filter.includes("deep/x.tmp"))
        #expect(filter.includes("src/main.swift"))
        #expect(filter.excludesDirectory("sub/.git"))
    }

    @Test func slashPatternsAreAnchoredAtTheTop() {
        let filter = PathFilter([FilterRule(.exclude, "logs/*.gz"), FilterRule(.exclude, "/build/")])
        #expect(!filter.includes("logs/a.gz"))
        #expect(filter.includes("other/logs/a.gz"))
        #expect(!filter.includes("build/out.o"))
        #expect(filter.includes("src/build/out.o"))
    }

    @Test func directoriesAreNotPrunedWhenIncludesExist() {
        let filter = PathFilter([FilterRule(.exclude, "cache"), FilterRule(.include, "cache/keep.txt")])
        #expect(!filter.excludesDirectory("cache"))
        #expect(filter.includes("cache/keep.txt"))
        #expect(!filter.includes("cache/drop.txt"))
    }
}
