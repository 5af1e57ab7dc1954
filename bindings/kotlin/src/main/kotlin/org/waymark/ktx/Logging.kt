package org.waymark.ktx

import org.waymark.LogLevel
import org.waymark.LogSink
import org.waymark.setLogSink

/**
 * Sends Waymark's log lines up to [maxLevel] to [sink] (on Android, for
 * example, `Log.println`), replacing any sink installed before. Off until
 * called. The lines say what happened (an unlock, a wrong passphrase, a
 * pack installed or refused, a sync's summary) and never carry a
 * passphrase, a document's title, a path, a URL or a publisher.
 *
 * [sink] is called on Waymark's threads, possibly several at once: keep it
 * quick and never call Waymark from it.
 *
 * ```
 * installLogSink(LogLevel.INFO) { level, target, message ->
 *     Log.println(if (level <= LogLevel.WARN) Log.WARN else Log.INFO, "Waymark", "$target: $message")
 * }
 * ```
 */
public fun installLogSink(maxLevel: LogLevel = LogLevel.INFO, sink: (level: LogLevel, target: String, message: String) -> Unit) {
    setLogSink(
        object : LogSink {
            override fun log(level: LogLevel, target: String, message: String) = sink(level, target, message)
        },
        maxLevel,
    )
}

/** Stops sending log lines (the default). Once it returns, the sink is not called again. */
public fun removeLogSink() {
    setLogSink(null, LogLevel.INFO)
}
