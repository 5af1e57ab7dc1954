package org.waymark.demo.platform

/**
 * Marks code that calls Android APIs above minSdk (24) and runs only where
 * `Build.VERSION.SDK_INT >= level`; the minSdk check (animal-sniffer in
 * `scripts/android-test`) skips what it marks.
 */
@Retention(AnnotationRetention.BINARY)
@Target(AnnotationTarget.FUNCTION, AnnotationTarget.CLASS)
internal annotation class SinceApi(val level: Int)
