package org.waymark.ktx

import java.io.File
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.channels.awaitClose
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.buffer
import kotlinx.coroutines.flow.callbackFlow
import kotlinx.coroutines.launch
import org.waymark.BackupListener
import org.waymark.BackupLocation
import org.waymark.BackupProgress
import org.waymark.BackupReport
import org.waymark.HttpTransport
import org.waymark.RestoreSecret
import org.waymark.RestoredVault
import org.waymark.Vault
import org.waymark.restoreBackup

/**
 * What a remote backup or a restore reports as it runs: [Progress] any
 * number of times, then [Finished] once, with [R] the outcome
 * ([BackupReport] for [backupEvents], [RestoredVault] for
 * [restoreBackupEvents]).
 *
 * ```
 * when (event) {
 *     is BackupEvent.Progress -> bar.progress = event.progress.fraction()
 *     is BackupEvent.Finished -> show(event.result)
 * }
 * ```
 */
public sealed interface BackupEvent<out R> {
    /** Bytes and documents done so far, and in all. */
    public data class Progress(
        /** The progress as the native side reported it. */
        val progress: BackupProgress,
    ) : BackupEvent<Nothing>

    /** The work is done; the flow completes after this event. */
    public data class Finished<out R>(
        /** The outcome. */
        val result: R,
    ) : BackupEvent<R>
}

/**
 * The share of the bytes done so far, from 0 to 1 (0 while the total is
 * not known yet).
 */
public fun BackupProgress.fraction(): Float =
    if (totalBytes <= 0L) 0f else (bytes.toDouble() / totalBytes.toDouble()).coerceIn(0.0, 1.0).toFloat()

/**
 * Backs the vault up to its location (set with `setBackupLocation`) through
 * [transport] (and [proxy], if given) and emits its progress as a cold
 * [Flow]: each collection runs one backup.
 *
 * The last event is [BackupEvent.Finished] with the [BackupReport]
 * (`unchanged` when nothing had changed: one small conditional request);
 * the flow completes after it. It fails with
 * [org.waymark.WaymarkException] when the backup fails (no location set,
 * the storage refused the credentials, the network…).
 *
 * Cancelling the collector (leaving the screen, a timeout) cancels the
 * backup: the native side stops at its next request or chunk, nothing
 * half-written is taken as done, and the next backup resumes where this
 * one stopped.
 *
 * ```
 * vault.backupEvents(UrlConnectionTransport()).collect { event ->
 *     when (event) {
 *         is BackupEvent.Progress -> bar.progress = event.progress.fraction()
 *         is BackupEvent.Finished -> showDone(event.result.uploaded)
 *     }
 * }
 * ```
 */
public fun Vault.backupEvents(
    transport: HttpTransport = UrlConnectionTransport(),
    proxy: String? = null,
): Flow<BackupEvent<BackupReport>> =
    progressFlow { listener -> backupNow(transport, proxy, listener, null) }

/**
 * Backs the vault up as [backupEvents] does, calling [onProgress] (on the
 * native working thread: keep it quick) as it goes, and returns the
 * report. Cancelling the calling coroutine cancels the backup.
 */
public suspend fun Vault.backupNow(
    transport: HttpTransport = UrlConnectionTransport(),
    proxy: String? = null,
    onProgress: (BackupProgress) -> Unit,
): BackupReport = backupNow(transport, proxy, listenerOf(onProgress), null)

/**
 * Restores the remote backup at [location] into a new vault in [dir]
 * (which must hold none: for a [WaymarkHome], its `vaultDir`) with the
 * vault's passphrase or its recovery code, and emits the progress as a
 * cold [Flow]: each collection runs one restore.
 *
 * The last event is [BackupEvent.Finished] with the [RestoredVault]: its
 * `vault` is unlocked, holds every document byte for byte and keeps
 * backing up to [location]; the collector owns it and closes it
 * (`use {}`). The flow fails with [org.waymark.WaymarkException] when the
 * restore fails (a wrong secret is `WrongPassphrase`), and then nothing is
 * left in [dir]. Cancelling the collector while the restore runs cancels
 * it, and nothing is left in [dir] either (a restore that had just
 * completed stays in [dir], its handle closed).
 *
 * ```
 * restoreBackupEvents(home.vaultDir, location, RestoreSecret.RecoveryCode(code, newPassphrase))
 *     .collect { event ->
 *         when (event) {
 *             is BackupEvent.Progress -> bar.progress = event.progress.fraction()
 *             is BackupEvent.Finished -> event.result.vault.use { showDocuments(it.listDocuments()) }
 *         }
 *     }
 * ```
 */
public fun restoreBackupEvents(
    dir: File,
    location: BackupLocation,
    secret: RestoreSecret,
    transport: HttpTransport = UrlConnectionTransport(),
    proxy: String? = null,
): Flow<BackupEvent<RestoredVault>> =
    progressFlow(discard = { it.vault.close() }) { listener ->
        restoreBackup(dir.path, location, secret, transport, proxy, listener, null)
    }

/**
 * Restores as [restoreBackupEvents] does, calling [onProgress] (on the
 * native working thread: keep it quick) as it goes, and returns the
 * restored vault, unlocked (close it). Cancelling the calling coroutine
 * cancels the restore.
 */
public suspend fun restoreBackup(
    dir: File,
    location: BackupLocation,
    secret: RestoreSecret,
    transport: HttpTransport = UrlConnectionTransport(),
    proxy: String? = null,
    onProgress: (BackupProgress) -> Unit = {},
): RestoredVault = restoreBackup(dir.path, location, secret, transport, proxy, listenerOf(onProgress), null)

private fun listenerOf(onProgress: (BackupProgress) -> Unit): BackupListener =
    object : BackupListener {
        override fun onProgress(progress: BackupProgress) = onProgress(progress)
    }

/**
 * Runs [work] once per collection, its listener's progress as events, its
 * result last; a result the collector left before receiving is [discard]ed.
 */
private fun <R> progressFlow(
    discard: (R) -> Unit = {},
    work: suspend (BackupListener) -> R,
): Flow<BackupEvent<R>> =
    callbackFlow {
        val listener = object : BackupListener {
            override fun onProgress(progress: BackupProgress) {
                // Called on the native working thread; never block it.
                trySend(BackupEvent.Progress(progress))
            }
        }
        val job = launch {
            try {
                val result = work(listener)
                try {
                    send(BackupEvent.Finished(result))
                } catch (e: Throwable) {
                    discard(result)
                    throw e
                }
                close()
            } catch (e: Throwable) {
                close(e)
            }
        }
        awaitClose { job.cancel() }
    }.buffer(Channel.UNLIMITED)
