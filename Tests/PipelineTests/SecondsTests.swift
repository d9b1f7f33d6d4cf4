import Pipeline
import Testing

/// `timeout:` values: what a user may write, and what is refused.
@Suite struct SecondsTests {
    @Test(arguments: [
        ("90", 90), ("90s", 90), ("10m", 600), ("1h", 3600), ("1h30m", 5400), ("1h 30m", 5400),
        ("2d", 172_800), ("1d2h3m4s", 93_784), (" 5m ", 300), ("1h0m", 3600), ("365d", 31_536_000),
        ("31536000", 31_536_000), ("0h1s", 1),
    ])
    func acceptsDurations(text: String, seconds: Int) {
        #expect(Seconds.parse(text) == Seconds(seconds))
    }

    @Test(arguments: [
        "", " ", "0", "0s", "0h0m", "-5", "-5m", "1.5h", "10M", "10 minutes", "m", "h1", "1h30", "10x",
        "366d", "31536001", "8761h", "99999999s", "1e3", "１０m", "10m!", "∞", "NaN", "0x10",
        "1s1h", "5m5m", "1m1h", "1 0m", "10 m", "+5", "+5m", "1h+30m",
    ])
    func refusesAnythingElse(text: String) {
        #expect(Seconds.parse(text) == nil)
    }

    @Test func aHugeSumOfUnitsIsRefusedWithoutOverflowing() {
        // Every part is short, but together they exceed Int: this must be "not a duration", not a crash.
        let text = String(repeating: "9999999d", count: 10_700_000)
        #expect(Seconds.parse(text) == nil)
    }

    @Test(arguments: [(0, "0s"), (59, "59s"), (90, "1m30s"), (3600, "1h"), (5400, "1h30m"), (86_400, "24h"), (3661, "1h1m1s")])
    func printsAsAUserWouldWriteIt(seconds: Int, text: String) {
        #expect(Seconds(seconds).description == text)
    }

    @Test func whatIsPrintedParsesBackToTheSameDuration() {
        for value in [1, 59, 60, 61, 3599, 3600, 3601, 86_399, 86_400, 31_536_000] {
            #expect(Seconds.parse(Seconds(value).description) == Seconds(value), "\(value)")
        }
    }

    @Test func durationsCompareByLength() {
        #expect(Seconds(59) < Seconds(60))
        #expect(Seconds.parse("1h")! > Seconds.parse("59m")!)
    }
}
