// swift-tools-version:6.0
import PackageDescription
import Foundation

// LibTorch: Debian's libtorch-dev by default, or the tree named by LIBTORCH
// (an unpacked libtorch zip, or site-packages/torch of a PyPI wheel).
let libtorchRoot = Context.environment["LIBTORCH"].flatMap { $0.isEmpty ? nil : $0 }

var torchCxxFlags: [String] = ["-I/usr/include/torch/csrc/api/include"]
var torchLinkerFlags: [String] = []
if let root = libtorchRoot {
    torchCxxFlags = ["-isystem", "\(root)/include", "-isystem", "\(root)/include/torch/csrc/api/include"]
    torchLinkerFlags = ["-L\(root)/lib", "-Xlinker", "-rpath", "-Xlinker", "\(root)/lib"]
    // CUDA builds register their kernels from libtorch_cuda at load time; nothing references it
    // directly, so keep the linker from dropping it.
    if FileManager.default.fileExists(atPath: "\(root)/lib/libtorch_cuda.so") {
        torchLinkerFlags += ["-Xlinker", "--no-as-needed", "-ltorch_cuda", "-lc10_cuda", "-Xlinker", "--as-needed"]
    }
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
        .systemLibrary(name: "CNCursesW", pkgConfig: "ncursesw", providers: [.apt(["libncursesw5-dev"])]),
        .systemLibrary(name: "CSixel", pkgConfig: "libsixel", providers: [.apt(["libsixel-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CJPEG", pkgConfig: "libjpeg", providers: [.apt(["libjpeg62-turbo-dev"])]),

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
            linkerSettings: [
                .unsafeFlags(torchLinkerFlags),
                .linkedLibrary("torch"),
                .linkedLibrary("torch_cpu"),
                .linkedLibrary("c10"),
                .linkedLibrary("dl"),
            ]
        ),
        // libpng and libjpeg-turbo behind setjmp: their longjmp errors must never cross Swift frames.
        .target(
            name: "CImageCodecs",
            linkerSettings: [.linkedLibrary("png16"), .linkedLibrary("jpeg")]
        ),
        .target(
            name: "Segmentation",
            dependencies: ["SamEngine", "CPNG", "CJPEG", "CImageCodecs"]
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
        .testTarget(name: "SegmentationTests", dependencies: ["Segmentation"]),
        .testTarget(name: "TerminalUITests", dependencies: ["TerminalUI"]),
        .testTarget(name: "EndToEndTests", dependencies: ["Segmentation"]),
        .testTarget(name: "SamtermTests", dependencies: ["samterm"]),
    ],
    cxxLanguageStandard: .cxx17
)
