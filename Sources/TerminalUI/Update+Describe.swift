// The update's `!`: the current object's cut-out handed to a command (a local vision-language
// model, `file`, a script). The worker writes the cut-out at full size, the command runs on a
// thread of its own with a timeout (the editor keeps answering; Esc cancels), its output shows
// in a box, and Enter keeps its first line as the object's name (undoable, saved).
import Foundation
import Segmentation

/// A command `!` started, until it answers.
public struct Describing: Equatable, Sendable {
    public var requestID: Int
    public var imageIndex: Int
    public var objectID: Int
    public var command: String
}

/// What the command said, shown in a box.
public struct DescribeResult: Equatable, Sendable {
    public var imageIndex: Int
    public var objectID: Int
    public var command: String
    public var result: CommandResult
}

extension EditorState {
    /// `!`: asks for the command line (the last one used, else `--describe-command`).
    mutating func describeObject() -> [EditorEffect] {
        guard viewport != nil else { return notReady() }
        guard let object = currentObject, object.mask.map({ !$0.isEmpty }) ?? false else {
            return say("!: select an object with a mask first")
        }
        if let describing { return say("The command on object \(describing.objectID) is still running (Esc cancels it)") }
        mode = .describeCommand(lastDescribeCommand ?? setup.describeCommand ?? "")
        return []
    }

    /// Typing the command line: Enter runs it, Esc leaves.
    mutating func answerDescribeCommand(_ text: String, key: Key) -> [EditorEffect] {
        switch key {
        case .enter:
            mode = .normal
            let command = text.trimmingCharacters(in: .whitespaces)
            guard !command.isEmpty else { return say("No command given") }
            guard let object = currentObject else { return [] }
            lastDescribeCommand = command
            let id = nextRequestID
            nextRequestID += 1
            describing = Describing(requestID: id, imageIndex: currentImage, objectID: object.id, command: command)
            say("Running `\(command)` on \(object.displayName)'s cut-out… (Esc cancels)")
            return [.makeCutout(CutoutRequest(id: id, imageIndex: currentImage, imagePath: document.path, object: record(of: object)))]
        case .escape, .control("c"):
            mode = .normal
            return say("No command run")
        case .backspace:
            mode = .describeCommand(String(text.dropLast()))
        case .character(let character) where !character.isNewline && text.count < 500:
            mode = .describeCommand(text + String(character))
        default:
            break
        }
        return []
    }

    mutating func cutoutWritten(requestID: Int, path: String, folder: String) -> [EditorEffect] {
        let request = CommandRequest(id: requestID, line: CommandRunner.commandLine(describing?.command ?? "true", path: path),
                                     timeout: setup.describeTimeout, folder: folder)
        // Cancelled meanwhile: the runner still removes the folder, at once.
        guard let describing, describing.requestID == requestID else { return [.runCommand(request), .cancelCommand(requestID: requestID)] }
        return [.runCommand(request)]
    }

    mutating func describeFailed(requestID: Int, message text: String) -> [EditorEffect] {
        guard describing?.requestID == requestID else { return [] }
        describing = nil
        return sayError("!: \(text)")
    }

    mutating func commandFinished(requestID: Int, result: CommandResult) -> [EditorEffect] {
        guard let finished = describing, finished.requestID == requestID else { return [] }
        describing = nil
        if result.ending == .cancelled { return say("Command cancelled") }
        let shown = DescribeResult(imageIndex: finished.imageIndex, objectID: finished.objectID, command: finished.command, result: result)
        // A dialog up keeps its keys: the answer waits as a message.
        guard mode == .normal else {
            let summary = result.failure.map { "failed: \($0)" } ?? "said: \(result.firstLine ?? "(nothing)")"
            say("`\(finished.command)` \(summary)", isError: result.failure != nil, aboutImage: currentImage)
            return []
        }
        mode = .describeResult(shown)
        message = nil
        return []
    }

    /// Esc while a command runs.
    mutating func cancelDescribe() -> [EditorEffect] {
        guard let describing else { return [] }
        say("Cancelling `\(describing.command)`…")
        return [.cancelCommand(requestID: describing.requestID)]
    }

    /// The box: Enter keeps the first line as the name, Esc closes.
    mutating func answerDescribeResult(_ shown: DescribeResult, key: Key) -> [EditorEffect] {
        switch key {
        case .enter, .character("n"), .character("y"):
            mode = .normal
            guard shown.result.succeeded, let name = shown.result.nameLine else { return say("Nothing to keep") }
            guard shown.imageIndex == currentImage,
                  let position = document.objects.firstIndex(where: { $0.id == shown.objectID }) else {
                return say("The name was not kept: object \(shown.objectID) is not on this image")
            }
            document.currentObject = position
            return nameCurrentObject(name)
        case .escape, .character("q"), .control("c"):
            mode = .normal
            return []
        default:
            return []
        }
    }

    /// The box's lines: what ran and how it ended, its output, the keys.
    static func describeResultLines(_ shown: DescribeResult) -> [String] {
        var lines = ["`\(shown.command)` on object \(shown.objectID): " + (shown.result.failure ?? "done"), ""]
        var output = shown.result.output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if output.last == "" { output.removeLast() }
        lines += output.prefix(12).map { $0.replacingOccurrences(of: "\t", with: "  ") }
        if output.count > 12 { lines.append("… \(output.count - 12) more lines") }
        lines.append("")
        lines.append(shown.result.succeeded && shown.result.firstLine != nil
                     ? "Enter: keep the first line as the object's name   Esc: close" : "Esc: close")
        return lines
    }
}
