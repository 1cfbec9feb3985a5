// What a batch shows while it runs: a bar on a terminal, plain lines in a log.
import XCTest
@testable import samterm

final class ProgressReporterTests: XCTestCase {
    /// A reporter on a clock the test moves, writing into `written`.
    private final class Harness {
        var time = 100.0
        var written: [String] = []
        lazy var reporter = ProgressReporter(total: 10, style: style, now: { [unowned self] in time },
                                             write: { [unowned self] in written.append($0) })
        let style: ProgressReporter.Style
        init(_ style: ProgressReporter.Style) { self.style = style }

        func item(_ name: String, seconds: Double, _ outcome: ProgressReporter.Outcome) {
            reporter.begin(name)
            time += seconds
            reporter.end(outcome)
        }
    }

    func testLogGetsPlainLinesAtMostEveryIntervalAndEveryFailure() {
        let log = Harness(.log(interval: 10))
        log.item("a.png", seconds: 4, .processed)
        log.item("b.png", seconds: 0, .skipped)
        XCTAssertEqual(log.written, [], "nothing before the interval")
        log.item("c.png", seconds: 6, .processed)
        XCTAssertEqual(log.written, ["3/10 (2 processed, 1 skipped, 0 failed), 0.20 images/s, ETA 0:35\n"],
                       "the rate counts the time spent processing, not on skipped images")
        log.item("d.png", seconds: 1, .failed("d.png: not a PNG or JPEG file"))
        XCTAssertEqual(log.reporter.statusText(), "4/10 (2 processed, 1 skipped, 1 failed), 0.20 images/s, ETA 0:30",
                       "nor on failures")
        XCTAssertEqual(log.written.last, "failed: d.png: not a PNG or JPEG file\n")
        XCTAssertEqual(log.reporter.finish(), BatchSummary(processed: 2, skipped: 1, failed: 1, seconds: 11))
        XCTAssertFalse(log.written.joined().contains("\u{1B}"), "no escape codes in a log")
        XCTAssertFalse(log.written.joined().contains("\r"))
    }

    func testTerminalRedrawsOneBarInPlaceAndClearsItForFailuresAndAtTheEnd() {
        let terminal = Harness(.terminal(columns: 100))
        terminal.item("first.png", seconds: 2, .processed)
        let bar = terminal.written.last!
        XCTAssertEqual(bar, "\r\u{1B}[K[##" + String(repeating: ".", count: 18) + "] 1/10  0.50 img/s  ETA 0:18  first.png")
        XCTAssertLessThanOrEqual(bar.count - 4, 99, "fits the terminal")
        terminal.item("second.png", seconds: 1, .failed("second.png: truncated PNG file"))
        XCTAssertTrue(terminal.written.contains("failed: second.png: truncated PNG file\n"))
        let failure = terminal.written.firstIndex(of: "failed: second.png: truncated PNG file\n")!
        XCTAssertEqual(terminal.written[failure - 1], "\r\u{1B}[K", "the bar is cleared before the line")
        XCTAssertTrue(terminal.written.last!.hasSuffix("2/10  0.50 img/s  ETA 0:16  1 failed  second.png"), terminal.written.last!)
        terminal.item("a-very-long-file-name-that-goes-on-and-on-and-on.png", seconds: 0, .skipped)
        XCTAssertEqual(terminal.written.last!.count, 4 + 99, "cut to fit the terminal")
        _ = terminal.reporter.finish()
        XCTAssertEqual(terminal.written.last, "\r\u{1B}[K")
    }

    func testTimesRead() {
        XCTAssertEqual(ProgressReporter.clockText(7), "0:07")
        XCTAssertEqual(ProgressReporter.clockText(754.2), "12:35")
        XCTAssertEqual(ProgressReporter.clockText(3 * 3600 + 121), "3:02:01")
        XCTAssertEqual(ProgressReporter.durationText(4.14), "4.1 s")
        XCTAssertEqual(ProgressReporter.durationText(75), "1:15")
        XCTAssertEqual(ProgressReporter.bar(fraction: 0.5, width: 4), "[##..]")
        XCTAssertEqual(ProgressReporter.bar(fraction: 1.5, width: 2), "[##]")
        XCTAssertNil(ProgressReporter.rate(worked: 0, seconds: 3))
    }
}
