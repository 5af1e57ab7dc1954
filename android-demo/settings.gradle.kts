// The demo app as its own Gradle build (see build.gradle.kts).
pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}
dependencyResolutionManagement {
    repositories {
        mavenLocal() // org.waymark:waymark-android, from bindings/android's publishToMavenLocal
        google()
        mavenCentral()
    }
}
rootProject.name = "waymark-android-demo"
