extension RGBImage {
    /// The image scaled to `width` x `height` by bilinear interpolation of pixel centres
    /// (enough for benchmarks and previews; the model does its own resizing).
    public func resized(width newWidth: Int, height newHeight: Int) -> RGBImage {
        precondition(newWidth > 0 && newHeight > 0, "a resized image needs at least one pixel")
        if newWidth == width && newHeight == height { return self }
        var out = [UInt8](repeating: 0, count: newWidth * newHeight * 3)
        let scaleX = Double(width) / Double(newWidth), scaleY = Double(height) / Double(newHeight)
        for y in 0..<newHeight {
            let sourceY = max(0, min(Double(height - 1), (Double(y) + 0.5) * scaleY - 0.5))
            let y0 = Int(sourceY), y1 = min(y0 + 1, height - 1), fy = sourceY - Double(y0)
            for x in 0..<newWidth {
                let sourceX = max(0, min(Double(width - 1), (Double(x) + 0.5) * scaleX - 0.5))
                let x0 = Int(sourceX), x1 = min(x0 + 1, width - 1), fx = sourceX - Double(x0)
                for channel in 0..<3 {
                    func at(_ px: Int, _ py: Int) -> Double { Double(pixels[(py * width + px) * 3 + channel]) }
                    let top = at(x0, y0) * (1 - fx) + at(x1, y0) * fx
                    let bottom = at(x0, y1) * (1 - fx) + at(x1, y1) * fx
                    out[(y * newWidth + x) * 3 + channel] = UInt8((top * (1 - fy) + bottom * fy).rounded())
                }
            }
        }
        return RGBImage(width: newWidth, height: newHeight, pixels: out)
    }
}
