// Every command's --help reads as paragraphs at 80 columns: lines break where the width ends,
// not where the source code happened to end a line.
import Foundation
import XCTest

final class HelpTextTests: XCTestCase {
    func testOverviewsFlowAsParagraphs() throws {
        for command in ["edit", "segment", "auto", "embed", "export", "import", "bench", "inspect", "index", "similar", "describe", "track"] {
            let run = try SamtermRun.run([command, "--help"])
            XCTAssertEqual(run.status, 0, "\(command): \(run.errors)")
            let overview = run.output.components(separatedBy: "\nUSAGE:")[0]
            let paragraphs = overview.components(separatedBy: "\n\n").map { $0.split(separator: "\n").map(String.init) }
            for lines in paragraphs where lines.count > 1 {
                for line in lines {
                    XCTAssertLessThanOrEqual(line.count, 80, "\(command): \(line)")
                }
                // A line cut short in mid-sentence ("Space or Enter for a") means the source's
                // line break leaked into the text: the next word would have fitted.
                for (line, next) in zip(lines, lines.dropFirst()) {
                    let word = next.split(separator: " ").first.map(String.init) ?? ""
                    XCTAssertGreaterThanOrEqual(line.count + 1 + word.count, 80, "\(command) --help breaks early: \"\(line)\"\n\(overview)")
                }
            }
        }
    }
}
