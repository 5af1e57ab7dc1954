package org.waymark.demo.platform

import android.content.ContentProvider
import android.content.ContentValues
import android.content.Context
import android.database.Cursor
import android.database.MatrixCursor
import android.net.Uri
import android.os.ParcelFileDescriptor
import android.provider.OpenableColumns
import java.io.File
import java.io.FileNotFoundException

/**
 * Serves packs written for sharing (`.wmbundle` files in `cacheDir/share/`: public,
 * signed content) to the app the person shares them with, read-only.
 */
public class ShareProvider : ContentProvider() {
    override fun onCreate(): Boolean = true

    private fun fileOf(uri: Uri): File {
        val context = context ?: throw FileNotFoundException()
        val name = uri.lastPathSegment?.takeIf { it.matches(Regex("[A-Za-z0-9._-]+\\.wmbundle")) } ?: throw FileNotFoundException()
        return File(dir(context), name).takeIf { it.isFile } ?: throw FileNotFoundException()
    }

    override fun openFile(uri: Uri, mode: String): ParcelFileDescriptor =
        ParcelFileDescriptor.open(fileOf(uri), ParcelFileDescriptor.MODE_READ_ONLY)

    override fun query(uri: Uri, projection: Array<out String>?, selection: String?, selectionArgs: Array<out String>?, sortOrder: String?): Cursor {
        val file = fileOf(uri)
        return MatrixCursor(arrayOf(OpenableColumns.DISPLAY_NAME, OpenableColumns.SIZE)).apply { addRow(arrayOf<Any>(file.name, file.length())) }
    }

    override fun getType(uri: Uri): String = "application/octet-stream"
    override fun insert(uri: Uri, values: ContentValues?): Uri? = null
    override fun delete(uri: Uri, selection: String?, selectionArgs: Array<out String>?): Int = 0
    override fun update(uri: Uri, values: ContentValues?, selection: String?, selectionArgs: Array<out String>?): Int = 0

    public companion object {
        private fun dir(context: Context) = File(context.cacheDir, "share").apply { mkdirs() }

        /** Where to write a pack to share. */
        public fun file(context: Context, name: String): File = File(dir(context), name).also { it.delete() }

        /** The URI another app reads [file] by. */
        public fun uri(context: Context, file: File): Uri = Uri.parse("content://${context.packageName}.share/${file.name}")
    }
}
