package org.waymark.demo.core

/**
 * Where the app keeps the person's choices (never anything personal: the
 * language, lock and sync preferences). `SharedPreferences` on Android,
 * a map in tests.
 */
public interface Prefs {
    public fun string(key: String): String?
    public fun putString(key: String, value: String?)
}

/** [Prefs] in memory. */
public class MemoryPrefs : Prefs {
    private val map = java.util.concurrent.ConcurrentHashMap<String, String>()
    override fun string(key: String): String? = map[key]
    override fun putString(key: String, value: String?) {
        if (value == null) map.remove(key) else map[key] = value
    }
}

/** The person's choices. */
public data class AppSettings(
    /** BCP 47 tag of the app's language; null until chosen on first run. */
    val language: String? = null,
    /** Minutes without use before the vault locks itself. */
    val autoLockMinutes: Int = 5,
    /** Lock the vault as soon as the app leaves the screen. */
    val lockOnLeave: Boolean = true,
    /** Sync by itself with JobScheduler. */
    val backgroundSync: Boolean = false,
    /** Background sync only on an unmetered network. */
    val syncUnmeteredOnly: Boolean = true,
    /** Background sync only while charging. */
    val syncChargingOnly: Boolean = true,
    /** Route sync through Orbot's SOCKS5 proxy. */
    val useOrbot: Boolean = false,
    /** Most bytes one sync may download (null: no limit). */
    val budgetBytes: Long? = 5L * 1024 * 1024,
) {
    public companion object {
        /** Orbot's SOCKS5 proxy on the phone itself; `socks5h`: names resolved through Tor. */
        public const val ORBOT_PROXY: String = "socks5h://127.0.0.1:9050"

        /** The auto-lock choices, in minutes. */
        public val AUTO_LOCK_CHOICES: List<Int> = listOf(1, 5, 15)

        /** The data budget choices, in bytes (null: no limit). */
        public val BUDGET_CHOICES: List<Long?> = listOf(1L * 1024 * 1024, 5L * 1024 * 1024, 20L * 1024 * 1024, null)

        /** Reads the settings from [prefs]. */
        public fun load(prefs: Prefs): AppSettings {
            val d = AppSettings()
            fun bool(k: String, def: Boolean) = prefs.string(k)?.toBooleanStrictOrNull() ?: def
            return AppSettings(
                language = prefs.string("language"),
                autoLockMinutes = prefs.string("autoLockMinutes")?.toIntOrNull() ?: d.autoLockMinutes,
                lockOnLeave = bool("lockOnLeave", d.lockOnLeave),
                backgroundSync = bool("backgroundSync", d.backgroundSync),
                syncUnmeteredOnly = bool("syncUnmeteredOnly", d.syncUnmeteredOnly),
                syncChargingOnly = bool("syncChargingOnly", d.syncChargingOnly),
                useOrbot = bool("useOrbot", d.useOrbot),
                budgetBytes = when (val b = prefs.string("budgetBytes")) {
                    null -> d.budgetBytes
                    "none" -> null
                    else -> b.toLongOrNull() ?: d.budgetBytes
                },
            )
        }
    }

    /** Writes these settings to [prefs]. */
    public fun save(prefs: Prefs) {
        prefs.putString("language", language)
        prefs.putString("autoLockMinutes", autoLockMinutes.toString())
        prefs.putString("lockOnLeave", lockOnLeave.toString())
        prefs.putString("backgroundSync", backgroundSync.toString())
        prefs.putString("syncUnmeteredOnly", syncUnmeteredOnly.toString())
        prefs.putString("syncChargingOnly", syncChargingOnly.toString())
        prefs.putString("useOrbot", useOrbot.toString())
        prefs.putString("budgetBytes", budgetBytes?.toString() ?: "none")
    }

    /** The sync settings these choices give Waymark. */
    public fun syncSettings(): org.waymark.SyncSettings = org.waymark.SyncSettings(
        budgetBytes = budgetBytes,
        largeDownloadBytes = 1L * 1024 * 1024,
        allowLargeOnMetered = false,
        installNewPacks = true,
        proxy = if (useOrbot) ORBOT_PROXY else null,
    )
}
