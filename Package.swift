// swift-tools-version:6.0
import PackageDescription
import Foundation

// LibTorch: Debian's libtorch-dev by default, or the tree named by LIBTORCH (an unpacked libtorch
// zip, or site-packages/torch of a PyPI wheel: both have include/ and lib/).
let libtorchRoot = Context.environment["LIBTORCH"].flatMap { $0.isEmpty ? nil : $0 }
let torchInclude = libtorchRoot.map { "\($0)/include" } ?? "/usr/include"

// The C++ standard follows the LibTorch: Debian's 1.13 is C++17, the headers of 2.x need C++20.
// The version is in torch/version.h, which recent releases forward to torch/headeronly/version.h.
func torchMajorVersion(include: String) -> Int? {
    for header in ["torch/headeronly/version.h", "torch/csrc/api/include/torch/version.h"] {
        guard let text = try? String(contentsOfFile: "\(include)/\(header)", encoding: .utf8) else { continue }
        for line in text.split(separator: "\n") where line.hasPrefix("#define TORCH_VERSION_MAJOR ") {
            return Int(line.split(separator: " ").last ?? "")
        }
    }
    return nil
}
let torchMajor = torchMajorVersion(include: torchInclude) ?? (libtorchRoot == nil ? 1 : 2)
let cxxStandard: CXXLanguageStandard = torchMajor >= 2 ? .cxx20 : .cxx17

var torchCxxFlags: [String] = ["-I/usr/include/torch/csrc/api/include"]
var torchLinkerFlags: [String] = []
var torchLibraries: [LinkerSetting] = [.linkedLibrary("torch"), .linkedLibrary("torch_cpu"), .linkedLibrary("c10")]
if let root = libtorchRoot {
    torchCxxFlags = ["-isystem", "\(root)/include", "-isystem", "\(root)/include/torch/csrc/api/include"]
    // The libraries by their full paths, never -ltorch: with Debian's libtorch-dev installed too,
    // a search would find /usr/lib's 1.13 first. The rpath finds the same ones at run time.
    var libraries = ["libtorch.so", "libtorch_cpu.so", "libc10.so"]
    // CUDA builds register their kernels from libtorch_cuda at load time; nothing references it
    // directly, so keep the linker from dropping it.
    if FileManager.default.fileExists(atPath: "\(root)/lib/libtorch_cuda.so") {
        libraries += ["libtorch_cuda.so", "libc10_cuda.so"]
    }
    torchLinkerFlags = ["-Xlinker", "-rpath", "-Xlinker", "\(root)/lib", "-Xlinker", "--no-as-needed"]
    torchLinkerFlags += libraries.flatMap { ["-Xlinker", "\(root)/lib/\($0)"] }
    torchLinkerFlags += ["-Xlinker", "--as-needed"]
    torchLibraries = []
}

let package = Package(
    name: "samterm",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "samterm", targets: ["samterm"]),
        .library(name: "Segmentation", targets: ["Segmentation"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(name: "CNCursesW", pkgConfig: "ncursesw", providers: [.apt(["libncurses-dev"])]),
        .systemLibrary(name: "CSixel", pkgConfig: "libsixel", providers: [.apt(["libsixel-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CJPEG", pkgConfig: "libjpeg", providers: [.apt(["libjpeg-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),

        // Everything that touches tensors. Its only public surface is include/sam_engine.h.
        .target(
            name: "SamEngine",
            path: "Sources/SamEngine",
            cxxSettings: [
                .headerSearchPath("."),
                .unsafeFlags(torchCxxFlags),
                // Model code is unusable unoptimised, so it is optimised in debug builds too.
                .unsafeFlags(["-O2"], .when(configuration: .debug)),
            ],
            linkerSettings: [.unsafeFlags(torchLinkerFlags), .linkedLibrary("dl")] + torchLibraries
        ),
        // libpng and libjpeg-turbo behind setjmp: their longjmp errors must never cross Swift frames.
        .target(
            name: "CImageCodecs",
            linkerSettings: [.linkedLibrary("png16"), .linkedLibrary("jpeg")]
        ),
        // FFmpeg's libavformat, libavcodec and libswscale (Debian's libavformat-dev, libavcodec-dev,
        // libswscale-dev, libavutil-dev): video frames on demand, behind include/video_decoder.h.
        .target(
            name: "CVideoDecoder",
            linkerSettings: [.linkedLibrary("avformat"), .linkedLibrary("avcodec"), .linkedLibrary("swscale"),
                             .linkedLibrary("avutil")]
        ),
        .target(
            name: "Segmentation",
            dependencies: ["SamEngine", "CPNG", "CJPEG", "CImageCodecs", "CVideoDecoder", "CSQLite"]
        ),
        .target(
            name: "TerminalUI",
            dependencies: ["Segmentation", "CNCursesW", "CSixel"]
        ),
        .executableTarget(
            name: "samterm",
            dependencies: [
                "Segmentation",
                "TerminalUI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        .testTarget(name: "SamEngineTests", dependencies: ["SamEngine", "Segmentation"]),
        .testTarget(name: "SegmentationTests", dependencies: ["Segmentation", "CSQLite"]),
        .testTarget(name: "TerminalUITests", dependencies: ["TerminalUI"]),
        .testTarget(name: "EndToEndTests", dependencies: ["Segmentation", "CSQLite"]),
        .testTarget(name: "SamtermTests", dependencies: ["samterm"]),
    ],
    cxxLanguageStandard: cxxStandard
)
