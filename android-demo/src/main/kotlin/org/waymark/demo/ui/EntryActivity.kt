package org.waymark.demo.ui

import android.speech.tts.TextToSpeech
import java.util.Locale
import org.waymark.demo.i18n.Language

/**
 * An entry's page, with read aloud through the platform's TextToSpeech in
 * the entry's language when the phone has a voice for it (and a plain
 * message when it has none). The text is what search returned for the
 * entry (the bindings have no call yet that returns an article's full
 * body: README).
 */
public class EntryActivity : Screen() {
    override val secure: Boolean = false
    override val needsUnlock: Boolean = false
    private var tts: TextToSpeech? = null
    private var ready = false

    override fun build() {
        val title = intent.getStringExtra(EXTRA_TITLE) ?: ""
        val body = intent.getStringExtra(EXTRA_BODY) ?: ""
        val lang = intent.getStringExtra(EXTRA_LANGUAGE) ?: language.tag
        header(texts.information)
        content.add(title(title, tag = "entry-title"))
        content.add(appLine(texts.inLanguage(isolate(Language.displayName(lang))), Style.SMALL_SP, Style.MUTED), 4)
        content.add(appLine(intent.getStringExtra(EXTRA_PROVENANCE) ?: "", Style.SMALL_SP, Style.MUTED, tag = "provenance"), 4)
        if (intent.getBooleanExtra(EXTRA_SAMPLE, false)) content.add(badge(texts.sample, Style.WARNING, tag = "sample"), 4)
        if (intent.getBooleanExtra(EXTRA_STALE, false)) content.add(badge(texts.stale, Style.DANGER, tag = "stale"), 4)
        content.add(text(body, tag = "entry-body").apply { textDirection = android.view.View.TEXT_DIRECTION_FIRST_STRONG }, 12)
        val status = text("", color = Style.WARNING, tag = "voice-status")
        content.add(
            button(texts.readAloud, tag = "read-aloud") {
                val engine = tts
                val locale = Locale(lang)
                if (engine == null || !ready || engine.isLanguageAvailable(locale) < TextToSpeech.LANG_AVAILABLE) {
                    status.text = texts.noVoice
                } else {
                    status.text = ""
                    engine.language = locale
                    engine.speak("$title. $body", TextToSpeech.QUEUE_FLUSH, null, "entry")
                }
            },
            16,
        )
        content.add(button(texts.stopReading, tag = "stop-reading", filled = false) { tts?.stop() })
        content.add(status)
        tts = TextToSpeech(this) { ready = it == TextToSpeech.SUCCESS }
    }

    override fun onDestroy() {
        tts?.shutdown()
        super.onDestroy()
    }

    /** The intent extras that carry the entry (from a search hit). */
    public companion object {
        /** The entry's title. */
        public const val EXTRA_TITLE: String = "title"

        /** Its text. */
        public const val EXTRA_BODY: String = "body"

        /** The BCP 47 language of the text (for the voice). */
        public const val EXTRA_LANGUAGE: String = "language"

        /** The provenance line, already worded. */
        public const val EXTRA_PROVENANCE: String = "provenance"

        /** True for sample content (the SAMPLE mark). */
        public const val EXTRA_SAMPLE: String = "sample"

        /** True for content not verified for a long time (the stale mark). */
        public const val EXTRA_STALE: String = "stale"
    }
}
