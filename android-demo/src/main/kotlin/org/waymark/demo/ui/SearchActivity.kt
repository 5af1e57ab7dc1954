package org.waymark.demo.ui

import android.content.Intent
import android.text.SpannableString
import android.text.Spanned
import android.text.style.BackgroundColorSpan
import android.text.style.StyleSpan
import android.widget.LinearLayout
import org.waymark.Provenance
import org.waymark.SearchHit
import org.waymark.demo.core.SearchPresenter
import org.waymark.demo.core.SearchState
import org.waymark.demo.core.stale
import org.waymark.demo.i18n.Language
import org.waymark.demo.i18n.Texts

/**
 * Information: search as you type over the installed packs (matches
 * highlighted, the language of each hit shown, its provenance and a clear
 * SAMPLE or stale mark), and the doors to the country profile, help
 * nearby, routes and alerts. Public content: no unlock needed, screenshots
 * allowed (to share with others).
 */
public class SearchActivity : Screen() {
    override val secure: Boolean = false
    override val needsUnlock: Boolean = false
    private lateinit var presenter: SearchPresenter
    private lateinit var results: LinearLayout

    override fun build() {
        header(texts.information)
        val query = field(texts.searchHint, "search")
        content.add(query, 4)
        val doors = column()
        fun door(label: String, mode: String) {
            doors.add(button(label, tag = "info-$mode", filled = false) {
                startActivity(Intent(this, InfoActivity::class.java).putExtra(InfoActivity.EXTRA_MODE, mode))
            }, 8)
        }
        door(texts.countryProfile, InfoActivity.COUNTRY)
        door(texts.nearby, InfoActivity.NEARBY)
        door(texts.routes, InfoActivity.ROUTES)
        door(texts.alerts, InfoActivity.ALERTS)
        results = column().apply { tag = "results" }
        content.add(results, 12)
        content.add(doors, 12)
        withSession { session ->
            presenter = SearchPresenter(session.content, language.tag, scope)
            query.addTextChangedListener(watcher { presenter.query(it) })
            presenter.start()
            presenter.state.collect { render(it) }
        }
    }

    private fun render(state: SearchState) {
        results.removeAllViews()
        if (state.noPacks) results.add(text(texts.noInformation, color = Style.WARNING, bold = true, tag = "no-packs"))
        noticeView(state.notice)?.let { results.add(it) }
        if (state.query.isNotBlank() && state.searchedFor == state.query && state.hits.isEmpty() && !state.noPacks) {
            results.add(text(texts.noResults, color = Style.MUTED, tag = "no-results"))
        }
        for (hit in state.hits) results.add(hitView(hit))
    }

    private fun hitView(hit: SearchHit) = card(tag = "hit", onClick = {
        startActivity(
            Intent(this, EntryActivity::class.java)
                .putExtra(EntryActivity.EXTRA_TITLE, hit.title)
                .putExtra(EntryActivity.EXTRA_BODY, hit.snippet)
                .putExtra(EntryActivity.EXTRA_LANGUAGE, hit.language)
                .putExtra(EntryActivity.EXTRA_PROVENANCE, provenanceLine(texts, hit.provenance))
                .putExtra(EntryActivity.EXTRA_SAMPLE, hit.provenance.sample)
                .putExtra(EntryActivity.EXTRA_STALE, hit.provenance.stale),
        )
    }) {
        addView(text(hit.title, bold = true))
        addView(text(highlighted(hit), Style.BODY_SP - 1, tag = "snippet"))
        addView(appLine(texts.inLanguage(isolate(Language.displayName(hit.language))), Style.SMALL_SP, Style.MUTED))
        marks(this, hit.provenance, texts)
    }

    /** How a hit's snippet is shown. */
    public companion object {
        /** The snippet with its matches highlighted (offsets are UTF-16, as Waymark gives them). */
        internal fun highlighted(hit: SearchHit): CharSequence {
            val s = SpannableString(hit.snippet)
            for (h in hit.highlights) {
                val start = h.start.coerceIn(0, s.length)
                val end = h.end.coerceIn(start, s.length)
                if (end > start) {
                    s.setSpan(BackgroundColorSpan(Style.HIGHLIGHT), start, end, Spanned.SPAN_EXCLUSIVE_EXCLUSIVE)
                    s.setSpan(StyleSpan(android.graphics.Typeface.BOLD), start, end, Spanned.SPAN_EXCLUSIVE_EXCLUSIVE)
                }
            }
            return s
        }
    }
}

/** "publisher · v3 · verified 12 days ago". */
internal fun provenanceLine(texts: Texts, p: Provenance): String =
    texts.provenance(isolate(p.publisherName), p.packVersion, p.ageDays)

/**
 * [s] as a unit in a line of another direction (a Latin name in an Arabic
 * line, an Arabic name in a list of Latin ones): wrapped in a directional
 * isolate of its own first strong direction (RLI or LRI … PDI), so that the
 * punctuation around it stays the line's.
 */
internal fun isolate(s: String): String {
    val rtl = s.firstNotNullOfOrNull { c ->
        when (Character.getDirectionality(c)) {
            Character.DIRECTIONALITY_RIGHT_TO_LEFT, Character.DIRECTIONALITY_RIGHT_TO_LEFT_ARABIC -> true
            Character.DIRECTIONALITY_LEFT_TO_RIGHT -> false
            else -> null
        }
    } ?: false
    return (if (rtl) "\u2067" else "\u2066") + s + "\u2069"
}

/** [s] always left to right (a phone number, a distance): LRI … PDI. */
internal fun ltr(s: String): String = "\u2066$s\u2069"

/** The provenance line and the SAMPLE / stale marks, under an entry. */
internal fun Screen.marks(into: LinearLayout, p: Provenance, texts: Texts) {
    into.addView(appLine(provenanceLine(texts, p), Style.SMALL_SP, Style.MUTED, tag = "provenance"))
    if (p.sample) into.add(badge(texts.sample, Style.WARNING, tag = "sample"), 4)
    if (p.stale) into.add(badge(texts.stale, Style.DANGER, tag = "stale"), 4)
}
