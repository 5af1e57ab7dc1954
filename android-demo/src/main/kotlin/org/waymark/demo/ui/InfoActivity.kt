package org.waymark.demo.ui

import android.Manifest
import android.content.Intent
import android.content.pm.PackageManager
import android.net.Uri
import android.os.Build
import android.widget.LinearLayout
import java.util.Locale
import kotlinx.coroutines.launch
import org.waymark.Alert
import org.waymark.CountryProfile
import org.waymark.NearbyService
import org.waymark.Route
import org.waymark.Severity
import org.waymark.demo.core.InfoPresenter
import org.waymark.demo.core.InfoState
import org.waymark.demo.i18n.Language
import org.waymark.demo.platform.Graph
import org.waymark.ktx.inLanguage

/**
 * The information screens over the installed packs, one per mode: a
 * country's profile (emergency numbers dial with one tap), help nearby
 * (the location read once, on request, and never kept), routes through a
 * place, and the alerts in force by severity.
 */
public class InfoActivity : Screen() {
    override val secure: Boolean = false
    override val needsUnlock: Boolean = false
    private lateinit var presenter: InfoPresenter
    private lateinit var body: LinearLayout
    private lateinit var mode: String

    override fun build() {
        mode = intent.getStringExtra(EXTRA_MODE) ?: ALERTS
        header(
            when (mode) {
                COUNTRY -> texts.countryProfile
                NEARBY -> texts.nearby
                ROUTES -> texts.routes
                else -> texts.alerts
            },
        )
        val controls = column()
        content.add(controls, 0)
        body = column().apply { tag = "info-body" }
        content.add(body, 8)
        withSession { session ->
            presenter = InfoPresenter(session.content, language.tag, scope)
            when (mode) {
                COUNTRY -> presenter.loadCountries()
                NEARBY -> {
                    controls.add(text(texts.locationPromise, Style.SMALL_SP, Style.MUTED))
                    controls.add(button(texts.findNearby, tag = "find-nearby") { findNearby() })
                }
                ROUTES -> {
                    val place = field(texts.routePlace, "route-place")
                    controls.add(place)
                    controls.add(button(texts.routes, tag = "find-routes") { presenter.routes(place.value()) })
                }
                else -> presenter.alerts()
            }
            presenter.state.collect { render(it) }
        }
    }

    private fun findNearby() {
        val permission = Manifest.permission.ACCESS_COARSE_LOCATION
        if (Build.VERSION.SDK_INT >= 23 && checkSelfPermission(permission) != PackageManager.PERMISSION_GRANTED) {
            awaitingResult = true
            requestPermissions(arrayOf(permission), LOCATION)
            return
        }
        scope.launch {
            val point = Graph.location.once(this@InfoActivity)
            if (point == null) presenter.noLocation() else presenter.nearby(point)
        }
    }

    override fun onRequestPermissionsResult(requestCode: Int, permissions: Array<out String>, grantResults: IntArray) {
        super.onRequestPermissionsResult(requestCode, permissions, grantResults)
        if (requestCode != LOCATION) return
        if (grantResults.firstOrNull() == PackageManager.PERMISSION_GRANTED) findNearby() else presenter.noLocation()
    }

    private fun render(state: InfoState) {
        body.removeAllViews()
        if (state.busy) body.add(text(texts.working, color = Style.MUTED))
        noticeView(state.notice)?.let { body.add(it) }
        when (mode) {
            COUNTRY -> {
                if (state.profiles.isEmpty()) {
                    for (code in state.countries) {
                        body.add(button(countryName(code), tag = "country-$code", filled = false) { presenter.country(code) })
                    }
                }
                state.profiles.forEach { body.add(profile(it)) }
            }
            NEARBY -> state.nearby?.let { found ->
                if (found.isEmpty()) body.add(text(texts.noResults, color = Style.MUTED))
                found.forEach { body.add(service(it)) }
            }
            ROUTES -> state.routes?.let { found ->
                if (found.isEmpty()) body.add(text(texts.noResults, color = Style.MUTED))
                found.forEach { body.add(route(it)) }
            }
            else -> state.alerts?.let { found ->
                if (found.isEmpty()) body.add(text(texts.noAlerts, color = Style.MUTED, tag = "no-alerts"))
                found.forEach { body.add(alert(it)) }
            }
        }
    }

    private fun tr(map: Map<String, String>): String = map.inLanguage(language.tag, "en") ?: ""

    private fun countryName(code: String): String =
        Locale("", code).getDisplayCountry(Locale(language.tag)).takeIf { it.isNotBlank() && it != code }?.let { "$it ($code)" } ?: code

    private fun profile(c: CountryProfile) = card(tag = "profile-${c.code}") {
        addView(title(tr(c.name).ifEmpty { c.code }))
        marks(this, c.provenance, texts)
        add(text(texts.emergencyNumbers, bold = true), 12)
        for (e in c.emergency) {
            add(
                button("${texts.emergency(e.service)}: ${ltr(e.number)}", tag = "dial-${e.number}") {
                    // ACTION_DIAL: the dialler opens with the number; the person presses call.
                    startActivity(Intent(Intent.ACTION_DIAL, Uri.parse("tel:${e.number}")))
                },
            )
        }
        tr(c.asylum).takeIf { it.isNotBlank() }?.let { add(text(it), 12) }
        tr(c.rights).takeIf { it.isNotBlank() }?.let { add(text(it), 8) }
    }

    private fun service(n: NearbyService) = card(tag = "service") {
        addView(text(n.name, bold = true))
        val facts = mutableListOf(ltr(String.format(Locale.ROOT, "%.1f km", n.distanceKm)))
        when (n.openNow) {
            true -> facts += texts.openNow
            false -> facts += texts.closedNow
            null -> Unit
        }
        if (n.service.free == true) facts += texts.free
        addView(appLine(facts.joinToString(" · "), Style.SMALL_SP, if (n.openNow == true) Style.PRIMARY else Style.MUTED, bold = true))
        if (n.service.languages.isNotEmpty()) {
            // One language a line: each line takes its own direction (a
            // list mixing Arabic and Latin names on one line reorders).
            addView(text(texts.speaks("\n" + n.service.languages.joinToString("\n") { "• " + Language.displayName(it) }), Style.SMALL_SP, Style.MUTED))
        }
        n.service.address?.let { addView(text(it, Style.SMALL_SP)) }
        for (p in n.service.phones) {
            add(button(ltr(p.number), tag = "dial-${p.number}", filled = false) {
                startActivity(Intent(Intent.ACTION_DIAL, Uri.parse("tel:${p.number}")))
            }, 6)
        }
        marks(this, n.provenance, texts)
    }

    private fun route(r: Route) = card(tag = "route") {
        addView(text(tr(r.name), bold = true))
        for (s in r.segments) {
            val arrow = if (language.rtl) "←" else "→"
            add(text("${tr(s.from.name)} $arrow ${tr(s.to.name)}" + (s.mode?.let { " (${texts.mode(it)})" } ?: "")), 6)
            if (s.borderCrossing) addView(badge(texts.borderCrossing, Style.WARNING))
            tr(s.risks).takeIf { it.isNotBlank() }?.let { addView(text(it, Style.SMALL_SP, Style.DANGER)) }
            tr(s.notes).takeIf { it.isNotBlank() }?.let { addView(text(it, Style.SMALL_SP, Style.MUTED)) }
        }
        marks(this, r.provenance, texts)
    }

    private fun alert(a: Alert) = card(tag = "alert-${a.severity.name.lowercase()}") {
        val color = when (a.severity) {
            Severity.DANGER -> Style.DANGER
            Severity.WARNING -> Style.WARNING
            Severity.INFO -> Style.PRIMARY
        }
        addView(badge(texts.severity(a.severity), color))
        add(text(tr(a.title), bold = true), 6)
        addView(text(tr(a.body)))
        marks(this, a.provenance, texts)
    }

    /** Which information screen to show: [EXTRA_MODE] is one of the modes below. */
    public companion object {
        /** The intent extra naming the mode. */
        public const val EXTRA_MODE: String = "mode"

        /** A country's profile. */
        public const val COUNTRY: String = "country"

        /** Help nearby. */
        public const val NEARBY: String = "nearby"

        /** Routes through a place. */
        public const val ROUTES: String = "routes"

        /** Alerts in force (the default). */
        public const val ALERTS: String = "alerts"
        private const val LOCATION = 7
    }
}
