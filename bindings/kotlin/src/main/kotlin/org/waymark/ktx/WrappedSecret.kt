package org.waymark.ktx

import java.io.File
import java.io.FileOutputStream
import java.io.IOException
import java.security.GeneralSecurityException
import java.security.SecureRandom
import javax.crypto.AEADBadTagException
import javax.crypto.Cipher
import org.waymark.PlatformKeystore
import org.waymark.WaymarkException

/**
 * The part of a platform keystore that is the same on every platform: a
 * random 32-byte vault secret, wrapped (AES-GCM) by a key the platform
 * holds and never lets out, and kept in a file. `AndroidKeystore` (in the
 * Android module) gives it its keys; the tests give it a software key.
 *
 * The file (format version 1, [WrappedSecretFormat]) holds only the
 * wrapped secret: without the platform's key it opens nothing, and the
 * platform's key is used only after the person authenticates.
 *
 * Every failure is a [WaymarkException.Keystore] with one of the
 * [KeystoreReasons], so the vault's keystore unlock fails cleanly and the
 * app falls back to the passphrase. A key the platform invalidated (a new
 * biometric enrolment) or a wrapped secret that no longer opens is
 * forgotten: the app turns keystore unlock on again after the next
 * passphrase unlock.
 */
internal class WrappedSecret(
    /** The file the wrapped secret is kept in (created on first use). */
    private val file: File,
    private val keys: WrappingKey,
    private val random: SecureRandom = SecureRandom(),
) : PlatformKeystore {
    /** True once a secret has been created and wrapped. */
    val exists: Boolean get() = file.isFile

    /**
     * The cipher the person's authentication unlocks: encryption (a new
     * secret) while none exists, else decryption of the stored one.
     */
    fun cipher(): Cipher = guarded {
        val stored = read()
        if (stored == null) keys.encryptCipher() else keys.decryptCipher(stored.iv)
    }

    override fun vaultSecret(): ByteArray = secret(null)

    /**
     * The secret, unwrapped with [authenticated] (a cipher from [cipher]
     * that the platform has since authenticated) or else with a fresh one
     * (when the key's authentication lasts a while); created, wrapped and
     * stored first if there is none.
     */
    @Synchronized
    fun secret(authenticated: Cipher?): ByteArray = guarded {
        val stored = read()
        if (stored == null) {
            val cipher = authenticated ?: keys.encryptCipher()
            val secret = ByteArray(WrappedSecretFormat.SECRET_BYTES).also(random::nextBytes)
            val sealed = cipher.doFinal(secret)
            write(WrappedSecretFormat.encode(cipher.iv, sealed))
            secret
        } else {
            val cipher = authenticated ?: keys.decryptCipher(stored.iv)
            val secret = cipher.doFinal(stored.sealed)
            if (secret.size != WrappedSecretFormat.SECRET_BYTES) {
                throw WrappedSecretFormat.Malformed("the unwrapped secret is not 32 bytes")
            }
            secret
        }
    }

    /** Forgets the secret and deletes the platform's key: keystore unlock is off. */
    @Synchronized
    fun forget() {
        file.delete()
        try {
            keys.delete()
        } catch (_: Exception) {
            // Nothing to delete, or the keystore is gone: either way unusable.
        }
    }

    private fun read(): WrappedSecretFormat.Parts? =
        if (file.isFile) WrappedSecretFormat.decode(file.readBytes()) else null

    /** Atomically: a crash leaves the old file or the new one, never half. */
    private fun write(blob: ByteArray) {
        file.parentFile?.mkdirs()
        val tmp = File(file.path + ".tmp")
        FileOutputStream(tmp).use {
            it.write(blob)
            it.fd.sync()
        }
        if (!tmp.renameTo(file)) throw IOException("could not store the wrapped secret")
    }

    private inline fun <T> guarded(block: () -> T): T =
        try {
            block()
        } catch (e: WaymarkException) {
            throw e
        } catch (e: Exception) {
            val failure = keys.classify(e) ?: classify(e)
            if (failure.forget) forget()
            throw WaymarkException.Keystore(failure.reason)
        }

    private fun classify(e: Exception): KeystoreFailure = when (e) {
        is WrappedSecretFormat.Malformed, is AEADBadTagException -> KeystoreFailure.DOES_NOT_OPEN
        is IOException -> KeystoreFailure.STORAGE
        is GeneralSecurityException -> KeystoreFailure.UNAVAILABLE
        else -> KeystoreFailure.UNAVAILABLE
    }
}

/** The platform's side of a [WrappedSecret]: its AES-GCM key and its failures. */
internal interface WrappingKey {
    /** An AES/GCM/NoPadding cipher for encryption under the key (created if missing), its IV chosen by the platform. */
    fun encryptCipher(): Cipher

    /** An AES/GCM/NoPadding cipher for decryption under the key, with [iv] and a 128-bit tag. */
    fun decryptCipher(iv: ByteArray): Cipher

    /** Deletes the key. */
    fun delete()

    /** What a platform exception means, or null for the generic mapping. */
    fun classify(e: Exception): KeystoreFailure?
}

/**
 * Why a keystore unlock failed: the reason the vault reports (free of
 * personal data), and whether the secret must be forgotten.
 */
internal enum class KeystoreFailure(val reason: String, val forget: Boolean) {
    /** The key was invalidated (new biometric enrolment, screen lock removed). */
    INVALIDATED(KeystoreReasons.INVALIDATED, forget = true),

    /** The person has not authenticated (or too long ago) for the key. */
    NOT_AUTHENTICATED(KeystoreReasons.NOT_AUTHENTICATED, forget = false),

    /** The stored secret is damaged or was wrapped by another key. */
    DOES_NOT_OPEN(KeystoreReasons.DOES_NOT_OPEN, forget = true),

    /** The wrapped secret could not be read or written. */
    STORAGE(KeystoreReasons.STORAGE, forget = false),

    /** Anything else the platform keystore refused. */
    UNAVAILABLE(KeystoreReasons.UNAVAILABLE, forget = false),
}

/**
 * The reasons (`WaymarkException.Keystore.reason`) a keystore unlock fails
 * with, so an app can tell them apart. After any of them the app unlocks
 * with the passphrase; after [INVALIDATED] and [DOES_NOT_OPEN] keystore
 * unlock is off until the app turns it on again.
 */
public object KeystoreReasons {
    /** A new fingerprint or face was enrolled (or the screen lock removed): the key is gone. */
    public const val INVALIDATED: String =
        "the keystore key was invalidated (a new biometric enrolment): unlock with the passphrase and turn keystore unlock on again"

    /** The person has not authenticated for the key: show the biometric prompt first. */
    public const val NOT_AUTHENTICATED: String = "the person has not authenticated for the keystore key"

    /** The stored secret does not open (damaged, or wrapped by another key): it was forgotten. */
    public const val DOES_NOT_OPEN: String =
        "the keystore's wrapped secret does not open: unlock with the passphrase and turn keystore unlock on again"

    /** The wrapped secret could not be read or stored. */
    public const val STORAGE: String = "the keystore's wrapped secret could not be read or stored"

    /** The platform keystore refused for another reason. */
    public const val UNAVAILABLE: String = "the platform keystore is unavailable"
}

/**
 * The wrapped secret's file, version 1:
 * `0x01 ‖ IV (12 bytes) ‖ AES-256-GCM(secret (32 bytes)) ‖ tag (16 bytes)`,
 * 61 bytes. The version byte lets the format change without breaking
 * stored secrets.
 */
internal object WrappedSecretFormat {
    const val VERSION: Byte = 1
    const val IV_BYTES = 12
    const val TAG_BITS = 128
    const val SECRET_BYTES = 32
    const val SEALED_BYTES = SECRET_BYTES + TAG_BITS / 8
    const val FILE_BYTES = 1 + IV_BYTES + SEALED_BYTES

    class Parts(val iv: ByteArray, val sealed: ByteArray)

    /** A file that is not a version-1 wrapped secret. */
    class Malformed(message: String) : Exception(message)

    fun encode(iv: ByteArray?, sealed: ByteArray): ByteArray {
        if (iv == null || iv.size != IV_BYTES) throw Malformed("the platform chose an IV that is not 12 bytes")
        if (sealed.size != SEALED_BYTES) throw Malformed("the wrapped secret is not $SEALED_BYTES bytes")
        return byteArrayOf(VERSION) + iv + sealed
    }

    fun decode(blob: ByteArray): Parts {
        if (blob.isEmpty() || blob[0] != VERSION) throw Malformed("unknown wrapped secret format")
        if (blob.size != FILE_BYTES) throw Malformed("the wrapped secret is truncated")
        return Parts(blob.copyOfRange(1, 1 + IV_BYTES), blob.copyOfRange(1 + IV_BYTES, blob.size))
    }
}
