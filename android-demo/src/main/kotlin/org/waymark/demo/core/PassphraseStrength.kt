package org.waymark.demo.core

import kotlin.math.ln

/**
 * A hint about a passphrase's strength, not a rule: no upper-case or digit
 * requirements (they make passphrases harder to remember, not harder to
 * guess). Length and variety count; repeated characters and a single
 * short word do not. The vault refuses fewer than 4 characters.
 */
public enum class Strength {
    TOO_SHORT, WEAK, FAIR, STRONG;

    public companion object {
        /** The vault's own minimum. */
        public const val MIN_LENGTH: Int = 4

        /** The hint for [passphrase]. */
        public fun of(passphrase: String): Strength {
            val chars = passphrase.trim().codePoints().toArray()
            if (chars.size < MIN_LENGTH) return TOO_SHORT
            val distinct = chars.toSet().size
            var pool = 0
            if (chars.any { Character.isLowerCase(it) }) pool += 26
            if (chars.any { Character.isUpperCase(it) }) pool += 26
            if (chars.any { Character.isDigit(it) }) pool += 10
            if (chars.any { Character.isLetter(it) && !Character.isLowerCase(it) && !Character.isUpperCase(it) }) pool += 40
            if (chars.any { !Character.isLetterOrDigit(it) }) pool += 20
            // Repetition ("aaaaaaaa") earns little: count distinct characters
            // in full and the rest at a quarter.
            val effective = distinct + (chars.size - distinct) / 4.0
            val bits = effective * ln(pool.coerceAtLeast(10).toDouble()) / ln(2.0)
            val words = passphrase.trim().split(Regex("\\s+")).count { it.length >= 3 }
            return when {
                words >= 4 || bits >= 70 -> STRONG
                words >= 3 || bits >= 45 -> FAIR
                else -> WEAK
            }
        }
    }
}
