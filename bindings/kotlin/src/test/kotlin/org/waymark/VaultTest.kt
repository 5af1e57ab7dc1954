package org.waymark

import java.io.File
import java.time.LocalDate
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Test
import org.waymark.ktx.WaymarkHome
import org.waymark.ktx.addDocument
import org.waymark.ktx.exportDocument
import org.waymark.ktx.platformKeystore
import kotlin.test.assertContentEquals
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertTrue

class VaultTest {
    private val passphrase = "correct horse battery"

    private fun newVault(): Pair<File, NewVault> = runBlocking {
        val dir = tempDir("vault")
        dir to createVault(dir.path, passphrase, TEST_KDF)
    }

    @Test
    fun `a new vault stores, lists and reads a document`(): Unit = runBlocking {
        val (_, created) = newVault()
        created.vault.use { vault ->
            assertTrue(vault.isUnlocked())
            val scan = ByteArray(200_000) { (it * 31 % 251).toByte() }
            val metadata = DocumentMetadata(
                kind = DocumentKind.PASSPORT,
                title = "My passport",
                issuingCountry = "er",
                expiresOn = "2031-05-01",
                mimeType = "image/jpeg",
            )
            val id = vault.addDocument(metadata, scan)

            val listed = vault.listDocuments()
            assertEquals(1, listed.size)
            assertEquals(id, listed[0].id)
            assertEquals(DocumentKind.PASSPORT, listed[0].metadata.kind)
            assertEquals("ER", listed[0].metadata.issuingCountry, "country codes are upper-cased")
            assertEquals(scan.size.toLong(), listed[0].size)
            assertContentEquals(scan, vault.readDocument(id))
        }
    }

    @Test
    fun `large documents go in and out by file path`(): Unit = runBlocking {
        val (dir, created) = newVault()
        created.vault.use { vault ->
            val source = File(dir.parentFile, "${dir.name}-scan.pdf")
            source.writeBytes(ByteArray(3 * 1024 * 1024 + 17) { (it % 253).toByte() })
            val id = vault.addDocument(DocumentMetadata(kind = DocumentKind.RESIDENCE_PERMIT, title = "Permit"), source)
            assertEquals("application/pdf", vault.document(id).metadata.mimeType, "MIME type guessed from the file name")

            val copy = File(dir.parentFile, "${dir.name}-copy.pdf")
            assertEquals(source.length(), vault.exportDocument(id, copy))
            assertContentEquals(source.readBytes(), copy.readBytes())
        }
    }

    @Test
    fun `a wrong passphrase is refused with the attempt count and the vault is untouched`(): Unit = runBlocking {
        val (dir, created) = newVault()
        val id = created.vault.use { it.addDocument(DocumentMetadata(kind = DocumentKind.VISA, title = "Visa"), byteArrayOf(1, 2, 3)) }

        Vault.open(dir.path).use { vault ->
            assertFalse(vault.isUnlocked())
            assertFailsWith<WaymarkException.Locked> { vault.readDocument(id) }

            val first = assertFailsWith<WaymarkException.WrongPassphrase> { vault.unlock("wrong guess") }
            assertEquals(1, first.attempts)
            assertEquals(0L, first.retryAfterSeconds, "no delay within the free attempts")
            val second = assertFailsWith<WaymarkException.WrongPassphrase> { vault.unlock("another guess") }
            assertEquals(2, second.attempts)

            vault.unlock(passphrase)
            assertContentEquals(byteArrayOf(1, 2, 3), vault.readDocument(id))
        }
    }

    @Test
    fun `repeated wrong passphrases are delayed and then refused untried`(): Unit = runBlocking {
        val (dir, created) = newVault()
        created.vault.close()
        Vault.open(dir.path).use { vault ->
            repeat(3) { assertFailsWith<WaymarkException.WrongPassphrase> { vault.unlock("guess $it") } }
            val fourth = assertFailsWith<WaymarkException.WrongPassphrase> { vault.unlock("guess 4") }
            assertEquals(4, fourth.attempts)
            assertEquals(30L, fourth.retryAfterSeconds)
            val throttled = assertFailsWith<WaymarkException.TooManyAttempts> { vault.unlock(passphrase) }
            assertTrue(throttled.retryAfterSeconds in 1L..30L, "wait ${throttled.retryAfterSeconds}")
            assertFalse(vault.isUnlocked(), "even the right passphrase is not tried during the delay")
        }
    }

    @Test
    fun `the recovery code unlocks and sets a new passphrase`(): Unit = runBlocking {
        val (dir, created) = newVault()
        val code = created.recoveryCode
        created.vault.close()
        Vault.open(dir.path).use { vault ->
            vault.unlockWithRecoveryCode(code.lowercase().replace("-", " "), "a new passphrase")
            vault.lock()
            assertFailsWith<WaymarkException.WrongPassphrase> { vault.unlock(passphrase) }
            vault.unlock("a new passphrase")
            assertTrue(vault.isUnlocked())
            val typo = assertFailsWith<WaymarkException.InvalidInput> {
                vault.unlockWithRecoveryCode(code.dropLast(1) + if (code.last() == 'A') "B" else "A", "x1234")
            }
            assertTrue(typo.reason.contains("recovery code"), typo.reason)
        }
    }

    @Test
    fun `expiry reminders list documents expiring soon with days left`(): Unit = runBlocking {
        val (_, created) = newVault()
        created.vault.use { vault ->
            val soon = LocalDate.now().plusDays(10).toString()
            val later = LocalDate.now().plusYears(3).toString()
            vault.addDocument(DocumentMetadata(kind = DocumentKind.VISA, title = "Visa", expiresOn = soon), byteArrayOf(1))
            vault.addDocument(DocumentMetadata(kind = DocumentKind.PASSPORT, title = "Passport", expiresOn = later), byteArrayOf(2))
            val reminders = vault.expiryReminders(30)
            assertEquals(listOf("Visa"), reminders.map { it.document.metadata.title })
            assertEquals(soon, reminders[0].expiresOn)
            assertTrue(reminders[0].daysLeft in 9L..10L)
            assertFalse(reminders[0].expired)
        }
    }

    @Test
    fun `bad metadata is refused naming the field, not its value`(): Unit = runBlocking {
        val (_, created) = newVault()
        created.vault.use { vault ->
            val e = assertFailsWith<WaymarkException.InvalidInput> {
                vault.addDocument(DocumentMetadata(kind = DocumentKind.OTHER, title = "X", expiresOn = "01/02/2030"), byteArrayOf())
            }
            assertTrue(e.reason.contains("expiry date"), e.reason)
            assertFalse(e.reason.contains("01/02/2030"))
            assertTrue(vault.listDocuments().isEmpty())
        }
    }

    @Test
    fun `the platform keystore unlocks, and its failures are errors, never crashes`(): Unit = runBlocking {
        val (dir, created) = newVault()
        val secret = ByteArray(32) { it.toByte() }
        created.vault.use { it.enableKeystoreUnlock(platformKeystore { secret }) }
        Vault.open(dir.path).use { vault ->
            val refused = assertFailsWith<WaymarkException.Keystore> {
                vault.unlockWithKeystore(platformKeystore { throw WaymarkException.Keystore("user cancelled") })
            }
            assertEquals("user cancelled", refused.reason)
            assertFailsWith<WaymarkException.Internal> {
                vault.unlockWithKeystore(platformKeystore { throw IllegalStateException("a bug in the app") })
            }
            assertFailsWith<WaymarkException.Keystore> { vault.unlockWithKeystore(platformKeystore { ByteArray(32) }) }
            assertFalse(vault.isUnlocked())

            vault.unlockWithKeystore(platformKeystore { secret })
            assertTrue(vault.isUnlocked())
        }
    }

    @Test
    fun `the duress passphrase opens an empty decoy`(): Unit = runBlocking {
        val (dir, created) = newVault()
        created.vault.use {
            it.addDocument(DocumentMetadata(kind = DocumentKind.PASSPORT, title = "Real"), byteArrayOf(9))
            it.setDuressPassphrase("open sesame", false)
        }
        Vault.open(dir.path).use { vault ->
            vault.unlock("open sesame")
            assertTrue(vault.listDocuments().isEmpty())
            vault.lock()
            vault.unlock(passphrase)
            assertEquals(listOf("Real"), vault.listDocuments().map { it.metadata.title })
        }
    }

    @Test
    fun `auto-lock is a setting and wipe leaves nothing to open`(): Unit = runBlocking {
        WaymarkHome.open(tempDir("home")).use { home ->
            home.createVault(passphrase, TEST_KDF).vault.use { vault ->
                vault.setAutoLock(java.time.Duration.ofMinutes(2))
                assertEquals(java.time.Duration.ofMinutes(2), vault.settings().autoLock)
                assertFailsWith<WaymarkException.InvalidInput> { vault.setAutoLock(java.time.Duration.ofDays(3)) }
            }
            assertTrue(home.hasVault())
            home.wipeVault()
            assertFalse(home.hasVault())
            assertFailsWith<WaymarkException.NotFound> { home.openVault() }
        }
    }

    @Test
    fun `bad numbers are refused, naming them, and nothing changes`(): Unit = runBlocking {
        val (_, created) = newVault()
        created.vault.use { vault ->
            val e = assertFailsWith<WaymarkException.InvalidInput> { vault.expiryReminders(-1) }
            assertTrue(e.reason.contains("negative"), e.reason)
            assertFailsWith<WaymarkException.InvalidInput> { vault.setWipeAfterFailures(-3) }
            assertEquals(null, vault.settings().wipeAfterFailures)
        }
        val e = assertFailsWith<WaymarkException.InvalidInput> {
            createVault(tempDir("bad").path, passphrase, KdfParams(memoryKib = -1, iterations = 1, parallelism = 1))
        }
        assertTrue(e.reason.contains("KDF memory"), e.reason)
    }

    @Test
    fun `every error has a stable code for the app's own translated text`() {
        val codes = listOf(
            WaymarkException.Locked(),
            WaymarkException.WrongPassphrase(attempts = 1, retryAfterSeconds = 0),
            WaymarkException.TooManyAttempts(retryAfterSeconds = 30),
            WaymarkException.NotFound(),
            WaymarkException.InvalidInput("x"),
            WaymarkException.Integrity("x"),
            WaymarkException.Network("x", retryable = true, retryAfterSeconds = 0),
            WaymarkException.StorageFull(),
            WaymarkException.Keystore("x"),
            WaymarkException.Cancelled(),
            WaymarkException.Internal("x"),
        ).map { it.code() }
        assertEquals(
            listOf(
                "locked", "wrong_passphrase", "too_many_attempts", "not_found", "invalid_input", "integrity",
                "network", "storage_full", "keystore", "cancelled", "internal",
            ),
            codes,
        )
    }

    @Test
    fun `a closed handle refuses further calls`(): Unit = runBlocking {
        val (_, created) = newVault()
        val vault = created.vault
        vault.use { assertTrue(it.isUnlocked()) }
        assertFailsWith<IllegalStateException> { vault.isUnlocked() }
    }
}
