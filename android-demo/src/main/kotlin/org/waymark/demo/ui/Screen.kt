package org.waymark.demo.ui

import android.app.Activity
import android.app.AlertDialog
import android.content.Intent
import android.os.Bundle
import android.view.Gravity
import android.view.View
import android.view.ViewGroup
import android.view.WindowManager
import android.widget.LinearLayout
import android.widget.ScrollView
import android.widget.TextView
import android.widget.Toast
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.MainScope
import kotlinx.coroutines.cancel
import kotlinx.coroutines.launch
import org.waymark.ktx.lockStates
import org.waymark.demo.core.Failure
import org.waymark.demo.core.Notice
import org.waymark.demo.core.Session
import org.waymark.demo.i18n.Language
import org.waymark.demo.i18n.Texts
import org.waymark.demo.platform.Graph

/**
 * What every screen shares: the person's language (and its direction:
 * ar and fa mirror the whole screen), a header with a back button, a
 * scrolling column for the content (nothing is cut at large font sizes),
 * FLAG_SECURE on vault screens (no screenshots, blank in the recents
 * list), and the lock rules: a vault screen needs the vault unlocked and
 * the vault locks when the app leaves the screen (if the person chose so).
 */
public abstract class Screen : Activity() {
    /** True for screens that show or change the vault. */
    protected open val secure: Boolean = true

    /** True for screens that need the vault unlocked. */
    protected open val needsUnlock: Boolean = true

    protected lateinit var language: Language
    protected val texts: Texts get() = language.texts
    protected val scope: CoroutineScope = MainScope()

    /** The screen's content column, below the header. */
    protected lateinit var content: LinearLayout
    private lateinit var header: LinearLayout

    /** Set while a picker, the camera or a share sheet is in front: leaving for it does not lock. */
    protected var awaitingResult: Boolean = false

    override fun onCreate(savedInstanceState: Bundle?) {
        setTheme(android.R.style.Theme_Material_Light_NoActionBar)
        super.onCreate(savedInstanceState)
        language = Language.forTag(Graph.settings(this).language) ?: Language.ENGLISH
        if (secure) window.setFlags(WindowManager.LayoutParams.FLAG_SECURE, WindowManager.LayoutParams.FLAG_SECURE)
        val root = column().apply {
            layoutParams = ViewGroup.LayoutParams(ViewGroup.LayoutParams.MATCH_PARENT, ViewGroup.LayoutParams.MATCH_PARENT)
            setBackgroundColor(Style.BACKGROUND)
            layoutDirection = if (language.rtl) View.LAYOUT_DIRECTION_RTL else View.LAYOUT_DIRECTION_LTR
        }
        header = row().apply {
            setBackgroundColor(Style.PRIMARY)
            minimumHeight = dp(Style.TOUCH_DP)
            setPadding(dp(4), dp(4), dp(12), dp(4))
        }
        root.addView(header)
        content = column().apply {
            val pad = dp(16)
            setPadding(pad, dp(8), pad, dp(24))
            tag = "content"
        }
        val scroll = ScrollView(this).apply {
            isFillViewport = true
            addView(content)
        }
        root.addView(scroll, LinearLayout.LayoutParams(ViewGroup.LayoutParams.MATCH_PARENT, 0, 1f))
        setContentView(root)
        build()
    }

    /** Builds the screen (called once from onCreate). */
    protected abstract fun build()

    /** Sets the header: [title], and a back arrow unless [back] is false. */
    protected fun header(title: String, back: Boolean = true) {
        header.removeAllViews()
        if (back) {
            // A plain arrow, mirrored for right-to-left.
            header.addView(
                TextView(this).apply {
                    text = if (language.rtl) "→" else "←"
                    textSize = 26f
                    setTextColor(android.graphics.Color.WHITE)
                    gravity = Gravity.CENTER
                    contentDescription = texts.back
                    tag = "back"
                    setOnClickListener { finish() }
                },
                LinearLayout.LayoutParams(dp(Style.TOUCH_DP), dp(Style.TOUCH_DP)),
            )
        } else {
            header.addView(View(this), LinearLayout.LayoutParams(dp(12), 1))
        }
        header.addView(
            text(title, Style.TITLE_SP - 2, android.graphics.Color.WHITE, bold = true, tag = "title"),
            LinearLayout.LayoutParams(0, ViewGroup.LayoutParams.WRAP_CONTENT, 1f),
        )
    }

    override fun onStart() {
        super.onStart()
        started++
        awaitingResult = false
        if (needsUnlock) {
            val session = Graph.sessionOrNull()
            if (session == null || !session.isUnlocked) {
                toUnlock()
                return
            }
            // Auto-lock (or a lock from elsewhere) while this screen shows:
            // the screen goes, the unlock screen comes.
            val vault = session.vault as? org.waymark.Vault ?: return
            lockWatch?.cancel()
            lockWatch = scope.launch {
                vault.lockStates().collect { if (it is org.waymark.LockState.Locked) toUnlock() }
            }
        }
    }

    private var lockWatch: kotlinx.coroutines.Job? = null

    private fun toUnlock() {
        if (isFinishing) return
        startActivity(Intent(this, UnlockActivity::class.java))
        finish()
    }

    override fun onStop() {
        super.onStop()
        lockWatch?.cancel()
        started--
        // The app left the screen (not a rotation, not a picker we opened).
        if (started == 0 && !isChangingConfigurations && !awaitingResult && Graph.settings(this).lockOnLeave) {
            Graph.sessionOrNull()?.lock()
        }
    }

    override fun onDestroy() {
        scope.cancel()
        super.onDestroy()
    }

    /**
     * A line the app composes in the person's language around other text
     * (a publisher's name, a number): its direction is the language's, not
     * that of its first letter.
     */
    internal fun appLine(value: CharSequence, sp: Float = Style.BODY_SP, color: Int = Style.TEXT, bold: Boolean = false, tag: String? = null): TextView =
        text(value, sp, color, bold, tag).apply {
            textDirection = if (language.rtl) View.TEXT_DIRECTION_RTL else View.TEXT_DIRECTION_LTR
        }

    /** Runs [block] with the session. */
    protected fun withSession(block: suspend (Session) -> Unit) {
        scope.launch { block(Graph.session(this@Screen)) }
    }

    /** The words for [notice]. */
    protected fun words(notice: Notice): String = when (notice) {
        is Notice.Failed -> when (notice.error) {
            Failure.REFUSED -> texts.errorRefused
            Failure.NOT_FOUND -> texts.errorNotFound
            Failure.STORAGE_FULL -> texts.errorStorageFull
            Failure.NETWORK -> texts.errorNetwork
            Failure.LOCKED -> texts.unlockTitle
            Failure.GENERIC -> texts.errorGeneric
        }
        is Notice.Said -> when (notice.what) {
            Notice.What.ADDED -> texts.added
            Notice.What.NOTHING_ADDED -> texts.nothingAdded
            Notice.What.SAVED -> texts.saved
            Notice.What.COPY_SAVED -> texts.copySaved
            Notice.What.DATE_INVALID -> texts.dateInvalid
            Notice.What.PASSPHRASES_DIFFER -> texts.passphrasesDiffer
            Notice.What.TOO_SHORT -> texts.strengthTooShort
            Notice.What.RECOVERY_MISMATCH -> texts.recoveryMismatch
            Notice.What.RECOVERY_INVALID -> texts.recoveryInvalid
            Notice.What.ERASED -> texts.erased
            Notice.What.DURESS_SET -> texts.duressSet
            Notice.What.NO_LOCATION -> texts.noLocation
            Notice.What.CANNOT_SHOW -> texts.cannotShow
            Notice.What.INSTALL_FAILED -> texts.installFailed
            Notice.What.STOPPED -> texts.stopped
            Notice.What.UP_TO_DATE -> texts.upToDate
        }
    }

    /** A notice line (red for failures), or nothing. */
    protected fun noticeView(notice: Notice?): View? = notice?.let {
        appLine(words(it), color = if (it is Notice.Failed || it == org.waymark.demo.core.said(Notice.What.RECOVERY_MISMATCH)) Style.DANGER else Style.PRIMARY, bold = true, tag = "notice")
    }

    /** A one-line confirmation. */
    protected fun toast(message: String) {
        Toast.makeText(this, message, Toast.LENGTH_SHORT).show()
    }

    /** Asks once before something that cannot be undone. */
    protected fun confirm(title: String, body: String, yes: String, onYes: () -> Unit) {
        val dialog = AlertDialog.Builder(this)
            .setTitle(title)
            .setMessage(body)
            .setPositiveButton(yes) { _, _ -> onYes() }
            .setNegativeButton(texts.cancel, null)
            .show()
        // The dialog's own window follows the language's direction too.
        dialog.window?.decorView?.layoutDirection = if (language.rtl) View.LAYOUT_DIRECTION_RTL else View.LAYOUT_DIRECTION_LTR
        if (secure) dialog.window?.setFlags(WindowManager.LayoutParams.FLAG_SECURE, WindowManager.LayoutParams.FLAG_SECURE)
    }

    private companion object {
        /** Started Activities of the app: 0 when it left the screen. */
        var started = 0
    }
}
