// Waymark for Android: an AAR with the uniffi-generated Kotlin, the
// idiomatic layer shared with bindings/kotlin/, and libwaymark_ffi.so for
// each ABI. A standalone build: `gradle :assembleRelease` here (or include
// this directory in an app's settings with `includeBuild`).
pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}

dependencyResolutionManagement {
    repositoriesMode.set(RepositoriesMode.FAIL_ON_PROJECT_REPOS)
    repositories {
        google()
        mavenCentral()
    }
}

rootProject.name = "waymark-android"
