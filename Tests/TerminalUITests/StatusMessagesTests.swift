// Messages belong to the state they describe: keys say what they did or why they did nothing,
// and a message about a wait goes when the wait is over. And one number per object, everywhere.
import XCTest
import Segmentation
@testable import TerminalUI

final class StatusMessagesTests: XCTestCase {
    typealias F = EditorFixtures

    func testRemovingAPointAndClearingSayWhatTheyDid() throws {
        var state = F.loadedState()
        let first = try XCTUnwrap(F.predictRequests(F.press([.character(" ")], on: &state)).first)
        _ = state.apply(.prediction(requestID: first.id, result: F.result()))
        let second = try XCTUnwrap(F.predictRequests(F.press([.right, .character("x")], on: &state)).first)
        _ = state.apply(.prediction(requestID: second.id, result: F.result(count: 1, best: 0)))
        F.press([.character("d")], on: &state)
        XCTAssertEqual(state.message?.text, "Removed the nearest point from object 1")
        let third = try XCTUnwrap(state.currentObject.flatMap { object -> Int? in
            if case .pending(let id) = object.prediction { return id } else { return nil }
        })
        _ = state.apply(.prediction(requestID: third, result: F.result()))
        F.press([.character("c")], on: &state)
        XCTAssertEqual(state.message?.text, "Cleared object 1 (u brings it back)")
        F.press([.character("u")], on: &state)
        XCTAssertEqual(state.message?.text, "Undid: clear object 1")
        F.press([.character("u")], on: &state)
        XCTAssertEqual(state.message?.text, "Undid: remove a point from object 1")
    }

    func testTheLastLatencyIsNotShownOnAnotherImage() throws {
        var state = F.loadedState(paths: ["/a.png", "/b.png"])
        _ = state.apply(.latencyMeasured(milliseconds: 123))
        XCTAssertTrue(Chrome.statusLine(state, width: 200).plainText.contains("123 ms"))
        F.press([.character("]")], on: &state)
        XCTAssertNil(state.lastLatencyMilliseconds)
        XCTAssertFalse(Chrome.statusLine(state, width: 200).plainText.contains(" ms"), Chrome.statusLine(state, width: 200).plainText)
    }

    func testStillEncodingGoesWhenTheEncodingIsDone() throws {
        var state = EditorState(imagePaths: ["/images/cat.png"], terminal: F.terminal, setup: F.setup)
        _ = state.apply(.modelLoaded(name: "sam2.1_hiera_t", device: "cpu"))
        _ = state.apply(.imageLoaded(index: 0, image: F.gradient(width: 80, height: 40)))
        _ = state.apply(.sessionLoaded(index: 0, sha256: F.imageSHA256, outcome: .fresh))
        _ = state.apply(.encodingStarted(index: 0, at: 1))
        F.press([.character("A")], on: &state)
        XCTAssertEqual(state.message?.text, "The image is still being encoded")
        _ = state.apply(.imageEncoded(index: 0, seconds: 0.5, fromCache: false))
        XCTAssertEqual(state.message?.text, "Ready: encoded in 0.5 s")
    }

    func testStillLoadingGoesWhenTheImageArrives() throws {
        var state = EditorState(imagePaths: ["/images/cat.png"], terminal: F.terminal, setup: F.setup)
        F.press([.character("A")], on: &state)
        XCTAssertEqual(state.message?.text, "The image is still loading")
        _ = state.apply(.imageLoaded(index: 0, image: F.gradient(width: 80, height: 40)))
        XCTAssertNil(state.message)
    }

    func testAMissingCandidateSaysWhy() throws {
        var state = F.loadedState()
        F.press([.character("2")], on: &state)
        XCTAssertEqual(state.message?.text, "No candidate 2: place a point first")
        let first = try XCTUnwrap(F.predictRequests(F.press([.character(" ")], on: &state)).first)
        _ = state.apply(.prediction(requestID: first.id, result: F.result()))
        let refined = try XCTUnwrap(F.predictRequests(F.press([.right, .character(" ")], on: &state)).first)
        _ = state.apply(.prediction(requestID: refined.id, result: F.result(count: 1, best: 0)))
        F.press([.character("2")], on: &state)
        XCTAssertEqual(state.message?.text, "No candidate 2: one candidate after a refining click (m asks for three)")
        F.press([.tab], on: &state)
        XCTAssertEqual(state.message?.text, "No other candidate: one candidate after a refining click (m asks for three)")
        let multimask = try XCTUnwrap(F.predictRequests(F.press([.character("m")], on: &state)).first)
        XCTAssertTrue(multimask.prompting.multimask)
        _ = state.apply(.prediction(requestID: multimask.id, result: F.result()))
        F.press([.character("2")], on: &state)
        XCTAssertEqual(state.currentObject?.chosen, 1)
    }

    func testSteppingPastTheLastImageSaysItWrapped() throws {
        var state = F.loadedState(paths: ["/a.png", "/b.png"])
        F.press([.character("]")], on: &state)
        XCTAssertNil(state.message)
        F.press([.character("]")], on: &state)
        XCTAssertEqual(state.currentImage, 0)
        XCTAssertEqual(state.message?.text, "First image again (wrapped)")
        F.press([.character("[")], on: &state)
        XCTAssertEqual(state.currentImage, 1)
        XCTAssertEqual(state.message?.text, "Last image again (wrapped)")
    }

    func testAnUnknownKeyPointsToTheHelp() throws {
        var state = F.loadedState()
        F.press([.character("§")], on: &state)
        XCTAssertEqual(state.message?.text, "§ does nothing here: ? for help")
        F.press([.control("g")], on: &state)
        XCTAssertEqual(state.message?.text, "Ctrl-G does nothing here: ? for help")
    }

    // MARK: - One number per object

    func testAnObjectMadeWhileTheSessionLoadsKeepsTheNumberItIsFirstShownWith() throws {
        var state = F.loadedState(session: nil)
        let early = try XCTUnwrap(F.predictRequests(F.press([.character(" ")], on: &state)).first)
        XCTAssertTrue(Chrome.statusLine(state, width: 200).plainText.contains("new object (1 of 1)"),
                      Chrome.statusLine(state, width: 200).plainText)
        XCTAssertTrue(ObjectPanel.lines(state, width: 20, height: 10).map(\.plainText).contains { $0.contains("new") })
        XCTAssertFalse(ObjectPanel.lines(state, width: 20, height: 10).map(\.plainText).contains { $0.contains(" 1") })

        let replays = F.replayRequests(state.apply(.sessionLoaded(index: 0, sha256: F.imageSHA256, outcome: .found(AutosaveTests.savedSession()))))
        XCTAssertEqual(replays.map(\.objectID), [1, 4])
        XCTAssertEqual(state.document.objects.map(\.id), [1, 4, 5], "the session's objects keep their ids; the new one comes after")
        XCTAssertEqual(state.currentObject?.id, 5)
        XCTAssertTrue(Chrome.statusLine(state, width: 200).plainText.contains("object 5 (3 of 3)"),
                      Chrome.statusLine(state, width: 200).plainText)
        XCTAssertTrue(ObjectPanel.lines(state, width: 20, height: 10).map(\.plainText).contains { $0.contains("5") })

        let saved = F.saves(state.apply(.prediction(requestID: early.id, result: F.result())))
        XCTAssertEqual(saved.last?.objects.map(\.id), [1, 4, 5])
        for replay in replays { _ = state.apply(.replayed(requestID: replay.id, result: F.result(count: 1, best: 0), maskInput: nil)) }
        F.press([.character("n")], on: &state)
        XCTAssertEqual(state.message?.text, "Accepted object 5; now object 6")
        // Undoing the early click leaves the session's objects where they are.
        F.press([.character("u")], on: &state)
        XCTAssertEqual(state.message?.text, "Undid: point on object 5", "the number it has now, not 'new object'")
        XCTAssertEqual(state.document.objects.map(\.id), [1, 4])
    }

    func testAnObjectMadeBeforeAFreshSessionIsNumberedAtOnce() throws {
        var state = F.loadedState(session: nil)
        F.press([.character(" ")], on: &state)
        XCTAssertEqual(state.currentObject?.displayName, "new object")
        _ = state.apply(.sessionLoaded(index: 0, sha256: F.imageSHA256, outcome: .fresh))
        XCTAssertEqual(state.currentObject?.displayName, "object 1")
        XCTAssertTrue(Chrome.statusLine(state, width: 200).plainText.contains("object 1 (1 of 1)"))
    }
}
