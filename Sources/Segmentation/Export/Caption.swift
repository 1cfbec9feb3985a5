// A caption drawn into a picture, as the seed tutorial titles its figures ("Mask 1, Score: 0.953"):
// a 5 x 7 pixel font for the few characters captions use, scaled with the image, white on a
// dark band so it reads on any photograph.
public enum Caption {
    /// Rows top to bottom, "#" for ink.
    private static let glyphs: [Character: [String]] = [
        "0": [" ### ", "#   #", "#  ##", "# # #", "##  #", "#   #", " ### "],
        "1": ["  #  ", " ##  ", "  #  ", "  #  ", "  #  ", "  #  ", " ### "],
        "2": [" ### ", "#   #", "    #", "   # ", "  #  ", " #   ", "#####"],
        "3": ["#####", "   # ", "  #  ", "   # ", "    #", "#   #", " ### "],
        "4": ["   # ", "  ## ", " # # ", "#  # ", "#####", "   # ", "   # "],
        "5": ["#####", "#    ", "#### ", "    #", "    #", "#   #", " ### "],
        "6": ["  ## ", " #   ", "#    ", "#### ", "#   #", "#   #", " ### "],
        "7": ["#####", "    #", "   # ", "  #  ", " #   ", " #   ", " #   "],
        "8": [" ### ", "#   #", "#   #", " ### ", "#   #", "#   #", " ### "],
        "9": [" ### ", "#   #", "#   #", " ####", "    #", "   # ", " ##  "],
        ".": ["     ", "     ", "     ", "     ", "     ", " ##  ", " ##  "],
        ",": ["     ", "     ", "     ", "     ", " ##  ", "  #  ", " #   "],
        ":": ["     ", " ##  ", " ##  ", "     ", " ##  ", " ##  ", "     "],
        "-": ["     ", "     ", "     ", "#####", "     ", "     ", "     "],
        " ": ["     ", "     ", "     ", "     ", "     ", "     ", "     "],
        "M": ["#   #", "## ##", "# # #", "# # #", "#   #", "#   #", "#   #"],
        "S": [" ####", "#    ", "#    ", " ### ", "    #", "    #", "#### "],
        "a": ["     ", "     ", " ### ", "    #", " ####", "#   #", " ####"],
        "c": ["     ", "     ", " ### ", "#    ", "#    ", "#   #", " ### "],
        "e": ["     ", "     ", " ### ", "#   #", "#####", "#    ", " ### "],
        "k": ["#    ", "#    ", "#  # ", "# #  ", "##   ", "# #  ", "#  # "],
        "o": ["     ", "     ", " ### ", "#   #", "#   #", "#   #", " ### "],
        "r": ["     ", "     ", "# ## ", "##  #", "#    ", "#    ", "#    "],
        "s": ["     ", "     ", " ####", "#    ", " ### ", "    #", "#### "],
    ]

    /// `text` drawn at the top left of `image`; characters without a glyph are left out.
    public static func draw(_ text: String, on image: RGBImage) -> RGBImage {
        let scale = max(1, min(image.width, image.height) / 240)
        let characters = text.filter { glyphs[$0] != nil }
        let margin = 2 * scale
        let bandWidth = min(image.width, margin * 2 + characters.count * 6 * scale)
        let bandHeight = min(image.height, margin * 2 + 7 * scale)
        var pixels = image.pixels
        // The band: the picture darkened to a quarter, so the white text always stands out.
        for y in 0..<bandHeight {
            for x in 0..<bandWidth {
                for channel in 0..<3 { pixels[(y * image.width + x) * 3 + channel] /= 4 }
            }
        }
        for (position, character) in characters.enumerated() {
            guard let rows = glyphs[character] else { continue }
            for (row, line) in rows.enumerated() {
                for (column, ink) in line.enumerated() where ink == "#" {
                    for dy in 0..<scale {
                        for dx in 0..<scale {
                            let x = margin + (position * 6 + column) * scale + dx, y = margin + row * scale + dy
                            guard x < image.width, y < image.height else { continue }
                            for channel in 0..<3 { pixels[(y * image.width + x) * 3 + channel] = 255 }
                        }
                    }
                }
            }
        }
        return RGBImage(width: image.width, height: image.height, pixels: pixels)
    }
}
