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
