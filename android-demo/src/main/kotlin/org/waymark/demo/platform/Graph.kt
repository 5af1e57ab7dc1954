package org.waymark.demo.platform

import android.content.Context
import android.content.SharedPreferences
import kotlinx.coroutines.cancel
import kotlinx.coroutines.sync.Mutex
import kotlinx.coroutines.sync.withLock
import org.waymark.GeoPoint
import org.waymark.KdfParams
import org.waymark.demo.core.AppSettings
import org.waymark.demo.core.Prefs
import org.waymark.demo.core.Session
import org.waymark.ktx.WaymarkHome
import org.waymark.ktx.open

/**
 * The app's objects, one per process: the [Session] over
 * `WaymarkHome.open(context)` (the vault in `noBackupFilesDir`, left out of
 * Android's backups; the content beside it), the person's settings, and
 * the platform services a test may replace.
 */
public object Graph {
    private var mutex = Mutex()
    private var session: Session? = null
    private var home: WaymarkHome? = null

    /**
     * The vault's Argon2id parameters: null (the phone setting) in the app;
     * the tests set cheap ones. MUST stay null in a release.
     */
    @Volatile
    public var kdf: KdfParams? = null

    /** Where the person is, read once on request; replaced in tests. */
    @Volatile
    public var location: LocationSource = AndroidLocation

    /** Work that outlives one Activity (the first run across a language change). */
    @Volatile
    public var appScope: kotlinx.coroutines.CoroutineScope = kotlinx.coroutines.MainScope()
        private set

    /** The first run's presenter, kept across the language change's `recreate()`. */
    @Volatile
    internal var firstRun: org.waymark.demo.core.FirstRunPresenter? = null

    /** The session, opened on first use. */
    public suspend fun session(context: Context): Session = mutex.withLock {
        session ?: run {
            val opened = WaymarkHome.open(context.applicationContext)
            val settings = settings(context)
            runCatching { opened.content.setSyncSettings(settings.syncSettings()) }
            home = opened
            Session(opened.content, opened.vaultDir, kdf).also { session = it }
        }
    }

    /** The session if it is open (no I/O). */
    public fun sessionOrNull(): Session? = session

    /** The person's settings. */
    public fun settings(context: Context): AppSettings = AppSettings.load(prefs(context))

    /** Where the settings live: private shared preferences (no personal data). */
    public fun prefs(context: Context): Prefs = SharedPrefs(context.applicationContext.getSharedPreferences("waymark-settings", Context.MODE_PRIVATE))

    /** Closes everything (tests, between cases). */
    public fun reset() {
        session?.vault?.let { (it as? AutoCloseable)?.close() }
        home?.close()
        session = null
        home = null
        firstRun = null
        // An open that never finished (its caller went away) must not hold the next one.
        mutex = Mutex()
        appScope.cancel()
        appScope = kotlinx.coroutines.MainScope()
        kdf = null
        location = AndroidLocation
    }
}

/** Reads the person's location once. */
public fun interface LocationSource {
    /** The location, or null when it is off, refused or unknown. */
    public suspend fun once(context: Context): GeoPoint?
}

private class SharedPrefs(private val prefs: SharedPreferences) : Prefs {
    override fun string(key: String): String? = prefs.getString(key, null)
    override fun putString(key: String, value: String?) {
        prefs.edit().putString(key, value).apply()
    }
}
