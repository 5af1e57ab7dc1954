package org.waymark.demo.ui

import android.app.Activity
import android.content.ContentProvider
import android.content.ContentValues
import android.content.Intent
import android.database.Cursor
import android.database.MatrixCursor
import android.net.Uri
import android.os.ParcelFileDescriptor
import android.provider.OpenableColumns
import java.io.File
import java.time.LocalDate
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertTrue
import kotlinx.coroutines.runBlocking
import org.junit.Test
import org.robolectric.Robolectric
import org.robolectric.Shadows.shadowOf
import org.waymark.DocumentKind
import org.waymark.DocumentMetadata
import org.waymark.demo.support.containsBytes

/** A file picker's provider: serves one scan (known bytes) as content://picker/scan.jpg. */
class PickerProvider : ContentProvider() {
    override fun onCreate() = true
    override fun openFile(uri: Uri, mode: String): ParcelFileDescriptor {
        val f = File.createTempFile("outside-the-app", ".jpg")
        f.writeBytes(SCAN)
        return ParcelFileDescriptor.open(f, ParcelFileDescriptor.MODE_READ_ONLY)
    }
    override fun query(uri: Uri, p: Array<out String>?, s: String?, a: Array<out String>?, o: String?): Cursor =
        MatrixCursor(arrayOf(OpenableColumns.DISPLAY_NAME)).apply { addRow(arrayOf("scan.jpg")) }
    override fun getType(uri: Uri) = "image/jpeg"
    override fun insert(uri: Uri, values: ContentValues?): Uri? = null
    override fun delete(uri: Uri, s: String?, a: Array<out String>?) = 0
    override fun update(uri: Uri, v: ContentValues?, s: String?, a: Array<out String>?) = 0

    companion object {
        /** Plaintext no file of the app may contain once the scan is in the vault. */
        val MARKER = "PLAINTEXT-MARKER-7f3a9c".toByteArray()
        val SCAN: ByteArray = ByteArray(200_000) { (it % 251).toByte() }.also { MARKER.copyInto(it, 1000) }
    }
}

class DocumentsTest : ScreenTest() {

    @Test
    fun a_document_from_a_content_uri_is_streamed_in_with_no_plaintext_left_in_files_or_cache() {
        language("en")
        vaultWith("a long passphrase")
        Robolectric.setupContentProvider(PickerProvider::class.java, "picker")
        val docs = launch<DocumentsActivity>()
        assertTrue(docs.isSecure())
        waitFor("the empty list") { docs.has("empty") }
        docs.click("choose-file")
        val pick = shadowOf(docs).nextStartedActivityForResult
        assertEquals(Intent.ACTION_OPEN_DOCUMENT, pick.intent.action)
        shadowOf(docs).receiveResult(pick.intent, Activity.RESULT_OK, Intent().setData(Uri.parse("content://picker/scan.jpg")))
        waitFor("the new row") { docs.allText().contains("scan") && docs.allText().contains("Document added.") }
        val stored = runBlocking { session().vault!!.listDocuments() }.single()
        assertEquals("image/jpeg", stored.metadata.mimeType)
        assertEquals(PickerProvider.SCAN.size.toLong(), stored.size)
        for (dir in listOf(app.filesDir, app.cacheDir, app.noBackupFilesDir, File(app.applicationInfo.dataDir))) {
            assertFalse(containsBytes(dir, PickerProvider.MARKER), "plaintext in $dir")
        }
    }

    @Test
    fun a_cancelled_picker_adds_nothing_and_says_so() {
        language("en")
        vaultWith("a long passphrase")
        val docs = launch<DocumentsActivity>()
        waitFor("the empty list") { docs.has("empty") }
        docs.click("choose-file")
        val pick = shadowOf(docs).nextStartedActivityForResult
        shadowOf(docs).receiveResult(pick.intent, Activity.RESULT_CANCELED, null)
        waitFor("the message") { docs.allText().contains("Nothing was added.") }
        assertTrue(runBlocking { session().vault!!.listDocuments() }.isEmpty())
    }

    @Test
    fun expiry_badges_mark_expired_and_soon_to_expire_documents_in_arabic() {
        language("ar")
        val s = vaultWith("a long passphrase")
        val today = LocalDate.now()
        runBlocking {
            val v = s.vault!!
            v.addDocument(DocumentMetadata(kind = DocumentKind.PASSPORT, title = "old", expiresOn = today.minusDays(3).toString()), byteArrayOf(1))
            v.addDocument(DocumentMetadata(kind = DocumentKind.VISA, title = "soon", expiresOn = today.plusDays(30).toString()), byteArrayOf(2))
            v.addDocument(DocumentMetadata(kind = DocumentKind.NATIONAL_ID, title = "later", expiresOn = today.plusDays(400).toString()), byteArrayOf(3))
        }
        val docs = launch<DocumentsActivity>()
        waitFor("the list") { docs.allText().contains("later") }
        val text = docs.allText()
        assertTrue(text.contains("منتهية"), text)
        assertTrue(text.contains("تنتهي بعد 30 يومًا"), text)
        assertEquals(1, count(docs, "badge-expired"))
        assertEquals(1, count(docs, "badge-soon"))
        assertEquals(android.view.View.LAYOUT_DIRECTION_RTL, docs.view("documents")!!.layoutDirection)
    }

    @Test
    fun a_locked_vault_sends_the_documents_screen_to_unlock() {
        language("en")
        vaultWith("a long passphrase").lock()
        val docs = launch<DocumentsActivity>()
        assertEquals(UnlockActivity::class.java.name, nextStarted()?.component?.className)
        assertTrue(docs.isFinishing)
    }

    private fun count(a: Activity, tag: String): Int {
        var n = 0
        fun walk(v: android.view.View) {
            if (v.tag == tag) n++
            if (v is android.view.ViewGroup) for (i in 0 until v.childCount) walk(v.getChildAt(i))
        }
        walk(a.window.decorView)
        return n
    }
}

class AutoLockTest : ScreenTest() {
    @Test
    fun a_vault_that_locks_itself_takes_the_documents_screen_away() {
        language("en")
        val s = vaultWith("a long passphrase")
        val docs = launch<DocumentsActivity>()
        waitFor("the list") { docs.has("empty") }
        s.lock() // as the auto-lock timer does
        waitFor("the unlock screen") { docs.isFinishing }
        assertEquals(UnlockActivity::class.java.name, nextStarted()?.component?.className)
    }
}
