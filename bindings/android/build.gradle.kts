// The Waymark AAR.
//
// Needs the Android SDK and NDK (ANDROID_HOME / ANDROID_NDK_HOME), Rust with
// the Android targets and cargo-ndk:
//
//   rustup target add aarch64-linux-android armv7-linux-androideabi x86_64-linux-android
//   cargo install cargo-ndk
//   gradle assembleRelease          # -> build/outputs/aar/waymark-android-release.aar
//
// The build runs cargo-ndk for the three ABIs with the size-tuned
// `release-ffi` profile (unstripped; AGP strips the copies it packages),
// then generates the Kotlin bindings from the arm64 library with the
// workspace's pinned uniffi-bindgen, so the bindings always match the
// library in the same AAR.

import org.jetbrains.kotlin.gradle.dsl.JvmTarget

plugins {
    id("com.android.library") version "8.7.3"
    id("org.jetbrains.kotlin.android") version "2.1.21"
}

val workspace: File = rootDir.resolve("../..").canonicalFile
val cargoTarget: File = System.getenv("CARGO_TARGET_DIR")?.let(::File) ?: workspace.resolve("target")
val jniOut: File = layout.buildDirectory.dir("generated/jniLibs").get().asFile
val kotlinOut: File = layout.buildDirectory.dir("generated/uniffi").get().asFile
val abis = listOf("arm64-v8a", "armeabi-v7a", "x86_64")

android {
    namespace = "org.waymark"
    compileSdk = 35

    defaultConfig {
        // JNA's AAR and the NDK's r27 toolchain both support API 24+.
        minSdk = 24
        consumerProguardFiles("consumer-rules.pro")
        ndk { abiFilters += abis }
    }

    sourceSets["main"].apply {
        java.srcDirs(kotlinOut, workspace.resolve("bindings/kotlin/src/main/kotlin"))
        jniLibs.srcDirs(jniOut)
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
}

kotlin {
    compilerOptions { jvmTarget.set(JvmTarget.JVM_17) }
}

dependencies {
    // JNA as an AAR: it carries libjnidispatch.so for every Android ABI.
    implementation("net.java.dev.jna:jna:5.17.0@aar")
    implementation("org.jetbrains.kotlinx:kotlinx-coroutines-android:1.10.2")
}

/** libwaymark_ffi.so for every ABI, into build/generated/jniLibs/<abi>/. */
val cargoNdk by tasks.registering(Exec::class) {
    description = "Builds libwaymark_ffi for ${abis.joinToString()} with cargo-ndk."
    workingDir = workspace
    inputs.dir(workspace.resolve("core/src"))
    inputs.dir(workspace.resolve("bindings/src"))
    inputs.file(workspace.resolve("Cargo.lock"))
    outputs.dir(jniOut)
    commandLine(
        listOf("cargo", "ndk") + abis.flatMap { listOf("-t", it) } +
            listOf("--platform", "24", "--no-strip", "-o", jniOut.path,
                // Only the cdylib: with the crate's lib and staticlib types in
                // the same rustc run, cargo cannot apply LTO (+1.4 MB).
                "rustc", "-p", "waymark-ffi", "--lib", "--crate-type", "cdylib",
                "--profile", "release-ffi"),
    )
}

/** The Kotlin bindings, generated from the library just built. */
val generateUniffiBindings by tasks.registering(Exec::class) {
    description = "Generates the Kotlin bindings with the workspace's uniffi-bindgen."
    dependsOn(cargoNdk)
    workingDir = workspace
    inputs.dir(jniOut)
    outputs.dir(kotlinOut)
    doFirst { kotlinOut.deleteRecursively() }
    commandLine(
        "cargo", "run", "--quiet", "-p", "uniffi-bindgen", "--",
        "generate", "--library", jniOut.resolve("arm64-v8a/libwaymark_ffi.so").path,
        "--language", "kotlin", "--no-format", "--out-dir", kotlinOut.path,
    )
}

tasks.named("preBuild") { dependsOn(generateUniffiBindings) }
