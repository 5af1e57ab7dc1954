package org.waymark.ktx

import java.io.File
import org.waymark.DocumentInfo
import org.waymark.DocumentMetadata
import org.waymark.Vault

/**
 * Adds a document from [file], streamed (memory stays bounded whatever its
 * size), and returns its id. A MIME type of `application/octet-stream` in
 * [metadata] is replaced by one guessed from the file's extension.
 */
public suspend fun Vault.addDocument(metadata: DocumentMetadata, file: File): String =
    addDocumentFromFile(metadata, file.path)

/**
 * Writes a document's content to [file], atomically, and returns its size
 * in bytes. The copy is not encrypted: keep it in the app's private cache
 * and delete it when the viewer closes.
 */
public suspend fun Vault.exportDocument(id: String, file: File): Long =
    exportDocument(id, file.path).toLong()

/** The documents, each with its id, metadata and size, by title. */
public fun Vault.documents(): List<DocumentInfo> = listDocuments()
