// The update's images and encoding: the model and each image arriving, moving between images.
import Foundation
import Segmentation

extension EditorState {
    mutating func modelLoaded(name: String, device: String) -> [EditorEffect] {
        setup.modelName = name
        setup.device = device
        modelReady = true
        videoModelLoaded(name: name)
        return []
    }

    mutating func imageLoaded(index: Int, image: RGBImage) -> [EditorEffect] {
        images[index].width = image.width
        images[index].height = image.height
        images[index].loading = .loaded
        guard index == currentImage else { return [] }
        dropMessage(Self.stillLoading)
        images[index].image = image
        let view = Viewport(imageWidth: image.width, imageHeight: image.height,
                            columns: layout.imageArea.width, rows: layout.imageArea.height, cellAspect: terminal.cellAspect)
        viewport = view
        let centre = view.imagePoint(atCell: view.cell(containing: PixelPoint(x: Double(image.width) / 2, y: Double(image.height) / 2)))
        cursor = view.clampedToImage(centre)
        return []
    }

    mutating func imageFailed(index: Int, message text: String) -> [EditorEffect] {
        images[index].loading = .failed(text)
        say(text, isError: true, aboutImage: index)
        return []
    }

    mutating func encodingStarted(index: Int, at time: Double) -> [EditorEffect] {
        images[index].encoding = .encoding(since: time)
        clock = max(clock, time)
        return []
    }

    /// The image can be predicted on: objects whose requests were dropped while it was not the
    /// active one are predicted again, and the next image is encoded ahead.
    mutating func imageEncoded(index: Int, seconds: Double, fromCache: Bool) -> [EditorEffect] {
        images[index].encoding = .ready(seconds: seconds, fromCache: fromCache)
        guard index == currentImage else { return [] }
        dropMessage(Self.stillEncoding)
        if message == nil {
            say(fromCache ? "Ready: encoding read from the cache" : String(format: "Ready: encoded in %.1f s", seconds))
        }
        var effects: [EditorEffect] = []
        for objectIndex in images[index].objects.indices {
            let object = images[index].objects[objectIndex]
            guard object.prediction == .stale, !object.prompting.isEmpty else { continue }
            effects.append(repredict(imageIndex: index, objectIndex: objectIndex))
        }
        if images.count > 1 {
            let next = (index + 1) % images.count
            effects.append(.prefetchImage(index: next, path: images[next].path))
        }
        return effects
    }

    mutating func encodingFailed(index: Int, message text: String) -> [EditorEffect] {
        images[index].encoding = .failed(text)
        say(text, isError: true, aboutImage: index)
        return []
    }

    /// `]` and `[`: the next or previous image, round the list.
    mutating func stepImage(by step: Int) -> [EditorEffect] {
        guard images.count > 1 else { return say("Only one image is open") }
        let target = currentImage + step
        let effects = switchImage(to: (target + images.count) % images.count)
        if target >= images.count { say("First image again (wrapped)") }
        if target < 0 { say("Last image again (wrapped)") }
        return effects
    }

    mutating func switchImage(to index: Int) -> [EditorEffect] {
        boxAnchor = nil
        mousePressCell = nil
        if dropCurrentObjectIfEmpty() { document.currentObject = max(document.objects.count - 1, 0) }
        currentImage = index
        // The last latency was another image's click.
        lastLatencyMilliseconds = nil
        // Pixels are kept for the image on screen only; the worker decodes again on return.
        for other in images.indices where other != index { images[other].image = nil }
        viewport = nil
        if document.image == nil { document.loading = .loading }
        if case .failed = document.encoding {} else { document.encoding = .waiting }
        if let image = document.image { _ = imageLoaded(index: index, image: image) }
        return [openCurrentImage]
    }

    /// Says why a key that needs the image on screen did nothing.
    mutating func notReady() -> [EditorEffect] {
        if case .failed(let text) = document.loading { return sayError(text) }
        return say(Self.stillLoading)
    }
}
