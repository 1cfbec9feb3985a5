// Random and hostile command lines for every command: samterm never dies of a signal, exits 0, 1
// or 2 only, and a failure says what is wrong in one `Error:` line that names the argument.
import Foundation
import XCTest

final class ArgumentFuzzTests: XCTestCase {
    private static let fixtures = EditorEndToEndTests.fixtures
    private static let image = fixtures.appendingPathComponent("image_wide.png").path
    private static let checkpoint = fixtures.appendingPathComponent("tiny_sam2.1.pt").path

    /// Values that have broken parsers elsewhere: signs, bounds, non-numbers, odd paths.
    private static let values = [
        "-5", "0", "1", "3", "2.5", "-1,-1", "1,2", "1,2,3,4", "10,10,5,5", "0x10", "inf", "nan", "-nan", "1e40",
        "100000", "99999999999999999999", "", " ", "abc", "--", "-", "=", ",", ",,,", "1,", "@/nonexistent", "@/dev/null",
        "/dev/null", "/nonexistent/x.png", "/tmp", "é😀", String(repeating: "9", count: 400), String(repeating: "a/", count: 300),
        "0/0", "3/2", "-1/4", "1/0", "cpu", "cuda", "auto", "generic", "bf16", "png,coco", "png,,", "unknown",
    ]

    /// The options a command's --help lists, so the vocabulary follows the commands.
    private func options(of command: String) throws -> [String] {
        let help = try SamtermRun.run([command, "--help"]).output
        let listed = help.components(separatedBy: "OPTIONS:").dropFirst().joined()
        let found = listed.matches(of: #/--[a-z][a-z0-9-]*/#).map { String($0.output) }
        return Array(Set(found).subtracting(["--help", "--version"])).sorted()
    }

    func testRandomCommandLinesNeverCrashAndFailInOneLine() throws {
        var random = SeededRandom(seed: 0x5a17e)
        for command in ["segment", "auto", "embed", "export", "inspect", "edit", "index", "similar"] {
            let names = try options(of: command)
            XCTAssertGreaterThan(names.count, 2, command)
            for _ in 0..<10 {
                var arguments = [command]
                // Mostly a real image and the tiny model, so some lines get past the parser.
                if random.next(4) > 0 { arguments.append(Self.image) }
                if random.next(3) > 0 { arguments += ["--checkpoint", Self.checkpoint] }
                for _ in 0..<(1 + random.next(4)) {
                    let name = names[random.next(names.count)]
                    switch random.next(5) {
                    case 0: arguments.append(name)
                    case 1: arguments.append(name + "=" + Self.values[random.next(Self.values.count)])
                    default: arguments += [name, Self.values[random.next(Self.values.count)]]
                    }
                }
                if random.next(6) == 0 { arguments.append(Self.values[random.next(Self.values.count)]) }
                try check(arguments)
            }
        }
    }

    /// The inputs are checked before the model is loaded: a missing image is named even when the
    /// checkpoint is missing too, and no time goes to loading a model for nothing.
    func testInputsAreCheckedBeforeTheModel() throws {
        for command in ["embed", "segment", "auto", "index", "similar"] {
            var arguments = [command, "/nonexistent/photo.png", "--checkpoint", "/nonexistent/model.pt"]
            if command == "segment" || command == "similar" { arguments += ["--point", "1,1"] }
            if command == "index" { arguments += ["--db", "/nonexistent/index.sqlite"] }
            let run = try SamtermRun.run(arguments)
            XCTAssertTrue([1, 2].contains(run.status), "\(command): \(run.errors)")
            XCTAssertTrue(run.errors.contains("/nonexistent/photo.png"), "\(command): \(run.errors)")
            XCTAssertFalse(run.errors.contains("Running on"), "\(command) loaded a model: \(run.errors)")
        }
    }

    private func check(_ arguments: [String]) throws {
        let run = try SamtermRun.run(arguments, timeout: 60)
        let shown = arguments.map { $0.count > 40 ? String($0.prefix(40)) + "…" : $0 }.joined(separator: " ")
        XCTAssertFalse(run.killedBySignal, "samterm \(shown) died of signal \(run.status): \(run.errors)")
        XCTAssertTrue([0, 1, 2].contains(run.status), "samterm \(shown) exited \(run.status): \(run.errors)")
        guard run.status != 0 else { return }
        let errorLines = run.errors.split(separator: "\n").filter { $0.hasPrefix("Error") }
        XCTAssertEqual(errorLines.count, 1, "samterm \(shown): \(run.errors)")
        // Naming it: an option, a value or a file of the command line, or what is missing.
        let line = errorLines.first.map(String.init) ?? ""
        let named = line.contains("--") || line.contains("<") || arguments.dropFirst().contains { argument in
            let shown = argument.isEmpty || argument.trimmingCharacters(in: .whitespaces) != argument ? "\"\(argument)\"" : argument
            // A one-character value counts only where the line starts with it ("Error: 0: ...").
            return shown.count > 1 ? line.contains(String(shown.prefix(40)))
                : line.hasPrefix("Error: \(shown):") || line.contains("'\(shown)'")
        }
        XCTAssertTrue(named, "samterm \(shown): the error names nothing of the command line: \(line)")
    }
}

/// SplitMix64: the same command lines on every run.
struct SeededRandom {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next(_ bound: Int) -> Int {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return Int((z ^ (z >> 31)) % UInt64(bound))
    }
}
