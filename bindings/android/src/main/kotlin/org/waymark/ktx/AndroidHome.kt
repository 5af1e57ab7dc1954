package org.waymark.ktx

import android.content.Context
import java.io.File
import org.waymark.HttpTransport

/**
 * Where Waymark keeps a person's data on Android: `waymark/` in the app's
 * [Context.getNoBackupFilesDir]. Android's backups (Auto Backup to the
 * person's cloud account, device-to-device transfer) skip that directory:
 * the vault is encrypted, but a copy of it off the phone is one more place
 * for it to be attacked, with no way to wipe it; Waymark's own backup is
 * the way to carry documents to a new phone. The content is public and
 * re-downloadable, so it need not take the person's backup quota either.
 */
public val Context.waymarkDir: File
    get() = File(noBackupFilesDir, "waymark")

/**
 * A [WaymarkHome] in [waymarkDir]: the vault in `vault/`, the content in
 * `content/`, the keystore's wrapped secret (see [AndroidKeystore]) in
 * `keystore/`.
 *
 * ```
 * WaymarkHome.open(context).use { home -> … }
 * ```
 */
public suspend fun WaymarkHome.Companion.open(
    context: Context,
    transport: HttpTransport = UrlConnectionTransport(),
): WaymarkHome = WaymarkHome.open(context.waymarkDir, transport)
