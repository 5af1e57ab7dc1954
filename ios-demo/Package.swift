// swift-tools-version:6.0
//
// The Waymark demo app for iPhone. Three layers:
//
// - `WaymarkDemoCore`: everything the screens decide (view models,
//   navigation, the language table, provenance and highlight formatting,
//   the sync plan and budget): plain Swift over the Waymark package,
//   compiled and tested on Linux by `scripts/ios-demo-test`.
// - `WaymarkDemoUI`: the SwiftUI screens, under `#if canImport(SwiftUI) && os(iOS)`
//   (empty on Linux).
// - `WaymarkDemoApp`: the `@main` app and the platform integrations
//   (Keychain, BGTaskScheduler, AVSpeechSynthesizer, NWPathMonitor,
//   PhotosPicker), each under its `#if canImport(...)`. Xcode builds the
//   app from `project.yml` (XcodeGen); see README.md.
//
// The Waymark package is the repository root's `Package.swift`; on Linux
// `WAYMARK_FFI=host` links the host library cargo built.
import PackageDescription

// Warnings are errors in the code compiled and tested here. Not for the
// Apple-only layers, which this machine cannot compile: an SDK's new
// deprecation must not stop a builder on a Mac.
let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .unsafeFlags(["-warnings-as-errors"]),
]

let package = Package(
    name: "WaymarkDemo",
    platforms: [.iOS(.v17), .macOS(.v14)],
    products: [
        .library(name: "WaymarkDemoCore", targets: ["WaymarkDemoCore"]),
        .library(name: "WaymarkDemoUI", targets: ["WaymarkDemoUI"]),
    ],
    dependencies: [
        .package(name: "Waymark", path: ".."),
    ],
    targets: [
        .target(
            name: "WaymarkDemoCore",
            dependencies: [.product(name: "Waymark", package: "Waymark")],
            swiftSettings: strict
        ),
        .target(
            name: "WaymarkDemoUI",
            dependencies: ["WaymarkDemoCore", .product(name: "Waymark", package: "Waymark")],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .testTarget(
            name: "WaymarkDemoCoreTests",
            dependencies: ["WaymarkDemoCore", .product(name: "Waymark", package: "Waymark")],
            swiftSettings: strict
        ),
    ]
)
