// Curses input (wide characters, key codes, mouse reports) turned into editor input.
import CNCursesW

/// One unit of terminal input, as curses' `wget_wch` and `getmouse` return it.
public enum CursesInput: Equatable, Sendable {
    /// A character (`wget_wch` returned OK).
    case character(UInt32)
    /// A function key (`wget_wch` returned KEY_CODE_YES); `name` is curses' `keyname` for it,
    /// which is how extended keys such as Shift-Up ("kUP") are recognised.
    case keyCode(Int32, name: String?)
    /// A mouse report from `getmouse`: cell and button state bits.
    case mouse(column: Int32, row: Int32, buttons: UInt32)
}

public enum TerminalInput: Equatable, Sendable {
    case key(Key)
    case mouse(MouseInput)
    case resize
}

public enum InputDecoder {
    public static func decode(_ input: CursesInput) -> TerminalInput? {
        switch input {
        case .character(let code):
            return character(code).map(TerminalInput.key)
        case .keyCode(let code, let name):
            return keyCode(code, name: name)
        case .mouse(let column, let row, let buttons):
            return mouse(column: Int(column), row: Int(row), buttons: buttons).map(TerminalInput.mouse)
        }
    }

    static func character(_ code: UInt32) -> Key? {
        switch code {
        case 9: return .tab
        case 10, 13: return .enter
        case 27: return .escape
        case 8, 127: return .backspace
        case 1...26:
            return .control(Character(Unicode.Scalar(UInt8(code) + 96)))
        case 0...31: return nil
        default:
            guard let scalar = Unicode.Scalar(code) else { return nil }
            return .character(Character(scalar))
        }
    }

    static func keyCode(_ code: Int32, name: String?) -> TerminalInput? {
        switch code {
        case KEY_UP: return .key(.up)
        case KEY_DOWN: return .key(.down)
        case KEY_LEFT: return .key(.left)
        case KEY_RIGHT: return .key(.right)
        case KEY_SR: return .key(.shiftUp)
        case KEY_SF: return .key(.shiftDown)
        case KEY_SLEFT: return .key(.shiftLeft)
        case KEY_SRIGHT: return .key(.shiftRight)
        case KEY_ENTER: return .key(.enter)
        case KEY_BACKSPACE: return .key(.backspace)
        case KEY_DC: return .key(.delete)
        case KEY_BTAB: return .key(.backTab)
        case KEY_HOME: return .key(.home)
        case KEY_END: return .key(.end)
        case KEY_PPAGE: return .key(.pageUp)
        case KEY_NPAGE: return .key(.pageDown)
        case (KEY_F0 + 1)...(KEY_F0 + 12): return .key(.function(Int(code - KEY_F0)))
        case KEY_RESIZE: return .resize
        default:
            break
        }
        // xterm's modified cursor keys have no fixed codes; curses names them.
        switch name {
        case "kUP": return .key(.shiftUp)
        case "kDN": return .key(.shiftDown)
        case "kLFT": return .key(.shiftLeft)
        case "kRIT": return .key(.shiftRight)
        case "kUP5": return .key(.controlUp)
        case "kDN5": return .key(.controlDown)
        case "kLFT5": return .key(.controlLeft)
        case "kRIT5": return .key(.controlRight)
        default: return nil
        }
    }

    static func mouse(column: Int, row: Int, buttons: UInt32) -> MouseInput? {
        let table: [(mmask_t, MouseButton, MouseInput.Kind)] = [
            (cncurses_button1_pressed, .left, .press), (cncurses_button1_released, .left, .release),
            (cncurses_button1_clicked, .left, .click),
            (cncurses_button3_pressed, .right, .press), (cncurses_button3_released, .right, .release),
            (cncurses_button3_clicked, .right, .click),
            (cncurses_button2_pressed, .middle, .press), (cncurses_button2_released, .middle, .release),
            (cncurses_button2_clicked, .middle, .click),
            (cncurses_button4_pressed, .wheelUp, .press), (cncurses_button5_pressed, .wheelDown, .press),
        ]
        let position = CellPosition(column: column, row: row)
        let shift = buttons & UInt32(cncurses_button_shift) != 0
        for (mask, button, kind) in table where buttons & UInt32(mask) != 0 {
            return MouseInput(position: position, button: button, kind: kind, shift: shift)
        }
        // With button-motion tracking (1002) a move with a button held comes without the button.
        if buttons & UInt32(cncurses_report_mouse_position) != 0 {
            return MouseInput(position: position, button: .none, kind: .motion, shift: shift)
        }
        return nil
    }
}
