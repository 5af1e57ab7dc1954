package org.waymark.demo.platform

import android.content.ContentProvider
import android.content.ContentValues
import android.content.Context
import android.database.Cursor
import android.net.Uri
import android.os.ParcelFileDescriptor
import java.io.File
import java.io.FileInputStream
import java.io.RandomAccessFile

/**
 * Where the camera writes a photo (`ACTION_IMAGE_CAPTURE` needs a URI it
 * can write to): one file in `noBackupFilesDir/capture/`, never in the
 * cache or shared storage. The app streams it into the vault at once and
 * then overwrites and deletes it ([ReadOnce]); a cancelled capture deletes
 * it too. This short-lived plaintext file is the camera intent's price;
 * a camera inside the app would avoid it.
 */
public class CaptureProvider : ContentProvider() {
    override fun onCreate(): Boolean = true

    override fun openFile(uri: Uri, mode: String): ParcelFileDescriptor {
        val file = file(context ?: throw IllegalStateException("no context"))
        file.parentFile?.mkdirs()
        return ParcelFileDescriptor.open(file, ParcelFileDescriptor.parseMode(mode))
    }

    override fun query(uri: Uri, projection: Array<out String>?, selection: String?, selectionArgs: Array<out String>?, sortOrder: String?): Cursor? = null
    override fun getType(uri: Uri): String = "image/jpeg"
    override fun insert(uri: Uri, values: ContentValues?): Uri? = null
    override fun delete(uri: Uri, selection: String?, selectionArgs: Array<out String>?): Int = 0
    override fun update(uri: Uri, values: ContentValues?, selection: String?, selectionArgs: Array<out String>?): Int = 0

    /** Reads the capture once; closing it wipes the file. */
    public class ReadOnce(private val file: File) : FileInputStream(file) {
        override fun close() {
            super.close()
            wipe(file)
        }
    }

    public companion object {
        private fun file(context: Context): File = File(context.noBackupFilesDir, "capture/photo.jpg")

        /** The URI to hand the camera (the previous capture, if any, is wiped first). */
        public fun newCapture(context: Context): Uri {
            wipe(file(context))
            return Uri.parse("content://${context.packageName}.capture/photo.jpg")
        }

        /** The captured file, or null if the camera wrote nothing. */
        public fun captured(context: Context): File? = file(context).takeIf { it.length() > 0 }

        /** Deletes a capture that will not be used. */
        public fun discard(context: Context) {
            wipe(file(context))
        }

        /** Overwrites [file] with zeros, then deletes it. */
        internal fun wipe(file: File) {
            if (!file.exists()) return
            runCatching {
                RandomAccessFile(file, "rw").use { raf ->
                    val zeros = ByteArray(64 * 1024)
                    var left = raf.length()
                    while (left > 0) {
                        val n = minOf(left, zeros.size.toLong()).toInt()
                        raf.write(zeros, 0, n)
                        left -= n
                    }
                    raf.fd.sync()
                }
            }
            file.delete()
        }
    }
}
