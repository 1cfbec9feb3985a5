// The update's similar objects across the library (`S`): the object index (`samterm index`)
// asked for the objects of other images most like the current one, listed in a box; Enter opens
// that image (added to the list when it is not in it) with that object selected.
import Foundation
import Segmentation

/// The list `S` shows: searching, then the matches best first.
public struct SimilarObjectsList: Equatable, Sendable {
    public var requestID: Int
    public var objectName: String
    /// Nil while the index is being searched.
    public var matches: [SimilarObject]?
    public var note: String?
    public var selected = 0

    /// Matches asked of the index.
    public static let limit = 20
}

extension EditorState {
    /// `S`: asks the worker to embed the current object and search the index.
    mutating func findSimilarObjects() -> [EditorEffect] {
        guard viewport != nil else { return notReady() }
        guard let object = currentObject, let mask = object.mask, !mask.isEmpty else {
            return say("Similar objects: select an object with a mask first")
        }
        guard case .ready = document.encoding else { return say(Self.stillEncoding) }
        let id = nextRequestID
        nextRequestID += 1
        mode = .similarObjects(SimilarObjectsList(requestID: id, objectName: object.displayName))
        return [.queryIndex(IndexQuery(id: id, imageIndex: currentImage, imagePath: document.path, mask: mask,
                                       top: SimilarObjectsList.limit))]
    }

    mutating func similarObjectsFound(requestID: Int, matches: [SimilarObject], note: String?) -> [EditorEffect] {
        guard case .similarObjects(var list) = mode, list.requestID == requestID else { return [] }
        list.matches = matches
        list.note = note
        mode = .similarObjects(list)
        return []
    }

    mutating func similarObjectsFailed(requestID: Int, message text: String) -> [EditorEffect] {
        guard case .similarObjects(let list) = mode, list.requestID == requestID else { return [] }
        mode = .normal
        return sayError("Similar objects: \(text)")
    }

    /// Keys while the list shows: move, open, leave.
    mutating func answerSimilarObjects(_ list: SimilarObjectsList, key: Key) -> [EditorEffect] {
        var list = list
        let count = list.matches?.count ?? 0
        switch key {
        case .escape, .character("q"), .character("S"), .control("c"):
            mode = .normal
            return say("Similar objects closed")
        case .down, .tab, .character("j") where count > 0:
            list.selected = (list.selected + 1) % count
        case .up, .backTab, .character("k") where count > 0:
            list.selected = (list.selected - 1 + count) % count
        case .enter where count > 0:
            mode = .normal
            return openSimilarObject(list.matches![list.selected])
        default:
            break
        }
        mode = .similarObjects(list)
        return []
    }

    /// Goes to the match's image (opened now when it is not in the list) and selects the object.
    private mutating func openSimilarObject(_ match: SimilarObject) -> [EditorEffect] {
        let wanted = SessionStore.absolutePath(match.imagePath)
        var index = images.firstIndex { SessionStore.absolutePath($0.path) == wanted }
        if index == nil {
            images.append(ImageDocument(path: match.imagePath))
            index = images.count - 1
        }
        images[index!].selectOnOpen = match.objectID
        selectWantedObject(image: index!)
        let effects = index == currentImage ? [] : switchImage(to: index!)
        say(String(format: "Object %d of %@ (%.2f like it)", match.objectID, images[index!].name, match.similarity))
        return effects
    }

    /// Selects the object `S` opened the image for, once the image has it.
    mutating func selectWantedObject(image index: Int) {
        guard let wanted = images[index].selectOnOpen,
              let position = images[index].objects.firstIndex(where: { $0.id == wanted }) else { return }
        images[index].currentObject = position
        images[index].selectOnOpen = nil
    }

    /// The list's lines for its box: the title, then one line a match.
    static func similarObjectsLines(_ list: SimilarObjectsList) -> [String] {
        var lines = ["Objects like \(list.objectName) in other images (Enter: open, Esc: close)", ""]
        guard let matches = list.matches else { return lines + ["Searching the index…"] }
        if matches.isEmpty { lines.append("No object of another image in the index (samterm index FOLDER adds them).") }
        for (rank, match) in matches.enumerated() {
            let label = [match.className, match.name].compactMap { $0 }.joined(separator: " / ")
            let marker = rank == list.selected ? ">" : " "
            lines.append(String(format: "%@ %.3f  ", marker, match.similarity) + "\((match.imagePath as NSString).lastPathComponent) #\(match.objectID)"
                         + (label.isEmpty ? "" : "  \(label)"))
        }
        if let note = list.note { lines += ["", note] }
        return lines
    }
}
