// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "gitci",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "gitci", targets: ["gitci"]),
        .executable(name: "gitci-hook", targets: ["gitci-hook"]),
        .executable(name: "gitci-sandbox-init", targets: ["gitci-sandbox-init"]),
        .executable(name: "gitci-bench-notes", targets: ["gitci-bench-notes"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
    ],
    targets: [
        // Headers only: GitKit says how libgit2 is linked.
        .systemLibrary(
            name: "CLibgit2",
            providers: [.apt(["libgit2-dev"])]
        ),
        .target(
            name: "CLibgit2Startup",
            // libgit2's calls to mbedTLS's certificate loaders, to libssh2_init and to GSSAPI go
            // to its own, in every executable that links it.
            linkerSettings: [.unsafeFlags(
                (["mbedtls_x509_crt_parse_file", "mbedtls_x509_crt_parse_path", "libssh2_init"]
                    + ["delete_sec_context", "display_status", "import_name", "indicate_mechs", "init_sec_context",
                       "release_buffer", "release_name", "release_oid_set"].map { "gss_\($0)" })
                .flatMap { ["-Xlinker", "--wrap=\($0)"] }
            )]
        ),
        .target(
            name: "GitKit", dependencies: ["CLibgit2", "CLibgit2Startup"],
            // libgit2 and the libraries Debian ships static archives of (libgit2-dev brings
            // them) are linked in: loading and relocating them at every start, OpenSSL's
            // libcrypto above all, cost each gitci process ~2.4 ms, and mbedTLS ~0.3 ms more.
            // Kerberos has no archives: CLibgit2Startup loads it when libgit2 first calls it.
            // lld, because it resolves archives in any order.
            linkerSettings: [.unsafeFlags([
                "-use-ld=lld",
                "-Xlinker", "-l:libgit2.a", "-Xlinker", "-l:libssh2.a", "-Xlinker", "-l:libcrypto.a",
                "-Xlinker", "-l:libhttp_parser.a", "-Xlinker", "-l:libpcre2-8.a", "-Xlinker", "-l:libz.a",
                "-Xlinker", "-l:libmbedtls.a", "-Xlinker", "-l:libmbedx509.a", "-Xlinker", "-l:libmbedcrypto.a",
            ])]
        ),
        .target(name: "Pipeline", dependencies: [.product(name: "Yams", package: "Yams")]),
        .target(name: "CSpawn"),
        .target(name: "CHookSupport", linkerSettings: [.linkedLibrary("sqlite3"), .linkedLibrary("m")]),
        // What the post-receive hook needs, without Foundation, GRDB or libgit2: shared by
        // `gitci hook post-receive` and the lean `gitci-hook` executable.
        .target(name: "HookIntake", dependencies: ["CSpawn", "CHookSupport"]),
        .executableTarget(
            name: "gitci-hook", dependencies: ["HookIntake", "CHookSupport"],
            // Fully static (SQLite included): no dynamic loader at all, ~2 ms less per push.
            // lld, because it does not warn, as GNU ld does, about the dlopen that glibc and
            // SQLite carry and the hook never calls.
            linkerSettings: [.unsafeFlags(["-static-executable", "-use-ld=lld"])]
        ),
        // The first process of a sandboxed job (Runner's SandboxedJob): C, so that it starts in a
        // fraction of a millisecond on every sandboxed job's way to its first step.
        .executableTarget(
            name: "gitci-sandbox-init", dependencies: ["CSpawn"],
            // Fully static: SwiftPM links even a C program with the Swift runtime and
            // libstdc++, whose loading would be most of the init's start.
            linkerSettings: [.unsafeFlags(["-static-executable", "-use-ld=lld"])]
        ),
        .target(name: "Store", dependencies: ["GitKit", "HookIntake", "CHookSupport", .product(name: "GRDB", package: "GRDB.swift"),
                                         .product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "Runner", dependencies: ["GitKit", "Pipeline", "Store", "CSpawn", "HookIntake",
                                          .product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "Worker", dependencies: ["GitKit", "Pipeline", "Store", "Runner", "CSpawn", "HookIntake"]),
        // The coordinator: the web UI, the JSON API, the agent API and git's smart HTTP for agents.
        .target(name: "Server", dependencies: ["GitKit", "Pipeline", "Store", "Runner", "Worker", "CSpawn",
                                           .product(name: "Hummingbird", package: "hummingbird"),
                                           .product(name: "Mustache", package: "swift-mustache"),
                                           .product(name: "Crypto", package: "swift-crypto")]),
        // A build node: claims jobs from a coordinator over HTTP and runs them with Runner.
        .target(name: "Agent", dependencies: ["GitKit", "Pipeline", "Store", "Runner", "CSpawn",
                                          .product(name: "AsyncHTTPClient", package: "async-http-client")]),
        .executableTarget(
            name: "gitci",
            dependencies: [
                "GitKit", "Pipeline", "Runner", "Store", "Worker", "HookIntake", "Server", "Agent",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            // Bind library symbols on first call instead of all ~9,000 at start-up: the hook
            // and `gitci status` are short-lived processes whose budget is mostly start-up.
            // Released, gitci is not position-independent: a PIE gitci has ~100,000 pointers to
            // relocate at every start, which copies every page holding one (~2.5 ms of a worker
            // a push starts, and of every `gitci status`); the shared libraries keep their ASLR.
            // And SQLite and libstdc++ are linked in, from the archives `make release` points to
            // in .build/static-archives: each shared library costs every start ~0.3–0.5 ms to
            // find, map and relocate (a C program loading those two: +0.7 ms). Without that
            // folder they stay shared. So is libgcc's unwinder (-static-libgcc: libgcc_s gave
            // gitci 14 functions for ~0.13 ms a start). And its ~12,000 symbols are not exported (the static
            // Swift runtime's link arguments ask for that): the loader looks every symbol of
            // libc up in them first, and the runtime's dladdr at start walks them all.
            linkerSettings: [.unsafeFlags(["-Xlinker", "-z", "-Xlinker", "lazy"]),
                             .unsafeFlags(["-Xlinker", "-no-pie", "-Xlinker", "--no-export-dynamic", "-L", Context.packageDirectory + "/.build/static-archives",
                                           "-Xclang-linker", "-static-libgcc"],
                                          .when(configuration: .release))]
        ),
        // Notes write benchmark (`--count N --dir PATH`), and the racing writer GitKitTests spawn.
        .executableTarget(name: "gitci-bench-notes", dependencies: ["GitKit", "Pipeline", "Runner", "Store"]),
        .executableTarget(name: "gitkit-stress", dependencies: ["GitKit"]),

        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "GitKitTests", dependencies: ["GitKit", "CLibgit2Startup", "TestSupport", "gitkit-stress"]),
        .testTarget(name: "StoreTests", dependencies: ["Store", "GitKit", "TestSupport"]),
        .testTarget(name: "RunnerTests", dependencies: ["Runner", "GitKit", "Pipeline", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "CLITests", dependencies: ["gitci", "TestSupport"]),
        .testTarget(name: "ResultsTests", dependencies: ["TestSupport"]),
        .testTarget(name: "ServerTests", dependencies: ["Store", "TestSupport"]),
        .testTarget(name: "ServerAPITests", dependencies: ["Server", "Store", "Runner", "TestSupport", .product(name: "HummingbirdTesting", package: "hummingbird")]),
        .testTarget(name: "AgentTests", dependencies: ["Agent", "Server", "Store", "TestSupport", .product(name: "HummingbirdTesting", package: "hummingbird")]),
    ]
)

for target in package.targets where target.type != .system {
    target.swiftSettings = (target.swiftSettings ?? []) + [
        .enableUpcomingFeature("ExistentialAny"),
        .enableUpcomingFeature("InternalImportsByDefault"),
    ]
}
