package org.waymark

import java.util.concurrent.Executors
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.asCoroutineDispatcher
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withContext
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.waymark.guard.FfiCalls
import org.waymark.guard.MainThreadGuard
import org.waymark.ktx.WaymarkHome
import org.waymark.ktx.installPack
import org.waymark.ktx.platformKeystore
import org.waymark.ktx.search
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertNotEquals
import kotlin.test.assertTrue

/**
 * No Waymark call blocks the UI thread. The app's UI thread is a thread
 * named `main` here, as on Android; [FfiCalls] sees every call into the
 * native library (the test agent rewrites the bindings as they load) and
 * [MainThreadGuard] says which of them would block it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MainThreadGuardTest {
    private val uiExecutor = Executors.newSingleThreadExecutor { Thread(it, MainThreadGuard.UI_THREAD) }
    private val ui = uiExecutor.asCoroutineDispatcher()
    private val passphrase = "correct horse battery"

    @AfterAll
    fun stopUi() = uiExecutor.shutdown()

    /** [block] on the UI thread, and the calls it made that would block it. */
    private fun <T> onUi(allowed: Set<String> = MainThreadGuard.ALLOWED, block: suspend () -> T): Pair<T, List<String>> {
        val (result, calls) = FfiCalls.during { runBlocking(ui) { block() } }
        assertTrue(calls.isNotEmpty(), "the agent saw no native call")
        return result to MainThreadGuard.names(MainThreadGuard.violations(calls, allowed))
    }

    private fun unlockedVault(): Vault = runBlocking {
        createVault(tempDir("guard").path, passphrase, TEST_KDF).vault
    }

    @Test
    fun `a synchronous call on the UI thread is caught by name, and the same call elsewhere is not`() {
        unlockedVault().use { vault ->
            // lock() is allowed on the UI thread as cheap; without that
            // allowance it is what any other synchronous call is.
            val strict = MainThreadGuard.ALLOWED - "uniffi_waymark_ffi_fn_method_vault_lock"
            val (_, caught) = onUi(strict) { vault.lock() }
            assertEquals(listOf("vault_lock"), caught)

            val (_, allowed) = onUi { vault.lock() }
            assertEquals(emptyList(), allowed)

            val (_, offUi) = onUi(strict) { withContext(Dispatchers.IO) { vault.lock() } }
            assertEquals(emptyList(), offUi)
        }
    }

    @Test
    fun `a suspend call on the UI thread only starts its work there`() {
        val dir = tempDir("guard")
        val secret = ByteArray(32) { (it * 7).toByte() }
        var keystoreThread = ""
        val (_, blocked) = onUi {
            createVault(dir.path, passphrase, TEST_KDF).vault.use { vault ->
                vault.enableKeystoreUnlock(platformKeystore {
                    keystoreThread = Thread.currentThread().name
                    secret
                })
                vault.lock()
                vault.unlock(passphrase)
                vault.addDocument(DocumentMetadata(kind = DocumentKind.VISA, title = "Visa"), byteArrayOf(1, 2, 3))
            }
        }
        assertEquals(emptyList(), blocked)
        // The key derivation and the keystore ran on the library's threads.
        assertNotEquals("", keystoreThread)
        assertFalse(MainThreadGuard.isUiThread(keystoreThread), keystoreThread)
    }

    /**
     * The calls that still block the UI thread when an app makes them
     * there. Issue 15 makes them `suspend` (or documents them as cheap):
     * remove each from this list as it stops blocking; never add one.
     */
    private val stillBlocking = listOf(
        "contentstore_open",
        "contentstore_packs",
        "contentstore_search",
        "contentstore_trust_publisher",
        "vault_delete_document",
        "vault_document",
        "vault_exists",
        "vault_list_documents",
        "vault_open",
        "vault_settings",
    )

    @Test
    fun `an app's calls from the UI thread block it only where still listed`() {
        SamplePublisher.bundle // published before, outside the measured calls
        val (_, blocked) = onUi {
            WaymarkHome(tempDir("guard-home")).use { home ->
                if (!home.hasVault()) home.createVault(passphrase, TEST_KDF).vault.close()
                home.openVault().use { vault ->
                    vault.unlock(passphrase)
                    val id = vault.addDocument(DocumentMetadata(kind = DocumentKind.PASSPORT, title = "Passport"), ByteArray(1000))
                    vault.listDocuments()
                    vault.document(id)
                    vault.readDocument(id)
                    vault.settings()
                    vault.kdfParams()
                    vault.deleteDocument(id)
                    vault.lock()
                    vault.isUnlocked()
                }
                home.content.trustPublisher(SamplePublisher.card)
                val pack = home.content.installPack(SamplePublisher.bundle)
                home.content.packs()
                home.content.search("asylum")
                pickTranslation(pack.title, listOf("en"))
            }
        }
        assertEquals(stillBlocking, blocked, "calls that block the UI thread (this list only shrinks)")
    }
}
