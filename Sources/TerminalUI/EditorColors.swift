// The colours the editor paints its own marks with; objects take theirs from ObjectPalette.
import Segmentation

public enum EditorColors {
    public static let foregroundPoint = RGBColor(0, 230, 0)
    /// Outlines of the automatic masks not yet adopted as objects.
    public static let suggestion = RGBColor(255, 220, 0)
    /// The mask "more like this" highlights (Tab moves it, Enter adopts it).
    public static let likeThisSelected = RGBColor(0, 230, 255)
    /// Magenta: not the red of the first object (ObjectPalette), whose mask it often sits on.
    public static let backgroundPoint = RGBColor(255, 0, 255)
    public static let box = RGBColor(0, 230, 0)
    public static let cursor = RGBColor(255, 255, 0)
    /// Paint mode's brush outline.
    public static let brush = RGBColor(255, 255, 255)
    /// What surrounds the image where it does not fill its area (sixel only: half-block cells
    /// outside the image keep the terminal's own background).
    public static let letterbox = RGBColor(0, 0, 0)
    /// The marks' colours, kept out of the image's colours in a sixel palette (SixelPalette).
    static let reservedInSixel = [foregroundPoint, backgroundPoint, cursor]
    /// Rims around marks: dark over a light picture, light over a dark one.
    static let darkRim = RGBColor(0, 0, 0)
    static let lightRim = RGBColor(255, 255, 255)
}
