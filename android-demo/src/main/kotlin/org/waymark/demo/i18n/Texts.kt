package org.waymark.demo.i18n

import org.waymark.DocumentKind
import org.waymark.PackChanges
import org.waymark.Severity

/**
 * Every word the app shows, one subclass per language: a string missing in
 * one language does not compile. Plain words, short sentences, no jargon
 * (the people reading them may be tired, frightened, and not fluent).
 *
 * The translations other than English have not been checked by native
 * speakers (README).
 */
public abstract class Texts {
    public abstract val appName: String
    public abstract val back: String
    public abstract val cancel: String
    public abstract val save: String
    public abstract val delete: String
    public abstract val tryAgain: String
    public abstract val next: String

    // Errors: each says what happened and that nothing changed.
    public abstract val errorGeneric: String
    public abstract val errorRefused: String
    public abstract val errorNotFound: String
    public abstract val errorStorageFull: String
    public abstract val errorNetwork: String

    // First run
    public abstract val chooseLanguage: String
    public abstract val welcomeTitle: String
    public abstract val welcomeBody: String
    public abstract val choosePassphrase: String
    public abstract val passphraseAdvice: String
    public abstract val passphraseAgain: String
    public abstract val strengthTooShort: String
    public abstract val strengthWeak: String
    public abstract val strengthFair: String
    public abstract val strengthStrong: String
    public abstract val passphrasesDiffer: String
    public abstract val createSafe: String
    public abstract val working: String
    public abstract val recoveryTitle: String
    public abstract val recoveryBody: String
    public abstract val recoveryCheckTitle: String
    public abstract fun recoveryCheckBody(a: Int, b: Int): String
    public abstract fun group(n: Int): String
    public abstract val iWroteItDown: String
    public abstract val recoveryMismatch: String
    public abstract val biometricTitle: String
    public abstract val biometricBody: String
    public abstract val biometricYes: String
    public abstract val notNow: String

    // Unlock
    public abstract val unlockTitle: String
    public abstract val passphrase: String
    public abstract val open: String
    public abstract fun wrongPassphrase(attempts: Int): String
    public abstract fun waitSeconds(seconds: Long): String
    public abstract val forgotPassphrase: String
    public abstract val recoveryCode: String
    public abstract val newPassphrase: String
    public abstract val openWithCode: String
    public abstract val recoveryInvalid: String
    public abstract val eraseEverything: String
    public abstract val eraseTitle: String
    public abstract val eraseBody: String
    public abstract val eraseNow: String
    public abstract val erased: String

    // Home
    public abstract val myDocuments: String
    public abstract val information: String
    public abstract val packs: String
    public abstract val update: String
    public abstract val settings: String
    public abstract val lock: String

    // Documents
    public abstract val noDocuments: String
    public abstract val takePhoto: String
    public abstract val chooseFile: String
    public abstract val expired: String
    public abstract fun expiresIn(days: Long): String
    public abstract val kindNames: List<String>
    public abstract val nameLabel: String
    public abstract val typeLabel: String
    public abstract val numberLabel: String
    public abstract val expiryLabel: String
    public abstract val countryLabel: String
    public abstract val notesLabel: String
    public abstract val saved: String
    public abstract val added: String
    public abstract val nothingAdded: String
    public abstract val dateInvalid: String
    public abstract val deleteTitle: String
    public abstract val deleteBody: String
    public abstract val saveCopy: String
    public abstract val copyWarning: String
    public abstract val copyConfirm: String
    public abstract val copySaved: String
    public abstract val cannotShow: String
    public abstract val details: String

    // Information
    public abstract val searchHint: String
    public abstract val noResults: String
    public abstract val noInformation: String
    public abstract val sample: String
    public abstract val stale: String
    public abstract fun provenance(publisher: String, version: Long, days: Long): String
    public abstract fun inLanguage(name: String): String
    public abstract val readAloud: String
    public abstract val stopReading: String
    public abstract val noVoice: String
    public abstract val countryProfile: String
    public abstract val emergencyNumbers: String
    public abstract val nearby: String
    public abstract val findNearby: String
    public abstract val locationPromise: String
    public abstract val noLocation: String
    public abstract val openNow: String
    public abstract val closedNow: String
    public abstract val free: String
    public abstract fun speaks(languages: String): String
    public abstract val routes: String
    public abstract val routePlace: String
    public abstract val borderCrossing: String
    public abstract val alerts: String
    public abstract val noAlerts: String
    public abstract val severityNames: List<String>
    /** An emergency service's name: `general`, `police`, `ambulance`, `fire`, `coastguard`; others as given. */
    public abstract fun emergency(service: String): String
    /** A way of travel: `ferry`, `boat`, `bus`, `train`, `foot` (or `walk`), `car`; others as given. */
    public abstract fun mode(mode: String): String

    // Packs and trust
    public abstract val trustedPublishers: String
    public abstract val fingerprint: String
    public abstract val compareFingerprint: String
    public abstract val fingerprintMatches: String
    public abstract val fingerprintDiffers: String
    public abstract val addPublisherFile: String
    public abstract val pasteCard: String
    public abstract val trust: String
    public abstract val remove: String
    public abstract val installedPacks: String
    public abstract val installFromFile: String
    public abstract val share: String
    public abstract fun installedPack(title: String): String
    public abstract val installFailed: String
    public abstract val noPublishers: String

    // Sync
    public abstract val checkUpdates: String
    public abstract val upToDate: String
    public abstract fun willDownload(size: String): String
    public abstract fun metered(size: String): String
    public abstract val download: String
    public abstract val downloadAnyway: String
    public abstract val stopped: String
    public abstract fun syncDone(packs: Int): String
    /** [n] (at least 1) entries of [kind] (`service`, `article`, `country`, `route`, `alert`; others as given) were added, updated or removed. */
    public abstract fun changed(kind: String, change: Change, n: Long): String
    public abstract val nothingChanged: String
    /** Between the parts of a list in a sentence (", "). */
    public abstract val listSeparator: String
    public abstract val backgroundUpdate: String
    public abstract val onlyWifi: String
    public abstract val onlyCharging: String
    public abstract val useOrbot: String
    public abstract val dataLimit: String
    public abstract val noLimit: String

    // Settings and safety
    public abstract val autoLock: String
    public abstract fun minutes(n: Int): String
    public abstract val lockOnLeave: String
    public abstract val duressTitle: String
    public abstract val duressBody: String
    public abstract val setDuress: String
    public abstract val duressSet: String
    public abstract val language: String
    public abstract val neverTitle: String
    public abstract val neverBody: String

    /** A document kind's name. */
    public fun kind(kind: DocumentKind): String = kindNames[kind.ordinal]

    /**
     * What a sync or an install changed in one pack, e.g. "3 services
     * updated, 1 alert added": per kind, added then updated then removed;
     * [nothingChanged] when every count is zero.
     */
    public fun changes(changes: PackChanges?): String {
        val parts = changes?.kinds.orEmpty().flatMap { k ->
            listOf(Change.ADDED to k.added, Change.UPDATED to k.changed, Change.REMOVED to k.removed)
                .filter { (_, n) -> n > 0 }
                .map { (c, n) -> changed(k.kind, c, n) }
        }
        return if (parts.isEmpty()) nothingChanged else parts.joinToString(listSeparator)
    }

    /** What happened to entries in a new version of a pack. */
    public enum class Change { ADDED, UPDATED, REMOVED }

    /** An alert severity's name. */
    public fun severity(severity: Severity): String = severityNames[severity.ordinal]
}
