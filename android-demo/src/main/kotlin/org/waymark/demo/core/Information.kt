package org.waymark.demo.core

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.delay
import kotlinx.coroutines.launch
import org.waymark.Alert
import org.waymark.ContentStoreInterface
import org.waymark.CountryProfile
import org.waymark.GeoPoint
import org.waymark.NearbyRequest
import org.waymark.NearbyService
import org.waymark.Provenance
import org.waymark.Route
import org.waymark.SearchHit
import org.waymark.SearchRequest

/** Content older than this (days since the publisher verified it) is marked stale. */
public const val STALE_DAYS: Long = 180

/** True when the content should carry the stale mark. */
public val Provenance.stale: Boolean get() = ageDays > STALE_DAYS

/** What the search screen shows. */
public data class SearchState(
    val query: String = "",
    val hits: List<SearchHit> = emptyList(),
    /** Words the search corrected (typed → used). */
    val corrections: List<Pair<String, String>> = emptyList(),
    /** The query the hits are for (null: none finished yet). */
    val searchedFor: String? = null,
    /** No pack is installed: say where to get one. */
    val noPacks: Boolean = false,
    val notice: Notice? = null,
)

/**
 * Search as you type over the installed packs, in [language] first. Each
 * keystroke cancels the search before it; a short pause lets typing finish
 * on a slow phone.
 */
public class SearchPresenter(
    private val content: ContentStoreInterface,
    private val language: String,
    scope: CoroutineScope,
    private val pauseMs: Long = 120,
) : Presenter<SearchState>(SearchState(), scope) {
    private var job: Job? = null

    /** Checks whether any pack is installed. */
    public fun start() {
        scope.launch {
            try {
                val none = content.packs().isEmpty()
                update { it.copy(noPacks = none) }
            } catch (e: Exception) {
                update { it.copy(notice = failed(e)) }
            }
        }
    }

    /** The search field changed. */
    public fun query(text: String) {
        job?.cancel()
        update { it.copy(query = text) }
        if (text.isBlank()) return update { it.copy(hits = emptyList(), corrections = emptyList(), searchedFor = null) }
        job = scope.launch {
            delay(pauseMs)
            try {
                val results = content.search(SearchRequest(text = text, language = language, limit = 30))
                update {
                    it.copy(hits = results.hits, corrections = results.corrections.map { c -> c.typed to c.used }, searchedFor = text, notice = null)
                }
            } catch (e: Exception) {
                update { it.copy(notice = failed(e)) }
            }
        }
    }
}

/** What the information screens (country, nearby, routes, alerts) show. */
public data class InfoState(
    val countries: List<String> = emptyList(),
    val profiles: List<CountryProfile> = emptyList(),
    val nearby: List<NearbyService>? = null,
    val routes: List<Route>? = null,
    val alerts: List<Alert>? = null,
    val busy: Boolean = false,
    val notice: Notice? = null,
)

/** Country profiles, services nearby, routes and alerts in force. */
public class InfoPresenter(
    private val content: ContentStoreInterface,
    private val language: String,
    scope: CoroutineScope,
) : Presenter<InfoState>(InfoState(), scope) {

    /** The countries the installed content covers (from its alerts and routes), for the country picker. */
    public fun loadCountries() = work {
        // No call lists the profiles: every ISO 3166 code is asked once
        // (about 250 small local queries).
        val codes = java.util.Locale.getISOCountries().filter { code ->
            runCatching { content.country(code) }.getOrNull()?.isNotEmpty() == true
        }
        update { it.copy(countries = codes) }
    }

    /** A country's profiles. */
    public fun country(code: String) = work {
        val found = content.country(code)
        update { it.copy(profiles = found) }
    }

    /**
     * Services within [radiusKm] of [point], nearest first. The point is
     * used for this one query and kept nowhere.
     */
    public fun nearby(point: GeoPoint, radiusKm: Double = 10.0) = work {
        val found = content.nearby(NearbyRequest(point = point, radiusKm = radiusKm, category = null, openNow = false, speaks = null, freeOnly = false, language = language, limit = 30))
        update { it.copy(nearby = found) }
    }

    /** The location could not be read. */
    public fun noLocation() {
        update { it.copy(notice = said(Notice.What.NO_LOCATION)) }
    }

    /** Routes through a place whose name starts with [place]. */
    public fun routes(place: String) = work {
        val found = content.routes(place.trim())
        update { it.copy(routes = found) }
    }

    /** Alerts in force, most severe first. */
    public fun alerts() = work {
        val found = content.alerts(null, null)
        update { it.copy(alerts = found) }
    }

    private fun work(block: suspend () -> Unit) {
        update { it.copy(busy = true, notice = null) }
        scope.launch {
            try {
                block()
                update { it.copy(busy = false) }
            } catch (e: Exception) {
                update { it.copy(busy = false, notice = failed(e)) }
            }
        }
    }
}
