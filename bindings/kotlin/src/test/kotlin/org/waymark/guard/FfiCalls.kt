package org.waymark.guard

import java.util.concurrent.ConcurrentLinkedQueue

/** One call into the native library, as [FfiCallAgent] saw it. */
data class FfiCall(
    /** The C symbol, e.g. `uniffi_waymark_ffi_fn_method_vault_list_documents`. */
    val symbol: String,
    /** The name of the calling thread. */
    val thread: String,
    /** True if the caller is a `suspend` function that only starts a Rust future. */
    val startsFuture: Boolean,
)

/** Where [FfiCallAgent]'s inserted calls land. */
object FfiCalls {
    /** Set by [FfiCallAgent.premain]; a guard test without the agent would see nothing. */
    @Volatile
    @JvmStatic
    var agentInstalled: Boolean = false

    private val calls = ConcurrentLinkedQueue<FfiCall>()

    @Volatile
    private var recording = false

    /** Called before every native call by the rewritten bindings. */
    @JvmStatic
    fun record(symbol: String, startsFuture: Boolean) {
        if (recording) calls.add(FfiCall(symbol, Thread.currentThread().name, startsFuture))
    }

    /** Runs [block] and returns the native calls made meanwhile, on every thread. */
    @Synchronized
    fun <T> during(block: () -> T): Pair<T, List<FfiCall>> {
        check(agentInstalled) { "the ffi-guard agent is not installed (surefire's argLine -javaagent)" }
        calls.clear()
        recording = true
        try {
            val result = block()
            return result to calls.toList()
        } finally {
            recording = false
            calls.clear()
        }
    }
}
