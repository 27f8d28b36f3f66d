// swift-tools-version:6.0
import PackageDescription

let package = Package(
  name: "pipetrace",
  products: [
    .library(name: "PipeTraceKit", targets: ["PipeTraceKit"]),
    .executable(name: "pipetrace", targets: ["pipetrace"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0")
  ],
  targets: [
    // The C shim: only what Swift cannot do (variadic ptrace, fork/exec, wait macros, registers).
    // libunwind-ptrace (Debian: libunwind-dev) leaves its lzma symbols to the executable.
    .target(
      name: "CTrace", path: "CTrace",
      linkerSettings: [
        .linkedLibrary("unwind-ptrace"), .linkedLibrary("unwind-generic"), .linkedLibrary("unwind"),
        .linkedLibrary("lzma"),
      ]
    ),
    .target(name: "PipeTraceKit", dependencies: ["CTrace"]),
    .executableTarget(
      name: "pipetrace",
      dependencies: ["PipeTraceKit", .product(name: "ArgumentParser", package: "swift-argument-parser")]
    ),
    // Starting, watching and reaping test processes by pid, shared by both test targets.
    .target(name: "PipeTraceTestSupport", path: "Tests/TestSupport"),
    .testTarget(name: "PipeTraceKitTests", dependencies: ["PipeTraceKit", "CTrace", "PipeTraceTestSupport"]),
    .testTarget(name: "pipetraceTests", dependencies: ["pipetrace", "PipeTraceTestSupport"]),
  ]
)
