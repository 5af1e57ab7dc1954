package org.waymark.guard

/**
 * What may run on the UI thread (a thread named `main`, as Android names
 * it): only calls that cannot block.
 *
 * - A `suspend` API only starts a Rust future there; the work runs on the
 *   library's threads, and the coroutine resumes on its dispatcher.
 * - uniffi's plumbing: polling futures, buffers, reference counts, the
 *   checksums read once at load, callback registration.
 * - The documented cheap calls: `Vault.isUnlocked`, `Vault.lock`,
 *   `Vault.kdfParams`, `pickTranslation`, `parseTrustLink` (no I/O; `lock` and closing a
 *   handle wait only for a call still running on the same vault).
 *
 * Anything else on `main` is a violation: the app's UI thread would wait
 * for SQLite, the disk or a key derivation.
 */
object MainThreadGuard {
    const val UI_THREAD = "main"

    private const val PREFIX = "uniffi_waymark_ffi_"
    private const val FFI = "ffi_waymark_ffi_"

    /** Symbols (or prefixes ending in `_`) that never block. */
    val ALLOWED: Set<String> = setOf(
        // uniffi plumbing
        "${FFI}rust_future_",
        "${FFI}rustbuffer_",
        "${FFI}uniffi_contract_version",
        "${PREFIX}checksum_",
        "${PREFIX}fn_clone_",
        "${PREFIX}fn_free_",
        "${PREFIX}fn_init_callback_vtable_",
        // documented as cheap
        "${PREFIX}fn_method_vault_is_unlocked",
        "${PREFIX}fn_method_vault_lock",
        "${PREFIX}fn_method_vault_kdf_params",
        "${PREFIX}fn_func_pick_translation",
        "${PREFIX}fn_func_parse_trust_link",
    )

    /** True if [symbol] is in [allowed], exactly or under a prefix ending in `_`. */
    fun isAllowed(symbol: String, allowed: Set<String> = ALLOWED): Boolean =
        allowed.any { if (it.endsWith("_")) symbol.startsWith(it) else symbol == it }

    /** The calls among [calls] that blocked the UI thread. */
    fun violations(calls: List<FfiCall>, allowed: Set<String> = ALLOWED): List<FfiCall> =
        calls.filter { isUiThread(it.thread) && !it.startsFuture && !isAllowed(it.symbol, allowed) }

    /** `main`, also as kotlinx-coroutines' debug mode renames it (`main @coroutine#3`). */
    fun isUiThread(name: String): Boolean = name.substringBefore(" @coroutine#") == UI_THREAD

    /** The API names of [violations], e.g. `vault_list_documents`, sorted. */
    fun names(violations: List<FfiCall>): List<String> =
        violations.map { it.symbol.substringAfter("_fn_").substringAfter('_') }.distinct().sorted()
}
