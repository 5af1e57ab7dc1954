package org.waymark.demo.core

import java.io.File
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.launch
import org.waymark.ContentStoreInterface
import org.waymark.InstalledPack
import org.waymark.TrustOptions
import org.waymark.TrustedPublisher

/** What the packs screen shows. */
public data class PacksState(
    val publishers: List<TrustedPublisher> = emptyList(),
    val packs: List<InstalledPack> = emptyList(),
    /** A publisher just added, whose fingerprint the person must compare. */
    val toCompare: TrustedPublisher? = null,
    val installed: InstalledPack? = null,
    /** A pack written to a file, ready to share. */
    val shared: File? = null,
    val busy: Boolean = false,
    val notice: Notice? = null,
)

/**
 * Trusted publishers (add from a card, compare the fingerprint, remove),
 * installed packs, installing a pack from a file, sharing one as a file.
 */
public class PacksPresenter(
    private val content: ContentStoreInterface,
    scope: CoroutineScope,
) : Presenter<PacksState>(PacksState(), scope) {

    /** Reloads publishers and packs. */
    public fun refresh() = work { }

    /**
     * Trusts the publisher whose card is [card] and asks the person to
     * compare its fingerprint; [rejectCompared] undoes it.
     */
    public fun trust(card: ByteArray) = work {
        val added = content.trustPublisher(card, TrustOptions(id = null, name = null, url = null))
        update { it.copy(toCompare = added) }
    }

    /** The fingerprint matched. */
    public fun acceptCompared() {
        update { it.copy(toCompare = null) }
    }

    /** The fingerprint differed: the publisher is removed at once. */
    public fun rejectCompared() {
        val p = current.toCompare ?: return
        update { it.copy(toCompare = null) }
        remove(p.id)
    }

    /** Stops trusting a publisher (its packs go too). */
    public fun remove(id: String) = work { content.removePublisher(id) }

    /** Installs the bundle in [file] (nothing changes if it does not verify). */
    public fun install(file: File) = work(onError = Notice.What.INSTALL_FAILED) {
        val pack = content.installPackFromFile(file.path)
        update { it.copy(installed = pack) }
    }

    /** Writes an installed pack to [file] for another phone. */
    public fun share(pack: InstalledPack, file: File) = work {
        content.exportPack(pack.publisher, pack.id, file.path)
        update { it.copy(shared = file) }
    }

    /** The share sheet was shown. */
    public fun sharedHandled() {
        update { it.copy(shared = null) }
    }

    private fun work(onError: Notice.What? = null, block: suspend () -> Unit) {
        update { it.copy(busy = true, notice = null) }
        scope.launch {
            try {
                block()
                val publishers = content.trustedPublishers()
                val packs = content.packs()
                update { it.copy(busy = false, publishers = publishers, packs = packs) }
            } catch (e: Exception) {
                update { it.copy(busy = false, notice = onError?.let { w -> said(w) } ?: failed(e)) }
            }
        }
    }
}
