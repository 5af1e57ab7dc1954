package org.waymark.ktx

/**
 * Marks code that calls Android APIs above minSdk (24) and runs only where
 * `Build.VERSION.SDK_INT >= level`. The minSdk check (animal-sniffer in
 * `scripts/android-check`) skips what it marks and holds everything else
 * to API 24.
 */
@Retention(AnnotationRetention.BINARY)
@Target(AnnotationTarget.FUNCTION, AnnotationTarget.CLASS)
internal annotation class SinceApi(val level: Int)
