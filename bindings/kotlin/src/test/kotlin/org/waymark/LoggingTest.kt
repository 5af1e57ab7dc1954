package org.waymark

import java.util.Collections
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Test
import org.waymark.ktx.installLogSink
import org.waymark.ktx.removeLogSink
import kotlin.test.assertFailsWith
import kotlin.test.assertTrue

class LoggingTest {
    @Test
    fun `the log sink hears unlock outcomes and never the passphrase or the path`(): Unit = runBlocking {
        val passphrase = "correct horse battery"
        val wrong = "hunter2 guess"
        val dir = tempDir("log")
        val lines = Collections.synchronizedList(mutableListOf<Triple<LogLevel, String, String>>())
        val vault = createVault(dir.path, passphrase, TEST_KDF).vault
        vault.use {
            it.lock()
            installLogSink(LogLevel.INFO) { level, target, message -> lines += Triple(level, target, message) }
            try {
                assertFailsWith<WaymarkException.WrongPassphrase> { it.unlock(wrong) }
                it.unlock(passphrase)
            } finally {
                removeLogSink()
            }
            it.lock()
            it.unlock(passphrase)
        }
        val seen = lines.toList()
        assertTrue(seen.any { (l, t, m) -> l == LogLevel.WARN && t == "waymark::vault" && m.startsWith("wrong passphrase (1 failed") }, "$seen")
        assertTrue(seen.count { it.third == "vault unlocked" } == 1, "nothing after the sink was removed: $seen")
        for ((_, _, message) in seen) {
            for (secret in listOf(passphrase, wrong, dir.path)) assertTrue(secret !in message, "$message holds $secret")
        }
    }
}
