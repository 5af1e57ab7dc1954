package org.waymark.ktx

import org.waymark.PlatformKeystore
import org.waymark.WaymarkException

/**
 * A [PlatformKeystore] from a function that returns the 32-byte secret
 * (for example one unwrapped with an Android Keystore key after a
 * `BiometricPrompt`).
 *
 * Throw [WaymarkException.Keystore] from [secret] to refuse with a reason
 * the app chose (free of personal data); any other exception reaches the
 * caller of the unlock as [WaymarkException.Internal], never as a crash.
 */
public fun platformKeystore(secret: () -> ByteArray): PlatformKeystore =
    object : PlatformKeystore {
        override fun vaultSecret(): ByteArray = secret()
    }
