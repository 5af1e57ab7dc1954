// swift-tools-version:6.0
//
// Waymark for Swift: the generated uniffi bindings of `waymark-ffi` plus a
// thin idiomatic layer (async/await, an AsyncThrowingStream of sync
// progress, Task cancellation reaching the Rust core).
//
// One package, two ways to reach the native library, chosen when the
// manifest is evaluated:
//
// - Apple platforms: `WaymarkFFI` is a binary target, the XCFramework that
//   `scripts/build-xcframework` builds (device arm64, simulator arm64 +
//   x86_64; static libraries with the generated C header and module map).
// - Linux (and macOS with `WAYMARK_FFI_HOST=1`): `WaymarkFFI` is a system
//   library target whose module map names the generated header and links
//   the host `libwaymark_ffi` that cargo built. `scripts/swift-test` sets
//   the library path; `WAYMARK_FFI_LIB_DIR` adds it to the link and rpath.
import PackageDescription

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

func environment(_ name: String) -> String? {
    guard let value = getenv(name) else { return nil }
    let string = String(cString: value)
    return string.isEmpty ? nil : string
}

#if os(Linux)
let useHostLibrary = true
#else
let useHostLibrary = environment("WAYMARK_FFI_HOST") != nil
#endif

let ffiTarget: Target
var hostLinkerSettings: [LinkerSetting] = []
if useHostLibrary {
    ffiTarget = .systemLibrary(name: "WaymarkFFI", path: "Sources/WaymarkFFI")
    if let dir = environment("WAYMARK_FFI_LIB_DIR") {
        hostLinkerSettings = [.unsafeFlags(["-L\(dir)", "-Xlinker", "-rpath", "-Xlinker", dir])]
    }
} else {
    ffiTarget = .binaryTarget(name: "WaymarkFFI", path: "WaymarkFFI.xcframework")
}

let package = Package(
    name: "Waymark",
    platforms: [.iOS(.v15), .macOS(.v12)],
    products: [
        .library(name: "Waymark", targets: ["Waymark"]),
    ],
    targets: [
        ffiTarget,
        .target(
            name: "Waymark",
            dependencies: ["WaymarkFFI"],
            path: "Sources/Waymark",
            swiftSettings: [.swiftLanguageMode(.v6)],
            linkerSettings: hostLinkerSettings
        ),
        .testTarget(
            name: "WaymarkTests",
            dependencies: ["Waymark"],
            path: "Tests/WaymarkTests",
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
    ]
)
