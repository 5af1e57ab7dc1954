package org.waymark

import java.io.File
import javax.crypto.Cipher
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Test
import org.waymark.ktx.KeystoreFailure
import org.waymark.ktx.KeystoreReasons
import org.waymark.ktx.WrappedSecret
import org.waymark.ktx.WrappedSecretFormat
import org.waymark.ktx.WrappingKey
import kotlin.test.assertContentEquals
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertTrue

/**
 * The platform-independent half of `AndroidKeystore`: the wrapped secret's
 * format, its life cycle and its failures, over a software AES key that
 * fails the way Android Keystore keys do when told to.
 */
class WrappedSecretTest {
    /** Android's exceptions, which this JVM does not have, stood in for. */
    class KeyInvalidated : java.security.InvalidKeyException("key permanently invalidated")
    class NotAuthenticated : java.security.InvalidKeyException("user not authenticated")

    /** A software AES-GCM key in place of the platform's. */
    internal class SoftwareKey : WrappingKey {
        var key: SecretKey? = null
        var invalidated = false
        var authenticated = true
        var deleted = 0

        private fun key(create: Boolean): SecretKey {
            if (invalidated) throw KeyInvalidated()
            if (!authenticated) throw NotAuthenticated()
            return key ?: if (create) KeyGenerator.getInstance("AES").apply { init(256) }.generateKey().also { key = it }
            else throw java.security.InvalidKeyException("no key")
        }

        override fun encryptCipher(): Cipher =
            Cipher.getInstance("AES/GCM/NoPadding").apply { init(Cipher.ENCRYPT_MODE, key(create = true)) }

        override fun decryptCipher(iv: ByteArray): Cipher = Cipher.getInstance("AES/GCM/NoPadding").apply {
            init(Cipher.DECRYPT_MODE, key(create = false), GCMParameterSpec(WrappedSecretFormat.TAG_BITS, iv))
        }

        override fun delete() {
            deleted++
            key = null
            invalidated = false
        }

        override fun classify(e: Exception): KeystoreFailure? = when (e) {
            is KeyInvalidated -> KeystoreFailure.INVALIDATED
            is NotAuthenticated -> KeystoreFailure.NOT_AUTHENTICATED
            else -> null
        }
    }

    private fun fileIn(prefix: String) = File(tempDir(prefix), "keystore/vault.wrapped")

    @Test
    fun `the first use creates a 32-byte secret, stores it wrapped, and returns it again`() {
        val file = fileIn("wrap")
        val key = SoftwareKey()
        val keystore = WrappedSecret(file, key)
        assertFalse(keystore.exists)

        val secret = keystore.vaultSecret()
        assertEquals(32, secret.size)
        assertTrue(keystore.exists)
        val blob = file.readBytes()
        assertEquals(61, blob.size, "version, IV, secret and tag")
        assertEquals(1.toByte(), blob[0])
        assertFalse(blob.toList().windowed(32).any { it == secret.toList() }, "the secret is not in the file")

        assertContentEquals(secret, keystore.vaultSecret())
        assertContentEquals(secret, WrappedSecret(file, key).vaultSecret(), "a new instance reads the same file")
        assertFalse(File(file.path + ".tmp").exists())
    }

    @Test
    fun `an authenticated cipher from the prompt unwraps the secret`() {
        val key = SoftwareKey()
        val keystore = WrappedSecret(fileIn("prompt"), key)
        val created = keystore.secret(keystore.cipher())
        assertContentEquals(created, keystore.secret(keystore.cipher()))
    }

    @Test
    fun `an invalidated key is a clear refusal and the secret is forgotten`() {
        val file = fileIn("invalidated")
        val key = SoftwareKey()
        val keystore = WrappedSecret(file, key)
        keystore.vaultSecret()

        key.invalidated = true
        val e = assertFailsWith<WaymarkException.Keystore> { keystore.vaultSecret() }
        assertEquals(KeystoreReasons.INVALIDATED, e.reason)
        assertFalse(file.exists(), "the wrapped secret is forgotten")
        assertEquals(1, key.deleted, "and the key deleted")
        // Turning it on again makes a new key and a new secret.
        assertEquals(32, keystore.vaultSecret().size)
    }

    @Test
    fun `no authentication is a refusal that keeps the secret`() {
        val file = fileIn("unauthenticated")
        val key = SoftwareKey()
        val keystore = WrappedSecret(file, key)
        val secret = keystore.vaultSecret()
        key.authenticated = false
        val e = assertFailsWith<WaymarkException.Keystore> { keystore.cipher() }
        assertEquals(KeystoreReasons.NOT_AUTHENTICATED, e.reason)
        assertTrue(file.exists())
        key.authenticated = true
        assertContentEquals(secret, keystore.vaultSecret())
    }

    @Test
    fun `a damaged, truncated or unknown file is refused, never a crash`() {
        for (damage in listOf<(ByteArray) -> ByteArray>(
            { it.also { b -> b[30] = (b[30].toInt() xor 1).toByte() } },
            { it.copyOf(40) },
            { it.also { b -> b[0] = 2 } },
            { ByteArray(0) },
        )) {
            val file = fileIn("damaged")
            val keystore = WrappedSecret(file, SoftwareKey())
            keystore.vaultSecret()
            file.writeBytes(damage(file.readBytes()))
            val e = assertFailsWith<WaymarkException.Keystore> { keystore.vaultSecret() }
            assertEquals(KeystoreReasons.DOES_NOT_OPEN, e.reason)
            assertFalse(file.exists())
        }
    }

    @Test
    fun `a vault unlocks with it, and after a new enrolment falls back to the passphrase`(): Unit = runBlocking {
        val dir = tempDir("vault")
        val passphrase = "correct horse battery"
        val key = SoftwareKey()
        val keystore = WrappedSecret(fileIn("vault-keystore"), key)
        createVault(dir.path, passphrase, TEST_KDF).vault.use { it.enableKeystoreUnlock(keystore) }

        Vault.open(dir.path).use { vault ->
            vault.unlockWithKeystore(keystore)
            assertTrue(vault.isUnlocked())
            vault.lock()

            key.invalidated = true
            val e = assertFailsWith<WaymarkException.Keystore> { vault.unlockWithKeystore(keystore) }
            assertEquals(KeystoreReasons.INVALIDATED, e.reason)
            assertFalse(vault.isUnlocked())
            assertFalse(keystore.exists)

            vault.unlock(passphrase)
            vault.enableKeystoreUnlock(keystore)
            vault.lock()
            vault.unlockWithKeystore(keystore)
            assertTrue(vault.isUnlocked())
        }
    }
}
