package org.waymark.ktx

import java.io.File
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.withContext
import org.waymark.ContentStore
import org.waymark.InstalledPack
import org.waymark.SearchRequest
import org.waymark.SearchResults
import org.waymark.pickTranslation

/**
 * Searches every installed pack for [text], preferring [language] (BCP 47:
 * `ar-EG` prefers Arabic), best first, at most [limit] hits
 * ([org.waymark.WaymarkException.InvalidInput] if negative).
 */
public suspend fun ContentStore.search(text: String, language: String? = null, limit: Int = 20): SearchResults =
    search(SearchRequest(text = text, language = language, limit = limit))

/**
 * Installs a pack from an offline bundle file after verifying it against
 * its publisher's trusted root; nothing changes if anything fails to
 * verify.
 */
public suspend fun ContentStore.installPack(bundle: File): InstalledPack =
    installPackFromFile(bundle.path)

/**
 * Writes an installed pack with its signed metadata to [file], for another
 * phone to install with [installPack] and no network.
 */
public suspend fun ContentStore.exportPack(publisher: String, packId: String, file: File): org.waymark.ExportedPack =
    exportPack(publisher, packId, file.path)

/**
 * Trusts the publisher whose card (`publisher.json`) is [card]; see
 * [ContentStore.trustPublisher].
 */
public suspend fun ContentStore.trustPublisher(card: File, url: String? = null): org.waymark.TrustedPublisher =
    trustPublisher(withContext(Dispatchers.IO) { card.readBytes() }, org.waymark.TrustOptions(url = url))

/**
 * This text for a person who reads [languages] (BCP 47, preferred first),
 * else in any language (`null` only when there is no text at all). Tags
 * match as search matches them: the same tag, else the bare language
 * (`ar-EG` finds `ar`), else another variant of it. Pass the person's
 * languages and then the pack's [InstalledPack.fallback]. Cheap: call it
 * from any thread.
 */
public fun Map<String, String>.inLanguage(vararg languages: String): String? =
    pickTranslation(this, languages.toList())
