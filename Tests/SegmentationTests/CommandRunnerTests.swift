// The command runner with real commands: output, status, a missing command, the cap, a
// timeout and a cancel that end the command's children too, and the file's path in the line.
import Foundation
@testable import Segmentation
import XCTest

final class CommandRunnerTests: XCTestCase {
    func testOutputAndStatusComeBack() throws {
        let result = try CommandRunner.run("printf 'a red apple\\nsecond'; echo oops >&2; exit 3", timeout: 30)
        XCTAssertEqual(result.ending, .exited(3))
        XCTAssertEqual(result.output, "a red apple\nsecondoops\n")
        XCTAssertEqual(result.firstLine, "a red apple")
        XCTAssertEqual(result.failure, "exited with status 3")
        XCTAssertTrue(try CommandRunner.run("true", timeout: 30).succeeded)
        let missing = try CommandRunner.run("no-such-command-samterm", timeout: 30)
        XCTAssertEqual(missing.ending, .exited(127))
        XCTAssertTrue(missing.output.contains("not found"), missing.output)
    }

    func testTheFilesPathGoesWhereTheBracesAreQuoted() {
        XCTAssertEqual(CommandRunner.commandLine("file {}", path: "/tmp/a b.png"), "file '/tmp/a b.png'")
        XCTAssertEqual(CommandRunner.commandLine("identify", path: "/tmp/it's.png"), "identify '/tmp/it'\\''s.png'")
        XCTAssertEqual(CommandRunner.commandLine("cmp {} {}", path: "x"), "cmp 'x' 'x'")
    }

    func testOutputIsCapped() throws {
        let result = try CommandRunner.run("head -c 200000 /dev/zero | tr '\\0' x", timeout: 30)
        XCTAssertTrue(result.succeeded)
        XCTAssertEqual(result.output.count, CommandRunner.outputLimit)
    }

    func testATimeoutEndsTheCommandAndItsChildren() throws {
        let marker = NSTemporaryDirectory() + "samterm-runner-\(UUID().uuidString)"
        // The child outlives the shell's own wait unless the whole group is killed.
        let result = try CommandRunner.run("(sleep 3; touch '\(marker)') & sleep 600", timeout: 1)
        XCTAssertEqual(result.ending, .timedOut(seconds: 1))
        Thread.sleep(forTimeInterval: 3.5)
        XCTAssertFalse(FileManager.default.fileExists(atPath: marker), "the child was killed with the group")
        // A shell that closes its output and goes on is cut at the deadline too.
        XCTAssertEqual(try CommandRunner.run("exec >/dev/null 2>&1; sleep 600", timeout: 1).ending, .timedOut(seconds: 1))
    }

    func testACancelStopsIt() throws {
        let started = Date()
        let result = try CommandRunner.run("sleep 600", timeout: 600) { Date().timeIntervalSince(started) > 0.5 }
        XCTAssertEqual(result.ending, .cancelled)
        XCTAssertEqual(result.failure, "cancelled")
    }
}
