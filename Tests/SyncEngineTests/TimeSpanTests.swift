import Testing

@testable import SyncEngine

@Suite struct TimeSpanTests {
    @Test func spansParseAsUsersWriteThem() {
        #expect(TimeSpan.parse("30s") == 30)
        #expect(TimeSpan.parse("5m") == 300)
        #expect(TimeSpan.parse("24h") == 86400)
        #expect(TimeSpan.parse("7d") == 604_800)
        #expect(TimeSpan.parse("2w") == 1_209_600)
        #expect(TimeSpan.parse("1h30m") == 5400)
        #expect(TimeSpan.parse("1.5h") == 5400)
        #expect(TimeSpan.parse("0") == 0)
        #expect(TimeSpan.parse("0s") == 0)
        #expect(TimeSpan.parse(" 12H ") == 43200)
    }

    @Test func anythingElseIsRefused() {
        for text in ["", "10", "5x", "-5m", "h", "1h30", "m5", "1..5h", "five minutes"] {
            #expect(TimeSpan.parse(text) == nil, "\(text)")
        }
    }

    @Test func spansPrintWithTheTwoLargestUnits() {
        #expect(TimeSpan.format(0) == "0s")
        #expect(TimeSpan.format(45.9) == "45s")
        #expect(TimeSpan.format(185) == "3m05s")
        #expect(TimeSpan.format(3600) == "1h")
        #expect(TimeSpan.format(7805) == "2h10m")
        #expect(TimeSpan.format(3 * 86400 + 4 * 3600 + 59) == "3d4h")
        #expect(TimeSpan.format(-5) == "0s")
    }
}
