// The Waymark AAR: org.waymark:waymark-android.
//
// Needs the Android SDK and NDK (ANDROID_HOME / ANDROID_NDK_HOME), Rust with
// the Android targets and cargo-ndk:
//
//   rustup target add aarch64-linux-android armv7-linux-androideabi x86_64-linux-android
//   cargo install cargo-ndk
//   gradle assembleRelease                 # -> build/outputs/aar/waymark-android-release.aar
//   gradle publishToMavenLocal             # -> ~/.m2: org.waymark:waymark-android:<version>
//   gradle publish                         # -> build/repo (a Maven repository to upload)
//
// The build runs cargo-ndk for the three ABIs with the size-tuned
// `release-ffi` profile (16 KB page alignment and packed relocations come
// from .cargo/config.toml), generates the Kotlin bindings from the
// unstripped arm64 library with the workspace's pinned uniffi-bindgen (so
// the bindings always match the library in the same AAR), strips a copy of
// each library with the NDK's llvm-strip into the jniLibs the AAR ships,
// and checks each shipped library's LOAD segments are 16 KB aligned
// (scripts/check-alignment).
//
// x86 (32-bit) is not built: no phone Waymark targets runs it (emulators
// are x86_64). Apps MUST filter their ABIs to the three below (README), or
// an x86 device would install an APK without libwaymark_ffi.so.

import org.jetbrains.kotlin.gradle.dsl.JvmTarget

plugins {
    id("com.android.library") version "8.7.3"
    id("org.jetbrains.kotlin.android") version "2.1.21"
    `maven-publish`
}

val workspace: File = rootDir.resolve("../..").canonicalFile
val cargoTarget: File = System.getenv("CARGO_TARGET_DIR")?.let(::File) ?: workspace.resolve("target")
val unstrippedOut: File = layout.buildDirectory.dir("rust/unstripped").get().asFile
val jniOut: File = layout.buildDirectory.dir("generated/jniLibs").get().asFile
val kotlinOut: File = layout.buildDirectory.dir("generated/uniffi").get().asFile
val abis = listOf("arm64-v8a", "armeabi-v7a", "x86_64")

/**
 * The version: waymark-ffi's, in bindings/Cargo.toml, the one place it is
 * written (scripts/bindings-version reads it the same way for Maven).
 */
val waymarkVersion: String = run {
    val cargo = workspace.resolve("bindings/Cargo.toml").readLines()
    val pkg = cargo.dropWhile { it.trim() != "[package]" }.drop(1).takeWhile { !it.trim().startsWith("[") }
    pkg.firstNotNullOfOrNull { Regex("""^version\s*=\s*"([^"]+)"""").find(it.trim())?.groupValues?.get(1) }
        ?: error("no version in bindings/Cargo.toml")
}
group = "org.waymark"
version = waymarkVersion

android {
    namespace = "org.waymark"
    compileSdk = 35

    defaultConfig {
        // JNA's AAR and the NDK's r27 toolchain both support API 24+.
        // scripts/android-check holds the Kotlin to API 24 (animal-sniffer);
        // uniffi's timestamps and durations are java.time (API 26): apps
        // with minSdk < 26 enable core library desugaring (README).
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

    packaging {
        // Already stripped by stripNativeLibs (with the NDK's llvm-strip);
        // AGP's own strip silently ships them unstripped when it cannot
        // find the NDK.
        jniLibs.keepDebugSymbols += "**/libwaymark_ffi.so"
    }

    publishing {
        singleVariant("release") { withSourcesJar() }
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

/** libwaymark_ffi.so for every ABI, unstripped, into build/rust/unstripped/<abi>/. */
val cargoNdk by tasks.registering(Exec::class) {
    description = "Builds libwaymark_ffi for ${abis.joinToString()} with cargo-ndk."
    workingDir = workspace
    inputs.dir(workspace.resolve("core/src"))
    inputs.dir(workspace.resolve("bindings/src"))
    inputs.file(workspace.resolve("Cargo.lock"))
    inputs.file(workspace.resolve(".cargo/config.toml"))
    outputs.dir(unstrippedOut)
    // SQLite as it ships: without FTS5 (scripts/shipped-sqlite-flags).
    environment(
        "LIBSQLITE3_FLAGS",
        providers.exec { commandLine(workspace.resolve("scripts/shipped-sqlite-flags").path) }
            .standardOutput.asText.get().trim(),
    )
    commandLine(
        listOf("cargo", "ndk") + abis.flatMap { listOf("-t", it) } +
            listOf("--platform", "24", "--no-strip", "-o", unstrippedOut.path,
                // Only the cdylib: with the crate's lib and staticlib types in
                // the same rustc run, cargo cannot apply LTO (+1.4 MB).
                "rustc", "-p", "waymark-ffi", "--lib", "--crate-type", "cdylib",
                "--profile", "release-ffi"),
    )
}

/** The NDK's llvm-strip (the host's prebuilt toolchain). */
fun llvmStrip(): File {
    val ndk = System.getenv("ANDROID_NDK_HOME")?.let(::File)
        ?: android.ndkDirectory.takeIf { it.isDirectory }
        ?: error("ANDROID_NDK_HOME is not set")
    return ndk.resolve("toolchains/llvm/prebuilt").listFiles()?.firstNotNullOfOrNull { host ->
        host.resolve("bin/llvm-strip").takeIf { it.canExecute() }
    } ?: error("no llvm-strip in $ndk")
}

/** The copies the AAR ships: stripped, and checked for 16 KB alignment. */
val stripNativeLibs by tasks.registering {
    description = "Strips libwaymark_ffi for each ABI into the AAR's jniLibs and checks its alignment."
    dependsOn(cargoNdk)
    inputs.dir(unstrippedOut)
    outputs.dir(jniOut)
    doLast {
        jniOut.deleteRecursively()
        val shipped = abis.map { abi ->
            val out = jniOut.resolve("$abi/libwaymark_ffi.so").apply { parentFile.mkdirs() }
            project.exec {
                commandLine(llvmStrip().path, "--strip-all", "-o", out.path,
                    unstrippedOut.resolve("$abi/libwaymark_ffi.so").path)
            }
            out.path
        }
        project.exec { commandLine(listOf(workspace.resolve("scripts/check-alignment").path) + shipped) }
    }
}

/** The Kotlin bindings, generated from the unstripped library just built. */
val generateUniffiBindings by tasks.registering(Exec::class) {
    description = "Generates the Kotlin bindings with the workspace's uniffi-bindgen."
    dependsOn(cargoNdk)
    workingDir = workspace
    inputs.dir(unstrippedOut)
    outputs.dir(kotlinOut)
    doFirst { kotlinOut.deleteRecursively() }
    commandLine(
        "cargo", "run", "--quiet", "-p", "uniffi-bindgen", "--",
        "generate", "--library", unstrippedOut.resolve("arm64-v8a/libwaymark_ffi.so").path,
        "--language", "kotlin", "--no-format", "--out-dir", kotlinOut.path,
    )
}

tasks.named("preBuild") { dependsOn(generateUniffiBindings, stripNativeLibs) }

// AGP creates the "release" component while evaluating the android block.
afterEvaluate {
    publishing {
        publications {
            create<MavenPublication>("release") {
                from(components["release"])
                groupId = "org.waymark"
                artifactId = "waymark-android"
                version = waymarkVersion
                pom {
                    name.set("Waymark for Android")
                    description.set(
                        "Waymark's native library (arm64-v8a, armeabi-v7a, x86_64; 16 KB aligned) with its Kotlin " +
                            "bindings: an encrypted document vault with biometric unlock (AndroidKeystore) and signed, " +
                            "offline-searchable NGO content packs for people on the move.",
                    )
                    url.set("https://example.invalid/waymark")
                    licenses {
                        license {
                            name.set("MPL-2.0")
                            url.set("https://www.mozilla.org/en-US/MPL/2.0/")
                        }
                    }
                    developers {
                        developer { name.set("The Waymark developers") }
                    }
                    scm {
                        url.set("https://example.invalid/waymark")
                        connection.set("scm:git:https://example.invalid/waymark.git")
                        developerConnection.set("scm:git:https://example.invalid/waymark.git")
                    }
                }
            }
        }
        repositories {
            // `gradle publish`: a Maven repository in build/repo, to upload.
            maven {
                name = "local"
                url = uri(layout.buildDirectory.dir("repo"))
            }
        }
    }
}
