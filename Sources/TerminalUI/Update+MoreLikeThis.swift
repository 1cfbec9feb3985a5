// The update's "more like this" (`s`): the image's automatic masks ranked by likeness to the
// current object (cosine similarity of object embeddings, Predictor.objectEmbedding), the best
// drawn as outlines and listed with their similarity; Enter or a click adopts one as a new
// object of the object's class. The automatic masks are found once per image (as `A` finds
// them) and kept; each mask's embedding is computed once and travels with it.
import Segmentation

/// "More like this" on one image: which object it is for, and how the list is cut.
public struct LikeThis: Equatable, Sendable {
    public var objectID: Int
    /// Adopted masks become objects of this class.
    public var className: String?
    /// Masks less similar than this are not shown.
    public var threshold: Float = LikeThis.defaultThreshold
    /// The highlighted one, among those shown.
    public var selected = 0
    /// The object's embedding, once the worker made it.
    var query: [Float]?
    /// Embeddings in flight, and the suggestions (by index) they are for after the query's.
    var requestID: Int?
    var pendingSuggestions: [Int] = []
    /// The automatic masks are being found first.
    var waitingForObjects = false
    /// The outlines were not showing before `s`: leaving hides them again.
    var hideOnLeave = false

    public static let defaultThreshold: Float = 0.5
    public static let thresholdStep: Float = 0.05
    /// Outlines shown at most: the best ones.
    public static let shownLimit = 12
}

extension ImageDocument {
    /// An adopted mask leaves the kept run too, so `s` does not offer it again.
    mutating func forgetFoundObject(_ adopted: MaskSuggestion) {
        foundObjects?.suggestions.removeAll { $0.point == adopted.point && $0.score == adopted.score }
    }

    /// The suggestions `s` shows, best first: at least the threshold, at most `shownLimit`.
    public var likeThisShown: [Int] {
        guard let likeThis, likeThis.query != nil else { return [] }
        let ranked = suggestions.indices.filter { (suggestions[$0].similarity ?? -2) >= likeThis.threshold }
            .sorted { (suggestions[$0].similarity ?? -2, $1) > (suggestions[$1].similarity ?? -2, $0) }
        return Array(ranked.prefix(LikeThis.shownLimit))
    }
}

extension EditorState {
    /// `s`: ranks the automatic masks (found first when the image has none) by likeness to the
    /// current object.
    mutating func moreLikeThis() -> [EditorEffect] {
        guard viewport != nil, document.width != nil, document.height != nil else { return notReady() }
        guard let object = currentObject, let mask = object.mask, !mask.isEmpty else {
            return say("More like this: select an object with a mask first")
        }
        guard case .ready = document.encoding else { return say(Self.stillEncoding) }
        var likeThis = LikeThis(objectID: object.id, className: object.category)
        likeThis.hideOnLeave = document.suggestions.isEmpty
        mode = .moreLikeThis
        if document.suggestions.isEmpty, let found = document.foundObjects, found.thresholds == automaticThresholds {
            document.suggestions = found.suggestions
            document.suggestionsVersion += 1
        }
        if document.suggestions.isEmpty {
            likeThis.waitingForObjects = true
            document.likeThis = likeThis
            if document.findingObjects { return say("More like this: waiting for the automatic masks… (Esc leaves)") }
            let effects = startFindingObjects()
            say("More like this: finding the image's objects first… (Esc leaves)")
            return effects
        }
        document.likeThis = likeThis
        return requestLikeThisEmbeddings()
    }

    /// Asks for the object's embedding and those of the masks that have none yet.
    private mutating func requestLikeThisEmbeddings() -> [EditorEffect] {
        guard var likeThis = document.likeThis,
              let object = document.objects.first(where: { $0.id == likeThis.objectID }), let mask = object.mask else {
            return leaveLikeThis(saying: "More like this: the object has no mask any more")
        }
        let missing = document.suggestions.indices.filter { document.suggestions[$0].embedding == nil }
        let id = nextRequestID
        nextRequestID += 1
        likeThis.requestID = id
        likeThis.pendingSuggestions = missing
        likeThis.waitingForObjects = false
        document.likeThis = likeThis
        say("More like this: comparing \(Self.counted(document.suggestions.count, "automatic mask")) with \(object.displayName)…")
        return [.embedMasks(EmbeddingRequest(id: id, imageIndex: currentImage,
                                             masks: [mask] + missing.map { document.suggestions[$0].mask }))]
    }

    /// The automatic masks `s` waited for have come.
    mutating func likeThisObjectsFound(index: Int) -> [EditorEffect] {
        guard index == currentImage, document.likeThis?.waitingForObjects == true else { return [] }
        if document.suggestions.isEmpty { return leaveLikeThis(saying: "More like this: the image has no automatic masks (t lowers the thresholds)") }
        return requestLikeThisEmbeddings()
    }

    mutating func masksEmbedded(requestID: Int, embeddings: [[Float]]) -> [EditorEffect] {
        guard var likeThis = document.likeThis, likeThis.requestID == requestID,
              embeddings.count == likeThis.pendingSuggestions.count + 1 else { return [] }
        for (index, embedding) in zip(likeThis.pendingSuggestions, embeddings.dropFirst())
        where document.suggestions.indices.contains(index) {
            document.suggestions[index].embedding = embedding
        }
        // The kept run keeps them too, for the next `s`.
        if var found = document.foundObjects {
            for index in found.suggestions.indices where found.suggestions[index].embedding == nil {
                let kept = found.suggestions[index]
                found.suggestions[index].embedding = document.suggestions.first { $0.point == kept.point && $0.score == kept.score }?.embedding
            }
            document.foundObjects = found
        }
        let query = embeddings[0]
        // The object's mask as a suggestion, for its hit test.
        let object = document.objects.first { $0.id == likeThis.objectID }?.mask.map { MaskSuggestion(mask: $0, point: cursor, score: 0) }
        let width = document.width ?? 1, height = document.height ?? 1
        for index in document.suggestions.indices {
            // A mask prompted from inside the object is the object (or a part of it): not "another".
            let point = document.suggestions[index].point
            let inside = object?.contains(point, imageWidth: width, imageHeight: height) ?? false
            document.suggestions[index].similarity = inside ? nil : document.suggestions[index].embedding.map { $0.count == query.count ? ObjectIndex.similarity($0, query) : -2 }
        }
        likeThis.query = query
        likeThis.requestID = nil
        likeThis.pendingSuggestions = []
        likeThis.selected = 0
        document.likeThis = likeThis
        document.suggestionsVersion += 1
        focusLikeThisSelection()
        return sayLikeThisSummary()
    }

    mutating func embeddingFailed(requestID: Int, message text: String) -> [EditorEffect] {
        guard document.likeThis?.requestID == requestID else { return [] }
        return leaveLikeThis(saying: "More like this failed: \(text)", isError: true)
    }

    /// Keys while "more like this" shows.
    mutating func answerLikeThis(_ key: Key) -> [EditorEffect] {
        guard let likeThis = document.likeThis else {
            mode = .normal
            return []
        }
        switch key {
        case .escape, .character("q"), .character("s"), .control("c"):
            return leaveLikeThis(saying: "More like this closed")
        case _ where likeThis.query == nil:
            return say("More like this: still working… (Esc leaves)")
        case .tab, .down, .character("j"):
            return moveLikeThisSelection(by: 1)
        case .backTab, .up, .character("k"):
            return moveLikeThisSelection(by: -1)
        case .character("+"), .character("="):
            return changeLikeThisThreshold(by: LikeThis.thresholdStep)
        case .character("-"), .character("_"):
            return changeLikeThisThreshold(by: -LikeThis.thresholdStep)
        case .enter, .character(" "):
            let shown = document.likeThisShown
            guard shown.indices.contains(likeThis.selected) else { return say("More like this: nothing above the threshold (- lowers it)") }
            return adoptLikeThis(suggestion: shown[likeThis.selected])
        case .character("u"):
            // Undo an adoption without leaving.
            let effects = stepHistory(undo: true)
            clampLikeThisSelection()
            return effects
        default:
            return say("More like this: Tab/↓ next, Enter adopts, +/- threshold, u undo, Esc leaves")
        }
    }

    /// A click on one of the outlines shown adopts it.
    mutating func likeThisClick(at point: PixelPoint) -> [EditorEffect] {
        guard let width = document.width, let height = document.height, document.likeThis?.query != nil else { return [] }
        let hits = document.likeThisShown.filter { document.suggestions[$0].contains(point, imageWidth: width, imageHeight: height) }
        guard let index = hits.min(by: { document.suggestions[$0].mask.area < document.suggestions[$1].mask.area }) else {
            return say("More like this: click inside an outline to adopt it (Esc leaves)")
        }
        return adoptLikeThis(suggestion: index)
    }

    /// The suggestion becomes a new object of the class, prompted at its own grid point (as a
    /// click on an `A` outline adopts it); the list stays for the next one.
    private mutating func adoptLikeThis(suggestion index: Int) -> [EditorEffect] {
        guard let likeThis = document.likeThis, document.suggestions.indices.contains(index) else { return [] }
        let before = document.snapshot(withSuggestions: true)
        let similarity = document.suggestions[index].similarity ?? 0
        let suggestion = document.suggestions.remove(at: index)
        document.suggestionsVersion += 1
        document.forgetFoundObject(suggestion)
        startNewObject(category: likeThis.className)
        modifyCurrentObject { $0.adoptedMask = suggestion.mask }
        let point = PromptPoint(position: suggestion.point, isForeground: true)
        let effects = editPrompts(addition: true, before: before, label: { "adopt a mask like this as \($0)" }) { $0.points.append(point) }
        clampLikeThisSelection()
        focusLikeThisSelection()
        let kind = likeThis.className.map { " (\($0))" } ?? ""
        say(String(format: "Adopted a mask %.2f like it as %@%@ — Enter for the next, Esc leaves", similarity,
                   currentObject?.displayName ?? "an object", kind))
        return effects
    }

    private mutating func moveLikeThisSelection(by step: Int) -> [EditorEffect] {
        let count = document.likeThisShown.count
        guard count > 0, var likeThis = document.likeThis else { return say("More like this: nothing above the threshold (- lowers it)") }
        likeThis.selected = (likeThis.selected + step + count) % count
        document.likeThis = likeThis
        document.suggestionsVersion += 1
        focusLikeThisSelection()
        return sayLikeThisSummary()
    }

    private mutating func changeLikeThisThreshold(by step: Float) -> [EditorEffect] {
        guard var likeThis = document.likeThis else { return [] }
        likeThis.threshold = min(max(likeThis.threshold + step, -1), 1)
        likeThis.selected = 0
        document.likeThis = likeThis
        document.suggestionsVersion += 1
        focusLikeThisSelection()
        return sayLikeThisSummary()
    }

    private mutating func clampLikeThisSelection() {
        guard var likeThis = document.likeThis else { return }
        likeThis.selected = min(likeThis.selected, max(document.likeThisShown.count - 1, 0))
        document.likeThis = likeThis
    }

    /// The crosshair goes to the highlighted mask's grid point, so the view shows which it is.
    private mutating func focusLikeThisSelection() {
        guard let selected = document.likeThis?.selected, let index = document.likeThisShown.dropFirst(selected).first else { return }
        cursor = document.suggestions[index].point
        keepCursorInView()
    }

    @discardableResult
    private mutating func sayLikeThisSummary() -> [EditorEffect] {
        guard let likeThis = document.likeThis else { return [] }
        let shown = document.likeThisShown
        let threshold = String(format: "%.2f", likeThis.threshold)
        if shown.isEmpty { return say("More like this: no mask at \(threshold) or above — - lowers the threshold, Esc leaves") }
        let best = String(format: "%.2f", document.suggestions[shown[0]].similarity ?? 0)
        return say("More like this: \(shown.count) at ≥ \(threshold) (best \(best)) — Tab next, Enter adopts, +/- threshold, Esc leaves")
    }

    @discardableResult
    mutating func leaveLikeThis(saying text: String, isError: Bool = false) -> [EditorEffect] {
        mode = .normal
        if let likeThis = document.likeThis, likeThis.hideOnLeave {
            document.suggestions = []
            document.automaticSummary = nil
        }
        for index in document.suggestions.indices { document.suggestions[index].similarity = nil }
        document.likeThis = nil
        document.suggestionsVersion += 1
        return isError ? sayError(text) : say(text)
    }
}
