package org.waymark.demo.core

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update

/**
 * A screen's logic: it holds the screen's state as a [StateFlow] and
 * changes it on events. Plain Kotlin: no `android.*`, so the presenter
 * tests run on the desktop JVM. An Activity renders [state] and forwards
 * the person's actions; it decides nothing.
 *
 * [scope] runs the presenter's work; on Android it is the Activity's
 * (`Dispatchers.Main`), cancelled when the Activity is destroyed, which
 * cancels any Waymark call in flight (a sync stops at its next chunk).
 */
public abstract class Presenter<S>(initial: S, protected val scope: CoroutineScope) {
    private val mutable = MutableStateFlow(initial)

    /** What the screen shows. */
    public val state: StateFlow<S> = mutable.asStateFlow()

    protected fun update(change: (S) -> S) {
        mutable.update(change)
    }

    protected val current: S get() = mutable.value
}
