package org.waymark.demo.ui

import android.graphics.Canvas
import android.graphics.ColorFilter
import android.graphics.Paint
import android.graphics.Path
import android.graphics.PixelFormat
import android.graphics.RectF
import android.graphics.drawable.Drawable
import org.waymark.DocumentKind

/**
 * A document kind's icon, drawn in code (no resources): a coloured disc
 * with a simple white figure (a globe for a passport, a house for a
 * residence permit, a cross for medical papers…), so the list reads
 * without words.
 */
internal class KindIcon(private val kind: DocumentKind) : Drawable() {
    private val disc = Paint(Paint.ANTI_ALIAS_FLAG).apply { color = colorOf(kind) }
    private val line = Paint(Paint.ANTI_ALIAS_FLAG).apply {
        color = 0xFFFFFFFF.toInt()
        style = Paint.Style.STROKE
        strokeCap = Paint.Cap.ROUND
        strokeJoin = Paint.Join.ROUND
    }

    override fun draw(canvas: Canvas) {
        val b = bounds
        val s = minOf(b.width(), b.height()).toFloat()
        val cx = b.exactCenterX()
        val cy = b.exactCenterY()
        canvas.drawCircle(cx, cy, s / 2, disc)
        line.strokeWidth = s * 0.06f
        val u = s * 0.22f // the figure's half size
        when (kind) {
            DocumentKind.PASSPORT -> {
                canvas.drawCircle(cx, cy, u, line)
                canvas.drawLine(cx - u, cy, cx + u, cy, line)
                canvas.drawOval(RectF(cx - u / 2, cy - u, cx + u / 2, cy + u), line)
            }
            DocumentKind.VISA -> {
                canvas.drawRect(cx - u, cy - u, cx + u, cy + u, line)
                canvas.drawPath(Path().apply { moveTo(cx - u / 2, cy); lineTo(cx - u / 8, cy + u / 2); lineTo(cx + u / 2, cy - u / 2) }, line)
            }
            DocumentKind.RESIDENCE_PERMIT -> canvas.drawPath(
                Path().apply {
                    moveTo(cx - u, cy); lineTo(cx, cy - u); lineTo(cx + u, cy)
                    moveTo(cx - u * 0.7f, cy - u * 0.2f); lineTo(cx - u * 0.7f, cy + u); lineTo(cx + u * 0.7f, cy + u); lineTo(cx + u * 0.7f, cy - u * 0.2f)
                },
                line,
            )
            DocumentKind.NATIONAL_ID -> {
                canvas.drawRoundRect(RectF(cx - u, cy - u * 0.7f, cx + u, cy + u * 0.7f), u * 0.2f, u * 0.2f, line)
                canvas.drawCircle(cx - u * 0.4f, cy, u * 0.25f, line)
                canvas.drawLine(cx + u * 0.1f, cy - u * 0.2f, cx + u * 0.7f, cy - u * 0.2f, line)
                canvas.drawLine(cx + u * 0.1f, cy + u * 0.2f, cx + u * 0.7f, cy + u * 0.2f, line)
            }
            DocumentKind.BIRTH_CERTIFICATE -> {
                canvas.drawCircle(cx, cy - u * 0.45f, u * 0.35f, line)
                canvas.drawPath(Path().apply { moveTo(cx - u * 0.7f, cy + u); quadTo(cx, cy - u * 0.2f, cx + u * 0.7f, cy + u) }, line)
            }
            DocumentKind.MARRIAGE_CERTIFICATE -> {
                canvas.drawCircle(cx - u * 0.35f, cy, u * 0.5f, line)
                canvas.drawCircle(cx + u * 0.35f, cy, u * 0.5f, line)
            }
            DocumentKind.MEDICAL -> {
                line.strokeWidth = s * 0.1f
                canvas.drawLine(cx, cy - u, cx, cy + u, line)
                canvas.drawLine(cx - u, cy, cx + u, cy, line)
            }
            DocumentKind.EDUCATION -> canvas.drawPath(
                Path().apply { moveTo(cx - u, cy - u * 0.2f); lineTo(cx, cy - u * 0.7f); lineTo(cx + u, cy - u * 0.2f); lineTo(cx, cy + u * 0.3f); close()
                    moveTo(cx - u * 0.6f, cy + u * 0.05f); lineTo(cx - u * 0.6f, cy + u * 0.6f); lineTo(cx + u * 0.6f, cy + u * 0.6f); lineTo(cx + u * 0.6f, cy + u * 0.05f) },
                line,
            )
            DocumentKind.TRAVEL_TICKET -> canvas.drawPath(
                Path().apply { moveTo(cx - u, cy); lineTo(cx + u, cy); moveTo(cx + u * 0.4f, cy - u * 0.6f); lineTo(cx + u, cy); lineTo(cx + u * 0.4f, cy + u * 0.6f) },
                line,
            )
            DocumentKind.OTHER -> {
                canvas.drawRect(cx - u * 0.75f, cy - u, cx + u * 0.75f, cy + u, line)
                canvas.drawLine(cx - u * 0.4f, cy - u * 0.3f, cx + u * 0.4f, cy - u * 0.3f, line)
                canvas.drawLine(cx - u * 0.4f, cy + u * 0.3f, cx + u * 0.4f, cy + u * 0.3f, line)
            }
        }
    }

    override fun setAlpha(alpha: Int) {
        disc.alpha = alpha
        line.alpha = alpha
    }

    override fun setColorFilter(colorFilter: ColorFilter?) {
        disc.colorFilter = colorFilter
    }

    @Deprecated("Deprecated in Java")
    override fun getOpacity(): Int = PixelFormat.TRANSLUCENT

    private companion object {
        fun colorOf(kind: DocumentKind): Int = when (kind) {
            DocumentKind.PASSPORT -> 0xFF1F4E79.toInt()
            DocumentKind.VISA -> 0xFF5B3A8C.toInt()
            DocumentKind.RESIDENCE_PERMIT -> 0xFF00574B.toInt()
            DocumentKind.NATIONAL_ID -> 0xFF7A4B00.toInt()
            DocumentKind.BIRTH_CERTIFICATE -> 0xFF9C2F5A.toInt()
            DocumentKind.MARRIAGE_CERTIFICATE -> 0xFFA0522D.toInt()
            DocumentKind.MEDICAL -> 0xFFB3261E.toInt()
            DocumentKind.EDUCATION -> 0xFF2E6B30.toInt()
            DocumentKind.TRAVEL_TICKET -> 0xFF005F8F.toInt()
            DocumentKind.OTHER -> 0xFF555555.toInt()
        }
    }
}
