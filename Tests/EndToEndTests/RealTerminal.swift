// Real terminals for end-to-end tests: an X server of the test's own (Xvfb), terminals started
// under it, keys typed into them (xdotool) and screenshots read back (xwd), so a test looks at
// the pixels a user would see.
import Foundation
import XCTest

/// One Xvfb server, stopped with `stop()` (tear-down) or when the object goes.
final class XvfbDisplay {
    /// ":N", for DISPLAY.
    let name: String
    let width: Int
    let height: Int
    private let server: Process
    private var clients: [Process] = []

    /// Starts Xvfb on a free display number (Xvfb picks it and says which once it is ready).
    init(width: Int = 1600, height: Int = 1000) throws {
        for tool in ["Xvfb", "xwd", "xdotool"] where Self.which(tool) == nil {
            XCTFail("\(tool) is missing: `make deps` installs xvfb, x11-apps and xdotool")
            throw CocoaError(.fileNoSuchFile)
        }
        self.width = width
        self.height = height
        server = Process()
        server.executableURL = URL(fileURLWithPath: Self.which("Xvfb")!)
        server.arguments = ["-displayfd", "1", "-screen", "0", "\(width)x\(height)x24", "-nolisten", "tcp"]
        let announced = Pipe()
        server.standardOutput = announced
        server.standardError = FileHandle.nullDevice
        try server.run()
        // The display number arrives as one line when the server accepts connections.
        var line = Data()
        let deadline = Date().addingTimeInterval(20)
        while !line.contains(UInt8(ascii: "\n")), Date() < deadline, server.isRunning {
            let chunk = announced.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line += chunk
        }
        guard let number = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            server.terminate()
            throw RealTerminalError("Xvfb did not start (it said \(String(decoding: line, as: UTF8.self).debugDescription))")
        }
        name = ":\(number)"
    }

    deinit { stop() }

    /// Stops every client started here, then the server.
    func stop() {
        for client in clients where client.isRunning {
            client.terminate()
            client.waitUntilExit()
        }
        clients.removeAll()
        if server.isRunning {
            server.terminate()
            server.waitUntilExit()
        }
    }

    /// The environment a program on this display gets: DISPLAY set, software OpenGL (kitty needs
    /// OpenGL 3.3; Mesa's llvmpipe gives it without a GPU), plus `extra`.
    func environment(_ extra: [String: String] = [:]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "TMUX")
        environment.removeValue(forKey: "SAMTERM_CHECKPOINT")
        environment["DISPLAY"] = name
        environment["LIBGL_ALWAYS_SOFTWARE"] = "1"
        environment["LC_ALL"] = "C.UTF-8"
        return environment.merging(extra) { $1 }
    }

    /// Starts `program` on this display; it is stopped with the display.
    @discardableResult
    func launch(_ program: String, _ arguments: [String], environment extra: [String: String] = [:]) throws -> Process {
        guard let path = program.hasPrefix("/") ? program : Self.which(program) else {
            XCTFail("\(program) is missing: `make deps` installs it")
            throw CocoaError(.fileNoSuchFile)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.environment = environment(extra)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        clients.append(process)
        return process
    }

    /// The whole screen as it is now.
    func screenshot() throws -> Screenshot {
        let data = try run("xwd", ["-root", "-silent", "-display", name])
        return try Screenshot(xwd: data)
    }

    /// Polls screenshots until `condition` holds; fails naming `what` after `timeout` seconds.
    @discardableResult
    func waitFor(_ what: String, timeout: Double = 60, _ condition: (Screenshot) -> Bool) throws -> Screenshot {
        let deadline = Date().addingTimeInterval(timeout)
        var last: Screenshot?
        while Date() < deadline {
            let shot = try screenshot()
            if condition(shot) { return shot }
            last = shot
            Thread.sleep(forTimeInterval: 0.25)
        }
        if let last { try? last.savePPM(to: Self.failureShot(what)) }
        throw RealTerminalError("timed out waiting for \(what) (last screenshot: \(Self.failureShot(what).path))")
    }

    /// Presses keys (xdotool key names: "space", "q", "Escape", "Right") in the window under the
    /// pointer: without a window manager, keyboard focus follows the pointer.
    func keys(_ names: String...) throws {
        _ = try run("xdotool", ["mousemove", "\(width / 2)", "\(height / 2)"])
        for key in names { _ = try run("xdotool", ["key", "--delay", "30", key]) }
    }

    /// A mouse click at screen pixel (x, y): button 1 left, 3 right.
    func click(x: Int, y: Int, button: Int = 1) throws {
        _ = try run("xdotool", ["mousemove", "\(x)", "\(y)", "click", "\(button)"])
    }

    /// Runs a tool against this display to its end and returns what it printed.
    @discardableResult
    func run(_ tool: String, _ arguments: [String]) throws -> Data {
        guard let path = Self.which(tool) else { throw RealTerminalError("\(tool) is missing: `make deps` installs it") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.environment = environment()
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw RealTerminalError("\(tool) \(arguments.joined(separator: " ")) failed with status \(process.terminationStatus)")
        }
        return data
    }

    static func which(_ tool: String) -> String? {
        for folder in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let path = "\(folder)/\(tool)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    /// Where a failing wait leaves its last screenshot, for a person to look at.
    static func failureShot(_ what: String) -> URL {
        let name = what.map { $0.isLetter || $0.isNumber ? $0 : "-" }
        return URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("samterm-screenshot-\(String(name)).ppm")
    }
}

/// A screenshot's pixels, RGB.
struct Screenshot {
    let width: Int
    let height: Int
    /// RGB, row by row.
    let pixels: [UInt8]

    struct Color: Equatable, Hashable {
        var red: UInt8, green: UInt8, blue: UInt8

        /// The largest difference of one channel.
        func distance(to other: Color) -> Int {
            max(abs(Int(red) - Int(other.red)), abs(Int(green) - Int(other.green)), abs(Int(blue) - Int(other.blue)))
        }
    }

    /// Reads xwd's format for a 24/32-bit TrueColor screen (Xvfb's): a header of big-endian
    /// 32-bit fields, a colour map to skip, then rows of 32-bit pixels.
    init(xwd data: Data) throws {
        let bytes = [UInt8](data)
        func field(_ index: Int) -> Int {
            let at = index * 4
            return bytes[at..<(at + 4)].reduce(0) { $0 << 8 | Int($1) }
        }
        guard bytes.count >= 100 else { throw RealTerminalError("xwd wrote \(bytes.count) bytes, not a screenshot") }
        let headerSize = field(0), width = field(4), height = field(5), byteOrder = field(7)
        let bitsPerPixel = field(11), bytesPerLine = field(12), redMask = field(14), colors = field(19)
        let start = headerSize + colors * 12
        guard bitsPerPixel == 32, width > 0, height > 0, bytes.count >= start + bytesPerLine * height else {
            throw RealTerminalError("xwd: \(width)x\(height) at \(bitsPerPixel) bits per pixel is not what Xvfb -screen WxHx24 gives")
        }
        // Pixels are 0x00RRGGBB words in the image's byte order (LSBFirst: B, G, R, X).
        let lsbFirst = byteOrder == 0
        precondition(redMask == 0xff0000, "xwd: unexpected red mask \(String(redMask, radix: 16))")
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                let at = start + y * bytesPerLine + x * 4
                let (r, g, b) = lsbFirst ? (bytes[at + 2], bytes[at + 1], bytes[at]) : (bytes[at + 1], bytes[at + 2], bytes[at + 3])
                let to = (y * width + x) * 3
                pixels[to] = r
                pixels[to + 1] = g
                pixels[to + 2] = b
            }
        }
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    subscript(x: Int, y: Int) -> Color {
        let at = (y * width + x) * 3
        return Color(red: pixels[at], green: pixels[at + 1], blue: pixels[at + 2])
    }

    /// The share of pixels in the rectangle (clipped to the screen) that satisfy `test`.
    func share(x: Int, y: Int, width w: Int, height h: Int, step: Int = 2, where test: (Color) -> Bool) -> Double {
        var hits = 0, total = 0
        for row in stride(from: max(y, 0), to: min(y + h, height), by: step) {
            for column in stride(from: max(x, 0), to: min(x + w, width), by: step) {
                total += 1
                if test(self[column, row]) { hits += 1 }
            }
        }
        return total == 0 ? 0 : Double(hits) / Double(total)
    }

    /// The number of different colours in the rectangle (sampled every `step` pixels): text and
    /// blank screens have a handful, a photograph hundreds.
    func distinctColors(x: Int, y: Int, width w: Int, height h: Int, step: Int = 2) -> Int {
        var seen = Set<Color>()
        for row in stride(from: max(y, 0), to: min(y + h, height), by: step) {
            for column in stride(from: max(x, 0), to: min(x + w, width), by: step) { seen.insert(self[column, row]) }
        }
        return seen.count
    }

    /// Writes the screenshot as a binary PPM (any image viewer opens it).
    func savePPM(to url: URL) throws {
        var data = Data("P6\n\(width) \(height)\n255\n".utf8)
        data.append(contentsOf: pixels)
        try data.write(to: url)
    }
}

struct RealTerminalError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
