// `!` against the pure update: the command typed, the cut-out asked of the worker, the command
// run in the background, its answer in a box, the first line kept as the name (and undone).
import Foundation
import Segmentation
import XCTest
@testable import TerminalUI

final class DescribeTests: XCTestCase {
    typealias F = EditorFixtures

    private func stateWithObject() throws -> EditorState {
        var state = F.loadedState()
        let request = try XCTUnwrap(F.predictRequests(F.press([.character(" ")], on: &state)).first)
        _ = state.apply(.prediction(requestID: request.id, result: F.result()))
        return state
    }

    private func type(_ text: String, on state: inout EditorState) {
        F.press(text.map { .character($0) }, on: &state)
    }

    func testTheCommandsFirstLineBecomesTheNameAndUndoTakesItBack() throws {
        var state = try stateWithObject()
        F.press([.character("!")], on: &state)
        XCTAssertEqual(state.mode, .describeCommand(""))
        type("file -b {}", on: &state)
        XCTAssertTrue(Chrome.messageLine(state, width: 120).plainText.contains("Command ({} is the cut-out): file -b {}_"))
        let effects = F.press([.enter], on: &state)
        guard case .makeCutout(let cutout)? = effects.first else { return XCTFail("\(effects)") }
        XCTAssertEqual(cutout.object.id, state.currentObject?.id)
        XCTAssertEqual(cutout.object.steps.count, 1, "the record replays the object at full size")
        XCTAssertEqual(state.describing?.command, "file -b {}")

        let run = state.apply(.cutoutWritten(requestID: cutout.id, path: "/tmp/x/cat cut.png", folder: "/tmp/x"))
        guard case .runCommand(let command)? = run.first else { return XCTFail("\(run)") }
        XCTAssertEqual(command.line, "file -b '/tmp/x/cat cut.png'")
        XCTAssertEqual(command.timeout, 60)
        XCTAssertEqual(command.folder, "/tmp/x")
        // The editor keeps answering meanwhile.
        F.press([.character("o")], on: &state)
        XCTAssertEqual(state.message?.text, "Overlay off")

        let said = CommandResult(ending: .exited(0), output: "\n  PNG image data, 40 x 20\nmore\n")
        _ = state.apply(.commandFinished(requestID: cutout.id, result: said))
        guard case .describeResult(let shown) = state.mode else { return XCTFail("\(state.mode)") }
        let lines = EditorState.describeResultLines(shown)
        XCTAssertEqual(lines.first, "`file -b {}` on object 1: done")
        XCTAssertTrue(lines.contains("  PNG image data, 40 x 20"))
        XCTAssertEqual(lines.last, "Enter: keep the first line as the object's name   Esc: close")

        let saved = F.saves(F.press([.enter], on: &state))
        XCTAssertEqual(state.currentObject?.name, "PNG image data, 40 x 20")
        XCTAssertEqual(saved.last?.objects.first?.name, "PNG image data, 40 x 20")
        F.press([.character("u")], on: &state)
        XCTAssertNil(state.currentObject?.name)

        // `!` offers the last command again.
        F.press([.character("!")], on: &state)
        XCTAssertEqual(state.mode, .describeCommand("file -b {}"))
    }

    func testFailuresShowAndEscCancelsARunningCommand() throws {
        var state = try stateWithObject()
        state.setup.describeCommand = "sleep 600"
        state.setup.describeTimeout = 2
        F.press([.character("!")], on: &state)
        XCTAssertEqual(state.mode, .describeCommand("sleep 600"), "--describe-command is offered first")
        guard case .makeCutout(let cutout)? = F.press([.enter], on: &state).first else { return XCTFail("no cut-out asked") }
        let run = state.apply(.cutoutWritten(requestID: cutout.id, path: "/tmp/y/c.png", folder: "/tmp/y"))
        guard case .runCommand(let command)? = run.first else { return XCTFail("\(run)") }
        XCTAssertEqual(command.timeout, 2)
        XCTAssertTrue(F.press([.character("!")], on: &state).isEmpty)
        XCTAssertTrue(state.message?.text.contains("still running") ?? false)

        _ = state.apply(.commandFinished(requestID: cutout.id, result: CommandResult(ending: .timedOut(seconds: 2), output: "")))
        guard case .describeResult(let shown) = state.mode else { return XCTFail("\(state.mode)") }
        XCTAssertEqual(EditorState.describeResultLines(shown).first, "`sleep 600` on object 1: timed out after 2 s")
        F.press([.enter], on: &state)
        XCTAssertNil(state.currentObject?.name, "a failure names nothing")

        // Esc while one runs cancels it.
        F.press([.character("!")], on: &state)
        guard case .makeCutout(let second)? = F.press([.enter], on: &state).first else { return XCTFail("no cut-out asked") }
        let cancel = F.press([.escape], on: &state)
        guard case .cancelCommand(second.id)? = cancel.first else { return XCTFail("\(cancel)") }
        _ = state.apply(.commandFinished(requestID: second.id, result: CommandResult(ending: .cancelled, output: "")))
        XCTAssertEqual(state.mode, .normal)
        XCTAssertEqual(state.message?.text, "Command cancelled")

        // A failure to make the cut-out is one message.
        F.press([.character("!")], on: &state)
        guard case .makeCutout(let third)? = F.press([.enter], on: &state).first else { return XCTFail("no cut-out asked") }
        _ = state.apply(.describeFailed(requestID: third.id, message: "the object's mask is empty"))
        XCTAssertEqual(state.message, StatusMessage("!: the object's mask is empty", isError: true))
        XCTAssertNil(state.describing)
    }
}

final class DescribeWorkerTests: XCTestCase {
    func testTheWorkerWritesTheObjectsCutOutAtFullSize() throws {
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/sam2")
        let model = try Model(path: fixtures.appendingPathComponent("tiny_sam2.1.pt").path, device: .cpu)
        let imagePath = fixtures.appendingPathComponent("image_wide.png").path
        let (worker, recorder, _) = EditorFixtures.realWorker(model: model, imagePath: imagePath)
        defer { worker.stop() }
        var base = BinaryMask(width: 64, height: 48)
        for y in 10..<30 { for x in 20..<45 { base[x, y] = true } }
        let record = ObjectRecord(id: 3, name: nil, color: RGBColor(1, 2, 3), steps: [], base: Session.BaseMask(mask: base))
        worker.submit(.makeCutout(CutoutRequest(id: 9, imageIndex: 0, imagePath: imagePath, object: record)))
        let events = recorder.wait { $0.contains { if case .cutoutWritten(9, _, _) = $0 { return true }
                                                    if case .describeFailed(9, _) = $0 { return true }
                                                    return false } }
        guard case .cutoutWritten(_, let path, let folder)? = events.last else { return XCTFail("\(events.last.map { "\($0)" } ?? "")") }
        defer { try? FileManager.default.removeItem(atPath: folder) }
        XCTAssertTrue(path.hasPrefix(folder + "/"))
        let result = try CommandRunner.run(CommandRunner.commandLine("file -b", path: path), timeout: 30)
        XCTAssertEqual(result.output, "PNG image data, 25 x 20, 8-bit/color RGBA, non-interlaced\n")
    }
}
