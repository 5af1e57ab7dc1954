package org.waymark.demo.ui

import android.content.Context
import android.graphics.Color
import android.graphics.Typeface
import android.graphics.drawable.GradientDrawable
import android.text.InputType
import android.util.TypedValue
import android.view.Gravity
import android.view.View
import android.view.ViewGroup
import android.widget.Button
import android.widget.EditText
import android.widget.LinearLayout
import android.widget.TextView

/**
 * The app's look, in code (no XML resources): large text, touch targets of
 * at least 56 dp, high contrast, everything wrapping rather than cut, and
 * START/END gravity so that right-to-left languages mirror.
 */
internal object Style {
    const val PRIMARY = 0xFF00574B.toInt()
    const val DANGER = 0xFFB3261E.toInt()
    const val WARNING = 0xFF8A5300.toInt()
    const val TEXT = 0xFF1B1B1B.toInt()
    const val MUTED = 0xFF4A4A4A.toInt()
    const val BACKGROUND = 0xFFF7F7F4.toInt()
    const val CARD = 0xFFFFFFFF.toInt()
    const val LINE = 0xFFD0D0C8.toInt()
    const val HIGHLIGHT = 0xFFFFE08A.toInt()

    const val TITLE_SP = 24f
    const val BODY_SP = 18f
    const val SMALL_SP = 15f
    const val TOUCH_DP = 56
}

internal fun Context.dp(value: Int): Int =
    TypedValue.applyDimension(TypedValue.COMPLEX_UNIT_DIP, value.toFloat(), resources.displayMetrics).toInt()

internal fun rounded(color: Int, radius: Float, stroke: Int = 0, strokeWidth: Int = 0): GradientDrawable =
    GradientDrawable().apply {
        setColor(color)
        cornerRadius = radius
        if (strokeWidth > 0) setStroke(strokeWidth, stroke)
    }

internal fun Context.column(): LinearLayout = LinearLayout(this).apply {
    orientation = LinearLayout.VERTICAL
    layoutParams = LinearLayout.LayoutParams(ViewGroup.LayoutParams.MATCH_PARENT, ViewGroup.LayoutParams.WRAP_CONTENT)
}

internal fun Context.row(): LinearLayout = LinearLayout(this).apply {
    orientation = LinearLayout.HORIZONTAL
    gravity = Gravity.CENTER_VERTICAL
    layoutParams = LinearLayout.LayoutParams(ViewGroup.LayoutParams.MATCH_PARENT, ViewGroup.LayoutParams.WRAP_CONTENT)
}

internal fun LinearLayout.add(view: View, topDp: Int = 8): View {
    val lp = (view.layoutParams as? LinearLayout.LayoutParams)
        ?: LinearLayout.LayoutParams(ViewGroup.LayoutParams.MATCH_PARENT, ViewGroup.LayoutParams.WRAP_CONTENT)
    lp.topMargin = context.dp(topDp)
    addView(view, lp)
    return view
}

internal fun Context.text(value: CharSequence, sp: Float = Style.BODY_SP, color: Int = Style.TEXT, bold: Boolean = false, tag: String? = null): TextView =
    TextView(this).apply {
        text = value
        setTextSize(TypedValue.COMPLEX_UNIT_SP, sp)
        setTextColor(color)
        textAlignment = View.TEXT_ALIGNMENT_VIEW_START
        if (bold) typeface = Typeface.DEFAULT_BOLD
        setLineSpacing(0f, 1.15f)
        this.tag = tag
    }

internal fun Context.title(value: CharSequence, tag: String? = null): TextView =
    text(value, Style.TITLE_SP, Style.TEXT, bold = true, tag = tag)

internal fun Context.button(label: CharSequence, tag: String? = null, color: Int = Style.PRIMARY, filled: Boolean = true, onClick: () -> Unit): Button =
    Button(this).apply {
        text = label
        isAllCaps = false
        setTextSize(TypedValue.COMPLEX_UNIT_SP, Style.BODY_SP)
        minHeight = dp(Style.TOUCH_DP)
        minimumHeight = dp(Style.TOUCH_DP)
        val pad = dp(12)
        setPadding(pad, pad / 2, pad, pad / 2)
        stateListAnimator = null
        if (filled) {
            setTextColor(Color.WHITE)
            background = rounded(color, dp(10).toFloat())
        } else {
            setTextColor(color)
            background = rounded(Style.CARD, dp(10).toFloat(), color, dp(2))
        }
        this.tag = tag
        setOnClickListener { onClick() }
    }

internal fun Context.field(hint: CharSequence, tag: String, secret: Boolean = false, singleLine: Boolean = true): EditText =
    EditText(this).apply {
        this.hint = hint
        this.tag = tag
        setTextSize(TypedValue.COMPLEX_UNIT_SP, Style.BODY_SP)
        setTextColor(Style.TEXT)
        setHintTextColor(Style.MUTED)
        minHeight = dp(Style.TOUCH_DP)
        textAlignment = View.TEXT_ALIGNMENT_VIEW_START
        isSingleLine = singleLine
        inputType = if (secret) {
            InputType.TYPE_CLASS_TEXT or InputType.TYPE_TEXT_VARIATION_PASSWORD
        } else {
            InputType.TYPE_CLASS_TEXT or (if (singleLine) 0 else InputType.TYPE_TEXT_FLAG_MULTI_LINE)
        }
        // Password fields default to monospace: keep the hint readable.
        typeface = Typeface.DEFAULT
        // Never learn what is typed into a vault field.
        imeOptions = imeOptions or android.view.inputmethod.EditorInfo.IME_FLAG_NO_PERSONALIZED_LEARNING
    }

/** A bordered card holding [content]. */
internal fun Context.card(tag: String? = null, onClick: (() -> Unit)? = null, build: LinearLayout.() -> Unit): LinearLayout =
    column().apply {
        background = rounded(Style.CARD, dp(12).toFloat(), Style.LINE, dp(1))
        val pad = dp(14)
        setPadding(pad, pad, pad, pad)
        this.tag = tag
        if (onClick != null) {
            isClickable = true
            minimumHeight = dp(Style.TOUCH_DP)
            setOnClickListener { onClick() }
        }
        build()
    }

/** A small coloured label (expiry, SAMPLE, severity). */
internal fun Context.badge(label: CharSequence, color: Int, tag: String? = null): TextView =
    text(label, Style.SMALL_SP, Color.WHITE, bold = true, tag = tag).apply {
        background = rounded(color, dp(6).toFloat())
        val h = dp(8)
        setPadding(h, dp(3), h, dp(3))
        layoutParams = LinearLayout.LayoutParams(ViewGroup.LayoutParams.WRAP_CONTENT, ViewGroup.LayoutParams.WRAP_CONTENT)
    }
