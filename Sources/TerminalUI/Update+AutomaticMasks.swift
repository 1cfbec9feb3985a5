// The update's automatic masks: finding every object, showing the outlines, adopting one.
import Foundation
import Segmentation

extension EditorState {
    /// `A`: runs the generator, or hides its outlines when they show.
    mutating func findObjects() -> [EditorEffect] {
        guard viewport != nil, let width = document.width, let height = document.height else { return notReady() }
        if document.findingObjects { return say("Still finding objects…") }
        if !document.suggestions.isEmpty {
            document.suggestions = []
            document.suggestionsVersion += 1
            return say("Automatic masks hidden (A finds them again)")
        }
        guard case .ready = document.encoding else { return say(Self.stillEncoding) }
        document.findingObjects = true
        say("Finding every object in the background…")
        let size = Self.displayMaskSize(width: width, height: height)
        return [.findObjects(imageIndex: currentImage, maskWidth: size.width, maskHeight: size.height)]
    }

    mutating func objectsFound(index: Int, suggestions: [MaskSuggestion]) -> [EditorEffect] {
        images[index].findingObjects = false
        images[index].suggestions = suggestions
        images[index].suggestionsVersion += 1
        say(suggestions.isEmpty ? "No objects found"
                                : "Found \(Self.counted(suggestions.count, "object")): click inside an outline to adopt it",
            aboutImage: index)
        return []
    }

    mutating func findingObjectsFailed(index: Int, message text: String) -> [EditorEffect] {
        images[index].findingObjects = false
        say("Finding objects failed: \(text)", isError: true, aboutImage: index)
        return []
    }

    /// A foreground click inside a suggestion, with no object being prompted, adopts it: a new
    /// object prompted at the suggestion's own grid point, keeping the candidate that matches it.
    mutating func adoptSuggestion() -> [EditorEffect]? {
        guard let width = document.width, let height = document.height, currentObject?.prompting.isEmpty ?? true else { return nil }
        // The smallest outline under the cursor: the most specific object there.
        let hits = document.suggestions.indices.filter { document.suggestions[$0].contains(cursor, imageWidth: width, imageHeight: height) }
        guard let index = hits.min(by: { document.suggestions[$0].mask.area < document.suggestions[$1].mask.area }) else { return nil }
        // Undo puts the outline back with the objects as they were.
        let before = document.snapshot(withSuggestions: true)
        let suggestion = document.suggestions.remove(at: index)
        document.suggestionsVersion += 1
        ensureCurrentObject()
        modifyCurrentObject { $0.adoptedMask = suggestion.mask }
        say(String(format: "Adopted an automatic mask (predicted IoU %.2f)", suggestion.score))
        let point = PromptPoint(position: suggestion.point, isForeground: true)
        return editPrompts(addition: true, before: before, label: { "adopt an automatic mask as \($0)" }) { $0.points.append(point) }
    }
}
