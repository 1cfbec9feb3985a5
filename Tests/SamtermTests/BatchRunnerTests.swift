// The loop of every batch command: skip the complete, count the failures, go on.
import XCTest
@testable import samterm

final class BatchRunnerTests: XCTestCase {
    private struct Broken: Error, CustomStringConvertible {
        let description: String
    }

    /// Images named "done-*" are complete, "bad-*" fail to process, "clash-*" have outputs
    /// that must not be replaced; `processed` records what was done.
    private final class RecordingJob: BatchJob {
        var processed: [String] = []

        func isComplete(_ input: String) throws -> Bool {
            if input.hasPrefix("clash-") { throw Broken(description: "out/\(input): made with another prompt") }
            return input.hasPrefix("done-")
        }

        func process(_ input: String) throws {
            if input.hasPrefix("bad-") { throw Broken(description: "\(input): corrupt PNG file:\nbad CRC") }
            processed.append(input)
        }
    }

    private func run(_ inputs: [String], overwrite: Bool) -> (BatchSummary, RecordingJob, String) {
        let job = RecordingJob()
        var log = ""
        let reporter = ProgressReporter(total: inputs.count, style: .log(interval: 1000), write: { log += $0 })
        let summary = BatchRunner(overwrite: overwrite).run(inputs, job: job, reporter: reporter)
        return (summary, job, log)
    }

    func testSkipsCompleteImagesAndGoesOnAfterAFailure() {
        let (summary, job, log) = run(["done-1", "a", "bad-2", "b", "clash-3", "done-4"], overwrite: false)
        XCTAssertEqual(job.processed, ["a", "b"])
        XCTAssertEqual([summary.processed, summary.skipped, summary.failed], [2, 2, 2])
        XCTAssertEqual(summary.exitStatus, 1)
        XCTAssertEqual(log, "failed: bad-2: corrupt PNG file: bad CRC\nfailed: clash-3: out/clash-3: made with another prompt\n",
                       "one line per failure, naming the image once")
        XCTAssertTrue(summary.line.hasPrefix("6 images: 2 processed, 2 skipped, 2 failed in "), summary.line)
    }

    func testOverwriteRedoesCompleteImagesWithoutAsking() {
        let (summary, job, _) = run(["done-1", "clash-2", "a"], overwrite: true)
        XCTAssertEqual(job.processed, ["done-1", "clash-2", "a"])
        XCTAssertEqual([summary.processed, summary.skipped, summary.failed], [3, 0, 0])
        XCTAssertEqual(summary.exitStatus, 0)
    }

    func testFailureLineNamesTheImageOnce() {
        XCTAssertEqual(BatchSummary.failureLine(input: "x.png", error: Broken(description: "x.png: truncated")), "x.png: truncated")
        XCTAssertEqual(BatchSummary.failureLine(input: "x.png", error: Broken(description: "out of memory")), "x.png: out of memory")
        XCTAssertEqual(BatchSummary(processed: 1, seconds: 0.04).line, "1 image: 1 processed, 0 skipped, 0 failed in 0.0 s")
    }
}

final class EmbedBudgetWarningTests: XCTestCase {
    func testWarnsOnlyWhenTheCacheOutgrowsTheEditorsBudgetAndSaysHowToKeepItAll() {
        XCTAssertNil(Embed.budgetWarning(total: 2 << 30, budget: 2 << 30))
        XCTAssertEqual(Embed.budgetWarning(total: 5 << 29, budget: 2 << 30),
                       "warning: the cache holds 2.50 GiB, more than the editor keeps (2.00 GiB): it deletes the least "
                       + "recently used files when it next encodes an image. Set SAMTERM_CACHE_MAX_GB=4 (for embed and the editor) to keep them all.")
    }
}
