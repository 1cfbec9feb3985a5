// A video's timeline under the image: the current frame and what the tracker is doing, then a
// strip per object with, for each frame (or group of frames on a narrow screen), how sure the
// model is that the object is there (a bar from ▁ to █, its object score), ◆ where it has a
// prompt, dim where a later prompt made the mask stale, · where it has no mask. Drift shows as
// bars falling. The current frame's column is highlighted.
import Foundation
import Segmentation

public enum TimelineView {
    static let objectRows = 3
    static let bars = Array("▁▂▃▄▅▆▇█")

    /// Rows the timeline takes: a header and a few objects (the current one always among them).
    static func rows(_ timeline: VideoTimeline) -> Int { 1 + objectRows }

    public static func lines(_ state: EditorState, width: Int, height: Int) -> [StyledLine] {
        guard let timeline = state.video, height > 0, width > 8 else { return [] }
        var lines = [header(state, timeline, width: width)]
        let label = 5
        let strip = width - label
        let tracks = shownTracks(timeline, count: height - 1)
        for track in tracks {
            var line: StyledLine = [StyledSpan(String(format: "%3d", track.id), track.id == timeline.currentObjectID ? .bold : .normal),
                                    StyledSpan(" ", .swatch(track.color)), StyledSpan(" ")]
            line += cells(timeline, object: track.id, current: state.currentImage, width: strip)
            lines.append(line.truncated(to: width))
        }
        if tracks.isEmpty && height > 1 {
            lines.append([StyledSpan("     no objects yet: click one, then t tracks it forward, T backward", .dim)].truncated(to: width))
        }
        return lines
    }

    static func header(_ state: EditorState, _ timeline: VideoTimeline, width: Int) -> StyledLine {
        var text = "frame \(state.currentImage + 1)/\(timeline.frameCount)"
        var style = TextStyle.bold
        if let run = timeline.propagation {
            let seconds = max(state.clock - run.startedAt, 0)
            let rate = seconds > 0 ? Double(run.done) / seconds : 0
            let left = rate > 0 ? Double(run.total - run.done) / rate : 0
            text += run.rebuilding && run.done == 0
                ? "  rebuilding the tracker's memory…"
                : String(format: "  tracking %@ %d/%d  %.2f frames/s  ETA %@  (Esc stops)", run.reverse ? "◀" : "▶", run.done,
                         run.total, rate, rate > 0 ? duration(left) : "…")
            style = .highlight
        } else if timeline.savingRefused != nil {
            // Shown as long as it holds, not only in the message that said why.
            return [StyledSpan(text, style), StyledSpan("  not saved", .error),
                    StyledSpan("   < > frame  t T track  n new object", .normal)].truncated(to: width)
        } else {
            text += "   < > frame  PgUp PgDn ±10  t track ▶  T track ◀  n new object"
        }
        return [StyledSpan(text, style)].truncated(to: width)
    }

    /// The tracks shown: the current one and its neighbours in order.
    static func shownTracks(_ timeline: VideoTimeline, count: Int) -> [VideoTimeline.Track] {
        guard count > 0, !timeline.tracks.isEmpty else { return [] }
        let current = timeline.tracks.firstIndex { $0.id == timeline.currentObjectID } ?? 0
        let first = max(0, min(current - count / 2, timeline.tracks.count - count))
        return Array(timeline.tracks[first..<min(first + count, timeline.tracks.count)])
    }

    /// One object's strip, `width` cells: each cell a frame, or a group of frames (showing the
    /// least sure of them).
    static func cells(_ timeline: VideoTimeline, object: Int, current: Int, width: Int) -> StyledLine {
        let frames = timeline.frameCount
        let columns = min(frames, max(width, 1))
        var line: StyledLine = []
        for column in 0..<columns {
            let range = (column * frames / columns)..<max((column + 1) * frames / columns, column * frames / columns + 1)
            var glyph: Character = "·"
            var style = TextStyle.dim
            if range.contains(where: { timeline.prompts[$0]?[object] != nil }) {
                glyph = "◆"
                style = .bold
            } else {
                let masks = range.compactMap { timeline.masks[$0]?[object] }
                if let least = masks.min(by: { $0.score < $1.score }) {
                    let sure = 1 / (1 + exp(-Double(least.score)))
                    glyph = bars[min(Int(sure * Double(bars.count)), bars.count - 1)]
                    style = masks.contains(where: \.stale) ? .dim : .normal
                }
            }
            if range.contains(current) { style = .highlight }
            line.append(StyledSpan(String(glyph), style))
        }
        return line
    }

    static func duration(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded())
        return whole >= 60 ? String(format: "%d:%02d", whole / 60, whole % 60) : "\(whole) s"
    }
}
