package org.waymark.demo.core

import org.waymark.WaymarkException

/**
 * Something a screen tells the person once: a confirmation, or why an
 * action failed (and that nothing changed). The Activity words it in the
 * person's language ([org.waymark.demo.i18n.Texts]); no notice carries
 * personal data.
 */
public sealed class Notice {
    /** A fixed message. */
    public data class Said(val what: What) : Notice()

    /** A Waymark call failed with [error]. */
    public data class Failed(val error: Failure) : Notice()

    /** The fixed messages. */
    public enum class What {
        ADDED, NOTHING_ADDED, SAVED, COPY_SAVED, DATE_INVALID, PASSPHRASES_DIFFER, TOO_SHORT,
        RECOVERY_MISMATCH, RECOVERY_INVALID, ERASED, DURESS_SET, NO_LOCATION, CANNOT_SHOW,
        INSTALL_FAILED, STOPPED, UP_TO_DATE,
    }
}

/** What a failure means for the person (never its text, which may be English or technical). */
public enum class Failure {
    REFUSED, NOT_FOUND, STORAGE_FULL, NETWORK, LOCKED, GENERIC;

    public companion object {
        /** The kind of [e]. */
        public fun of(e: Throwable): Failure = when (e) {
            is WaymarkException.InvalidInput, is WaymarkException.Integrity -> REFUSED
            is WaymarkException.NotFound -> NOT_FOUND
            is WaymarkException.StorageFull -> STORAGE_FULL
            is WaymarkException.Network -> NETWORK
            is WaymarkException.Locked -> LOCKED
            else -> GENERIC
        }
    }
}

/** A fixed notice. */
public fun said(what: Notice.What): Notice = Notice.Said(what)

/** A failure notice. */
public fun failed(e: Throwable): Notice = Notice.Failed(Failure.of(e))
