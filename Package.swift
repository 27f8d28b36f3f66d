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
    // The engine, in layers; each depends only on the layers below it (README: Layout).
    .target(name: "PipeTraceSystem", dependencies: ["CTrace"]),
    .target(name: "PipeTraceSyscalls", dependencies: ["PipeTraceSystem", "CTrace"]),
    .target(name: "PipeTraceEvents", dependencies: ["PipeTraceSyscalls", "CTrace"]),
    .target(name: "PipeTraceEngine", dependencies: ["PipeTraceEvents", "CTrace"]),
    .target(name: "PipeTraceDiagnosis", dependencies: ["PipeTraceEngine", "CTrace"]),
    .target(name: "PipeTraceReport", dependencies: ["PipeTraceDiagnosis"]),
    .target(name: "PipeTraceRun", dependencies: ["PipeTraceDiagnosis", "CTrace"]),
    // Every layer as one import.
    .target(name: "PipeTraceKit", dependencies: ["PipeTraceReport", "PipeTraceRun"]),
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
