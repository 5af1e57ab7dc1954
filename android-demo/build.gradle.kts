// The Waymark demo app, for builders with the Android SDK: an APK over the
// AAR org.waymark:waymark-android (bindings/android, which carries the native
// library for arm64-v8a, armeabi-v7a and x86_64 and the Kotlin bindings).
//
//   (cd ../bindings/android && gradle publishToMavenLocal)   # the AAR, into ~/.m2
//   gradle assembleRelease                                    # -> build/outputs/apk/release/
//
// The same sources are compiled and tested on a machine without the SDK by
// the Maven build beside this file (pom.xml, scripts/android-test). Framework
// views only: no AndroidX, no Compose, no XML resources besides the manifest.

plugins {
    id("com.android.application") version "8.7.3"
    id("org.jetbrains.kotlin.android") version "2.1.21"
}

/** The bindings' version: waymark-ffi's, in bindings/Cargo.toml. */
val waymarkVersion: String = run {
    val cargo = rootDir.resolve("../bindings/Cargo.toml").readLines()
    val pkg = cargo.dropWhile { it.trim() != "[package]" }.drop(1).takeWhile { !it.trim().startsWith("[") }
    pkg.firstNotNullOfOrNull { Regex("""^version\s*=\s*"([^"]+)"""").find(it.trim())?.groupValues?.get(1) }
        ?: error("no version in bindings/Cargo.toml")
}

android {
    namespace = "org.waymark.demo"
    compileSdk = 35

    defaultConfig {
        applicationId = "org.waymark.demo"
        minSdk = 24
        targetSdk = 35
        versionCode = 1
        versionName = waymarkVersion
        // The ABIs the AAR ships (no x86: bindings/android/README.md).
        ndk { abiFilters += listOf("arm64-v8a", "armeabi-v7a", "x86_64") }
    }

    sourceSets["main"].apply {
        java.srcDirs("src/main/kotlin")
        manifest.srcFile("src/main/AndroidManifest.xml")
    }

    buildTypes {
        release {
            isMinifyEnabled = true
            isShrinkResources = false // there are no resources
            proguardFiles(getDefaultProguardFile("proguard-android-optimize.txt"), "proguard-rules.pro")
        }
    }

    compileOptions {
        // uniffi's timestamps and durations are java.time (API 26).
        isCoreLibraryDesugaringEnabled = true
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }

    packaging {
        jniLibs.keepDebugSymbols += "**/libwaymark_ffi.so" // stripped in the AAR already
    }
}

kotlin {
    compilerOptions { jvmTarget.set(org.jetbrains.kotlin.gradle.dsl.JvmTarget.JVM_17) }
}

dependencies {
    implementation("org.waymark:waymark-android:$waymarkVersion")
    coreLibraryDesugaring("com.android.tools:desugar_jdk_libs:2.1.4")
}
