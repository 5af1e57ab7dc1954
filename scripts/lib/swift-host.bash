# shellcheck shell=bash
# Sourced by scripts/swift-test and scripts/ios-demo-test: Swift 6, the
# host library and the publisher CLI built by cargo, and the environment
# under which SwiftPM links the Waymark package against that library
# (`WAYMARK_FFI=host`, see the root Package.swift). Run from the
# repository root.

# swift_host_build: installs Swift 6 if missing, then builds
# libwaymark_ffi (debug, unstripped: uniffi-bindgen-swift reads its
# metadata), waymark-pack and uniffi-bindgen-swift.
swift_host_build() {
    if ! command -v swift >/dev/null 2>&1 || ! swift --version 2>/dev/null | grep -Eq 'Swift version 6\.'; then
        scripts/install-swift
    fi
    echo "== cargo build (waymark-ffi, waymark-pack, uniffi-bindgen-swift)"
    cargo build --quiet -p waymark-ffi -p waymark-pack -p uniffi-bindgen
}

# swift_host_target_dir: prints cargo's target directory.
swift_host_target_dir() {
    cargo metadata --format-version 1 --no-deps |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])'
}

# swift_host_environment LIB_DIR: exports what `swift build`/`swift test`
# need to link the host library in LIB_DIR, and what tests drive (the
# publisher CLI, the sample pack sources).
swift_host_environment() {
    local lib_dir=$1
    export WAYMARK_FFI=host
    export WAYMARK_FFI_LIB_DIR=$lib_dir
    export LIBRARY_PATH=$lib_dir${LIBRARY_PATH:+:$LIBRARY_PATH}
    export LD_LIBRARY_PATH=$lib_dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
    export WAYMARK_PACK_BIN=$lib_dir/waymark-pack
    export WAYMARK_SAMPLES_DIR=$PWD/content/samples
}

# swift_host_build_package ARGS...: `swift build --build-tests ARGS`.
# Debian's SwiftPM 6.0.3 has been seen to crash (signal 11) while planning
# a build; a crash, not a compile error, is retried once.
swift_host_build_package() {
    local status=0
    swift build --build-tests "$@" || status=$?
    if [ "$status" -ge 128 ]; then
        echo "swift build crashed (status $status); once more"
        swift build --build-tests "$@"
    else
        return "$status"
    fi
}

# swift_host_test ARGS...: `swift test --skip-build ARGS` (built by
# swift_host_build_package), stopped after WAYMARK_SWIFT_TEST_TIMEOUT
# seconds (900): a stuck run fails with a clear message rather than holding
# CI until its own limit. The suites also fail a single test after minutes.
swift_host_test() {
    local limit=${WAYMARK_SWIFT_TEST_TIMEOUT:-900} status=0
    timeout --kill-after=30 "$limit" swift test --skip-build "$@" || status=$?
    if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
        echo "swift test $* did not finish in ${limit} s: a test is stuck" >&2
        echo "(its output is buffered: the last lines printed need not name it)" >&2
    fi
    return "$status"
}
