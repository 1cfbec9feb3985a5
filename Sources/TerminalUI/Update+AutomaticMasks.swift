// The update's automatic masks: finding every object, showing the outlines, adopting one.
import Foundation
import Segmentation

extension EditorState {
    /// Grid points of a run with the generator's defaults (32 per side, no crops).
    static let automaticPoints = 32 * 32

    /// `A`: runs the generator (asking first on the CPU), or hides its outlines when they show.
    mutating func findObjects() -> [EditorEffect] {
        guard viewport != nil, document.width != nil, document.height != nil else { return notReady() }
        if document.findingObjects { return say("Still finding objects… (Esc cancels)") }
        // Outlines found with the thresholds in force: A hides them; after `t` it finds again.
        if !document.suggestions.isEmpty && document.automaticSummary?.thresholds == automaticThresholds {
            document.suggestions = []
            document.suggestionsVersion += 1
            document.automaticSummary = nil
            return say("Automatic masks hidden (A finds them again)")
        }
        guard case .ready = document.encoding else { return say(Self.stillEncoding) }
        if setup.device.lowercased().hasPrefix("cpu") {
            mode = .confirmFindObjects
            return []
        }
        return startFindingObjects()
    }

    /// The question `A` asks on the CPU.
    var findObjectsQuestion: String {
        "Find every object? ~\(Self.automaticPoints) points, about a minute on the CPU — y/n"
    }

    mutating func startFindingObjects() -> [EditorEffect] {
        guard let width = document.width, let height = document.height else { return notReady() }
        if !document.suggestions.isEmpty {
            document.suggestions = []
            document.suggestionsVersion += 1
        }
        document.automaticSummary = nil
        document.findingObjects = true
        document.findingProgress = nil
        document.cancellingFind = false
        say("Finding every object in the background… (Esc cancels)")
        let size = Self.displayMaskSize(width: width, height: height)
        return [.findObjects(imageIndex: currentImage, maskWidth: size.width, maskHeight: size.height,
                             thresholds: automaticThresholds)]
    }

    /// `Esc` while the generator runs on this image: it stops at its next batch of points.
    mutating func cancelFindingObjects() -> [EditorEffect] {
        if document.cancellingFind { return say("Cancelling: the generator stops after its current batch…") }
        document.cancellingFind = true
        say("Cancelling: the generator stops after its current batch…")
        return [.cancelFindingObjects(imageIndex: currentImage)]
    }

    /// `t`: the next laxer thresholds for the next run (strictest again after the laxest).
    mutating func lowerAutomaticThresholds() -> [EditorEffect] {
        let next = (automaticThresholds ?? .sam2Defaults).lowered
        automaticThresholds = next
        automaticThresholdsChosen = true
        let after = document.findingObjects ? "the next run uses them (this one keeps its own)" : "A finds objects with them"
        return say("Automatic thresholds: \(next.description) — \(after); t again to change")
    }

    mutating func automaticDefaultsKnown(_ defaults: AutomaticThresholds) -> [EditorEffect] {
        if !automaticThresholdsChosen { automaticThresholds = defaults }
        return []
    }

    mutating func findingObjectsProgressed(index: Int, progress: AutomaticMaskProgress, elapsed: Double) -> [EditorEffect] {
        guard images[index].findingObjects else { return [] }
        images[index].findingProgress = FindingProgress(progress: progress, elapsed: elapsed)
        return []
    }

    mutating func findingObjectsCancelled(index: Int) -> [EditorEffect] {
        endFinding(index: index)
        if index == currentImage, images[index].likeThis != nil { return leaveLikeThis(saying: "More like this cancelled") }
        say("Automatic masks cancelled", aboutImage: index)
        return []
    }

    private mutating func endFinding(index: Int) {
        images[index].findingObjects = false
        images[index].findingProgress = nil
        images[index].cancellingFind = false
    }

    mutating func objectsFound(index: Int, suggestions: [MaskSuggestion]) -> [EditorEffect] {
        endFinding(index: index)
        images[index].suggestions = suggestions
        images[index].suggestionsVersion += 1
        images[index].automaticSummary = AutomaticSummary(found: suggestions.count, thresholds: automaticThresholds)
        images[index].foundObjects = FoundObjects(suggestions: suggestions, thresholds: automaticThresholds)
        // The summary line says what was found, and stays.
        if index == currentImage { message = nil }
        return likeThisObjectsFound(index: index)
    }

    mutating func findingObjectsFailed(index: Int, message text: String) -> [EditorEffect] {
        endFinding(index: index)
        if index == currentImage, images[index].likeThis != nil {
            return leaveLikeThis(saying: "More like this: finding objects failed: \(text)", isError: true)
        }
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
        document.forgetFoundObject(suggestion)
        if document.suggestions.isEmpty { document.automaticSummary = nil }
        ensureCurrentObject()
        modifyCurrentObject { $0.adoptedMask = suggestion.mask }
        say(String(format: "Adopted an automatic mask (predicted IoU %.2f)", suggestion.score))
        let point = PromptPoint(position: suggestion.point, isForeground: true)
        return editPrompts(addition: true, before: before, label: { "adopt an automatic mask as \($0)" }) { $0.points.append(point) }
    }
}
