// Curses input codes to editor input, and the terminal's answers to capability queries.
import XCTest
import CNCursesW
@testable import TerminalUI

final class InputDecoderTests: XCTestCase {
    func testCharactersAndControlKeys() {
        XCTAssertEqual(InputDecoder.decode(.character(32)), .key(.character(" ")))
        XCTAssertEqual(InputDecoder.decode(.character(UInt32(UInt8(ascii: "x")))), .key(.character("x")))
        XCTAssertEqual(InputDecoder.decode(.character(UInt32(UInt8(ascii: "N")))), .key(.character("N")))
        XCTAssertEqual(InputDecoder.decode(.character(0x00E9)), .key(.character("é")), "wide characters come whole")
        XCTAssertEqual(InputDecoder.decode(.character(9)), .key(.tab))
        XCTAssertEqual(InputDecoder.decode(.character(13)), .key(.enter), "raw mode delivers CR for Enter")
        XCTAssertEqual(InputDecoder.decode(.character(10)), .key(.enter))
        XCTAssertEqual(InputDecoder.decode(.character(27)), .key(.escape))
        XCTAssertEqual(InputDecoder.decode(.character(127)), .key(.backspace))
        XCTAssertEqual(InputDecoder.decode(.character(18)), .key(.control("r")))
        XCTAssertEqual(InputDecoder.decode(.character(3)), .key(.control("c")))
        XCTAssertNil(InputDecoder.decode(.character(0)))
    }

    func testFunctionKeys() {
        XCTAssertEqual(InputDecoder.decode(.keyCode(KEY_UP, name: "KEY_UP")), .key(.up))
        XCTAssertEqual(InputDecoder.decode(.keyCode(KEY_LEFT, name: nil)), .key(.left))
        XCTAssertEqual(InputDecoder.decode(.keyCode(KEY_SR, name: nil)), .key(.shiftUp))
        XCTAssertEqual(InputDecoder.decode(.keyCode(KEY_SF, name: nil)), .key(.shiftDown))
        XCTAssertEqual(InputDecoder.decode(.keyCode(KEY_SRIGHT, name: nil)), .key(.shiftRight))
        XCTAssertEqual(InputDecoder.decode(.keyCode(KEY_DC, name: nil)), .key(.delete))
        XCTAssertEqual(InputDecoder.decode(.keyCode(KEY_ENTER, name: nil)), .key(.enter))
        XCTAssertEqual(InputDecoder.decode(.keyCode(KEY_F0 + 1, name: nil)), .key(.function(1)), "F1, for keys.conf")
        XCTAssertEqual(InputDecoder.decode(.keyCode(KEY_F0 + 12, name: nil)), .key(.function(12)))
        XCTAssertEqual(InputDecoder.decode(.keyCode(KEY_RESIZE, name: nil)), .resize)
        XCTAssertEqual(InputDecoder.decode(.keyCode(574, name: "kUP")), .key(.shiftUp), "xterm's Shift-Up has a dynamic code")
        XCTAssertEqual(InputDecoder.decode(.keyCode(531, name: "kDN")), .key(.shiftDown))
        XCTAssertEqual(InputDecoder.decode(.keyCode(600, name: "kUP5")), .key(.controlUp), "Ctrl-Up pans")
        XCTAssertNil(InputDecoder.decode(.keyCode(601, name: "kUP3")), "Alt-Up is not bound")
    }

    func testMouseReports() {
        XCTAssertEqual(InputDecoder.decode(.mouse(column: 10, row: 4, buttons: UInt32(cncurses_button1_pressed))),
                       .mouse(MouseInput(position: CellPosition(column: 10, row: 4), button: .left, kind: .press)))
        XCTAssertEqual(InputDecoder.decode(.mouse(column: 10, row: 4, buttons: UInt32(cncurses_button1_released))),
                       .mouse(MouseInput(position: CellPosition(column: 10, row: 4), button: .left, kind: .release)))
        XCTAssertEqual(InputDecoder.decode(.mouse(column: 300, row: 90, buttons: UInt32(cncurses_button3_pressed))),
                       .mouse(MouseInput(position: CellPosition(column: 300, row: 90), button: .right, kind: .press)),
                       "SGR reports reach beyond column 223")
        XCTAssertEqual(InputDecoder.decode(.mouse(column: 1, row: 2, buttons: UInt32(cncurses_button4_pressed))),
                       .mouse(MouseInput(position: CellPosition(column: 1, row: 2), button: .wheelUp, kind: .press)))
        XCTAssertEqual(InputDecoder.decode(.mouse(column: 1, row: 2, buttons: UInt32(cncurses_button5_pressed))),
                       .mouse(MouseInput(position: CellPosition(column: 1, row: 2), button: .wheelDown, kind: .press)))
        XCTAssertNil(InputDecoder.decode(.mouse(column: 1, row: 2, buttons: 0)), "no button, no motion: nothing")
    }

    func testDeviceAttributesRevealSixel() {
        let xterm = Array("\u{1b}[?63;1;2;4;6;9;15;22c".utf8)
        XCTAssertEqual(TerminalCapabilities.primaryDeviceAttributes(in: xterm), [63, 1, 2, 4, 6, 9, 15, 22])
        XCTAssertTrue(TerminalCapabilities.repliesSixel([63, 1, 2, 4, 6]))
        XCTAssertFalse(TerminalCapabilities.repliesSixel([1, 2]), "tmux without sixel")
        XCTAssertFalse(TerminalCapabilities.repliesSixel([4]), "the first number is the class, not a feature")
        XCTAssertNil(TerminalCapabilities.primaryDeviceAttributes(in: Array("\u{1b}[?63;1".utf8)), "an incomplete reply")
        let both = Array("\u{1b}[6;20;10t\u{1b}[?62;4c".utf8)
        XCTAssertEqual(TerminalCapabilities.primaryDeviceAttributes(in: both), [62, 4])
        XCTAssertEqual(TerminalCapabilities.cellSize(in: both)?.width, 10)
        XCTAssertEqual(TerminalCapabilities.cellSize(in: both)?.height, 20)
        XCTAssertNil(TerminalCapabilities.cellSize(in: Array("\u{1b}[?62;4c".utf8)))
        XCTAssertNil(TerminalCapabilities.cellSize(in: Array("\u{1b}[4;600;800t".utf8)), "a window size, not a cell size")
    }

    func testRendererChoice() {
        XCTAssertEqual(TerminalCapabilities.colorDepth(environment: ["COLORTERM": "truecolor"], terminfoColors: 8, terminfoHasRGB: false), .truecolor)
        XCTAssertEqual(TerminalCapabilities.colorDepth(environment: ["COLORTERM": "24bit"], terminfoColors: 256, terminfoHasRGB: false), .truecolor)
        XCTAssertEqual(TerminalCapabilities.colorDepth(environment: [:], terminfoColors: 256, terminfoHasRGB: true), .truecolor)
        XCTAssertEqual(TerminalCapabilities.colorDepth(environment: [:], terminfoColors: 256, terminfoHasRGB: false), .palette256)
        XCTAssertEqual(TerminalCapabilities.colorDepth(environment: [:], terminfoColors: 8, terminfoHasRGB: false), .monochrome)
        var capabilities = TerminalCapabilities(supportsSixel: true, colorDepth: .truecolor)
        XCTAssertEqual(capabilities.bestRenderer, .truecolor, "sixel needs the cell size in pixels")
        capabilities.cellPixelWidth = 10
        capabilities.cellPixelHeight = 20
        XCTAssertEqual(capabilities.bestRenderer, .sixel)
        XCTAssertEqual(TerminalCapabilities(colorDepth: .palette256).bestRenderer, .palette256)
        XCTAssertEqual(TerminalCapabilities().bestRenderer, .mono)
        XCTAssertEqual(TerminalSize(columns: 80, rows: 24, cellPixelWidth: 9, cellPixelHeight: 18).cellAspect, 2)
        XCTAssertEqual(TerminalSize(columns: 80, rows: 24, cellPixelWidth: 10, cellPixelHeight: 24).cellAspect, 2.4)
        XCTAssertEqual(TerminalSize(columns: 80, rows: 24).cellAspect, 2, "1:2 when the terminal says nothing")
    }

    func testMotionShiftAndControlArrows() {
        XCTAssertEqual(InputDecoder.decode(.mouse(column: 12, row: 5, buttons: UInt32(cncurses_report_mouse_position))),
                       .mouse(MouseInput(position: CellPosition(column: 12, row: 5), button: .none, kind: .motion)))
        XCTAssertEqual(InputDecoder.decode(.mouse(column: 9, row: 4,
                                                  buttons: UInt32(cncurses_button1_pressed | cncurses_button_shift))),
                       .mouse(MouseInput(position: CellPosition(column: 9, row: 4), button: .left, kind: .press, shift: true)))
        XCTAssertEqual(InputDecoder.decode(.mouse(column: 11, row: 4,
                                                  buttons: UInt32(cncurses_report_mouse_position | cncurses_button_shift))),
                       .mouse(MouseInput(position: CellPosition(column: 11, row: 4), button: .none, kind: .motion, shift: true)))
        XCTAssertEqual(InputDecoder.decode(.mouse(column: 3, row: 3, buttons: UInt32(cncurses_button2_pressed))),
                       .mouse(MouseInput(position: CellPosition(column: 3, row: 3), button: .middle, kind: .press)))
        XCTAssertEqual(InputDecoder.decode(.keyCode(560, name: "kLFT5")), .key(.controlLeft))
        XCTAssertEqual(InputDecoder.decode(.keyCode(575, name: "kUP5")), .key(.controlUp))
        XCTAssertEqual(InputDecoder.decode(.keyCode(535, name: "kDN5")), .key(.controlDown))
        XCTAssertEqual(InputDecoder.decode(.keyCode(569, name: "kRIT5")), .key(.controlRight))
    }
}
