import Foundation
import Segmentation

/// `samterm bench --video N`: forward propagation over N frames made by sliding the picture
/// sideways (8 pixels a frame, wrapping), for one object and for three, each from a box on the
/// first frame; tools/bench_reference.py --video N makes the same frames for the reference.
struct VideoBench {
    struct Run {
        let objects: Int
        /// Frames after the prompted one, per second (the prompt's frame is not counted).
        let framesPerSecond: Double
        let firstFrameMs: Double
    }

    static let boxes: [(Float, Float, Float, Float)] = [(384, 256, 640, 512), (100, 100, 300, 300), (700, 400, 950, 700)]

    let model: Model
    let picture: RGBImage
    let frames: Int

    /// Frame `index`: the picture moved left by 8 * index pixels, wrapping around.
    static func frame(_ picture: RGBImage, _ index: Int) -> RGBImage {
        let (width, height) = (picture.width, picture.height)
        let shift = (8 * index) % width
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            let row = y * width * 3
            let head = (width - shift) * 3
            pixels[row..<(row + head)] = picture.pixels[(row + shift * 3)..<(row + width * 3)]
            pixels[(row + head)..<(row + width * 3)] = picture.pixels[row..<(row + shift * 3)]
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    func run(objects: Int) throws -> Run {
        let picture = self.picture
        let tracker = try VideoTracker(model: model, frameCount: frames, width: picture.width, height: picture.height) {
            Self.frame(picture, $0)
        }
        let started = ProcessInfo.processInfo.systemUptime
        for object in 0..<objects {
            _ = try tracker.addPoints(frame: 0, object: object + 1, points: [], box: Self.boxes[object])
        }
        var firstDone = 0.0
        var handed = 0
        try tracker.propagate(from: 0) { _ in
            handed += 1
            if handed == 1 { firstDone = ProcessInfo.processInfo.systemUptime }
            return true
        }
        let ended = ProcessInfo.processInfo.systemUptime
        return Run(objects: objects, framesPerSecond: Double(frames - 1) / (ended - firstDone),
                   firstFrameMs: (firstDone - started) * 1000)
    }
}
