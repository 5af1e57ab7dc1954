package org.waymark.ktx

import android.content.Context
import android.content.pm.PackageManager
import android.os.Build
import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyPermanentlyInvalidatedException
import android.security.keystore.KeyProperties
import android.security.keystore.StrongBoxUnavailableException
import android.security.keystore.UserNotAuthenticatedException
import java.io.File
import java.security.KeyStore
import java.util.concurrent.atomic.AtomicReference
import javax.crypto.Cipher
import javax.crypto.IllegalBlockSizeException
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec
import org.waymark.PlatformKeystore

/**
 * Biometric unlock of the vault: a [PlatformKeystore] over the Android
 * Keystore.
 *
 * A random 32-byte secret, wrapped with an AES-256-GCM key that never
 * leaves the Android Keystore (StrongBox where the device has it), is kept
 * in `noBackupFilesDir/waymark/keystore/`. The key opens only after the
 * person authenticates with a strong biometric, only while the device is
 * unlocked (API 28+), and is invalidated when a new fingerprint or face
 * is enrolled, so someone who adds their own finger cannot open the vault.
 * The device PIN is not accepted: the vault's passphrase is the fallback.
 *
 * By default ([authenticationValiditySeconds] `0`) every use needs its own
 * authentication: show a `BiometricPrompt` with [cipherForPrompt] as its
 * `CryptoObject`, hand the authenticated cipher to [authenticated], then
 * call the vault:
 *
 * ```
 * val keystore = AndroidKeystore(context)
 * // Turning it on (the vault unlocked by passphrase):
 * prompt.authenticate(info, BiometricPrompt.CryptoObject(keystore.cipherForPrompt()))
 * // onAuthenticationSucceeded(result):
 * keystore.authenticated(result.cryptoObject!!.cipher!!)
 * scope.launch { vault.enableKeystoreUnlock(keystore) }
 * // Unlocking later: the same three steps, then vault.unlockWithKeystore(keystore).
 * ```
 *
 * With [authenticationValiditySeconds] above zero the key stays usable
 * that long after any strong biometric authentication (no `CryptoObject`
 * needed), but Android then does not invalidate it on a new enrolment:
 * prefer `0`.
 *
 * Failures are [org.waymark.WaymarkException.Keystore] with one of the
 * [KeystoreReasons]; the app falls back to the passphrase. After
 * [KeystoreReasons.INVALIDATED] (a new enrolment) the key and the wrapped
 * secret are gone and [isEnabled] is false: offer to turn biometric unlock
 * on again after the next passphrase unlock. [cipherForPrompt] already
 * fails that way, before any prompt is shown.
 *
 * Call [forget] when the person turns biometric unlock off, and with a
 * panic wipe.
 *
 * @param context any context; only its application's is kept.
 * @param alias the Android Keystore alias of the wrapping key (one per vault).
 * @param authenticationValiditySeconds `0` (the default): authentication for
 *   every use, through [cipherForPrompt]; above `0`: seconds the key stays
 *   usable after a biometric authentication.
 */
public class AndroidKeystore @JvmOverloads constructor(
    context: Context,
    alias: String = DEFAULT_ALIAS,
    authenticationValiditySeconds: Int = 0,
) : PlatformKeystore {
    private val key = AndroidKeystoreKey(
        alias,
        authenticationValiditySeconds,
        strongBox = Build.VERSION.SDK_INT >= 28 &&
            context.packageManager.hasSystemFeature(PackageManager.FEATURE_STRONGBOX_KEYSTORE),
    )
    private val wrapped = WrappedSecret(File(context.applicationContext.waymarkDir, "keystore/$alias.wrapped"), key)
    private val pending = AtomicReference<Cipher?>(null)

    init {
        require(authenticationValiditySeconds >= 0) { "authenticationValiditySeconds must be 0 or more" }
    }

    /** True once biometric unlock was turned on (a wrapped secret exists). */
    public val isEnabled: Boolean get() = wrapped.exists

    /**
     * The cipher to authenticate with `BiometricPrompt.CryptoObject`:
     * encryption while biometric unlock is off, decryption once it is on.
     * Fails with [org.waymark.WaymarkException.Keystore]
     * ([KeystoreReasons.INVALIDATED]) if a new enrolment invalidated the key.
     */
    public fun cipherForPrompt(): Cipher = wrapped.cipher()

    /**
     * Hands over the cipher `BiometricPrompt` authenticated (from
     * [cipherForPrompt]); the next [vaultSecret] uses it, once.
     */
    public fun authenticated(cipher: Cipher) {
        pending.set(cipher)
    }

    /**
     * The vault secret, for the vault's keystore calls (not for the app):
     * unwrapped (or, the first time, created and wrapped) with the cipher
     * given to [authenticated], or with the key directly when
     * [authenticationValiditySeconds] allows it.
     */
    override fun vaultSecret(): ByteArray = wrapped.secret(pending.getAndSet(null))

    /** Turns biometric unlock off on this side: deletes the key and the wrapped secret. */
    public fun forget() {
        pending.set(null)
        wrapped.forget()
    }

    public companion object {
        /** The default Android Keystore alias of the wrapping key. */
        public const val DEFAULT_ALIAS: String = "org.waymark.vault-keystore"
    }
}

/** The wrapping key in the Android Keystore. */
internal class AndroidKeystoreKey(
    private val alias: String,
    private val validitySeconds: Int,
    private val strongBox: Boolean,
) : WrappingKey {
    /** A key that should exist and does not (the keystore was cleared). */
    class Missing : Exception("the keystore key is missing")

    private fun keyStore(): KeyStore = KeyStore.getInstance(PROVIDER).apply { load(null) }

    private fun existing(): SecretKey? = keyStore().getKey(alias, null) as SecretKey?

    override fun encryptCipher(): Cipher =
        Cipher.getInstance(TRANSFORMATION).apply { init(Cipher.ENCRYPT_MODE, existing() ?: generate()) }

    override fun decryptCipher(iv: ByteArray): Cipher = Cipher.getInstance(TRANSFORMATION).apply {
        init(Cipher.DECRYPT_MODE, existing() ?: throw Missing(), GCMParameterSpec(WrappedSecretFormat.TAG_BITS, iv))
    }

    override fun delete() {
        keyStore().deleteEntry(alias)
    }

    override fun classify(e: Exception): KeystoreFailure? = when {
        e is KeyPermanentlyInvalidatedException || e is Missing -> KeystoreFailure.INVALIDATED
        e is UserNotAuthenticatedException -> KeystoreFailure.NOT_AUTHENTICATED
        // A per-use key used without its authenticated cipher fails at
        // doFinal, the keystore's refusal as the cause.
        e is IllegalBlockSizeException && e.cause?.javaClass?.name == "android.security.KeyStoreException" ->
            KeystoreFailure.NOT_AUTHENTICATED
        else -> null
    }

    @Suppress("DEPRECATION") // setUserAuthenticationValidityDurationSeconds, below API 30
    private fun generate(): SecretKey {
        val spec = KeyGenParameterSpec.Builder(alias, KeyProperties.PURPOSE_ENCRYPT or KeyProperties.PURPOSE_DECRYPT)
            .setBlockModes(KeyProperties.BLOCK_MODE_GCM)
            .setEncryptionPaddings(KeyProperties.ENCRYPTION_PADDING_NONE)
            .setKeySize(256)
            .setRandomizedEncryptionRequired(true)
            .setUserAuthenticationRequired(true)
            .setInvalidatedByBiometricEnrollment(true)
        if (Build.VERSION.SDK_INT >= 30) {
            Api30.authenticateWithStrongBiometric(spec, validitySeconds)
        } else {
            // -1: every use needs its own authentication (a CryptoObject).
            spec.setUserAuthenticationValidityDurationSeconds(if (validitySeconds > 0) validitySeconds else -1)
        }
        if (Build.VERSION.SDK_INT >= 28) {
            Api28.requireUnlockedDevice(spec)
            if (strongBox) Api28.generateInStrongBox(spec)?.let { return it }
        }
        return generate(spec)
    }

    companion object {
        const val PROVIDER = "AndroidKeyStore"
        const val TRANSFORMATION = "AES/GCM/NoPadding"

        fun generate(spec: KeyGenParameterSpec.Builder): SecretKey =
            KeyGenerator.getInstance(KeyProperties.KEY_ALGORITHM_AES, PROVIDER).run {
                init(spec.build())
                generateKey()
            }
    }
}

/** Calls of API 28 (Android 9), made only there. */
private object Api28 {
    @SinceApi(28)
    fun requireUnlockedDevice(spec: KeyGenParameterSpec.Builder) {
        spec.setUnlockedDeviceRequired(true)
    }

    /** The key in StrongBox, or null if this device's StrongBox refuses it. */
    @SinceApi(28)
    fun generateInStrongBox(spec: KeyGenParameterSpec.Builder): SecretKey? =
        try {
            AndroidKeystoreKey.generate(spec.setIsStrongBoxBacked(true))
        } catch (e: StrongBoxUnavailableException) {
            spec.setIsStrongBoxBacked(false)
            null
        }
}

/** Calls of API 30 (Android 11), made only there. */
private object Api30 {
    @SinceApi(30)
    fun authenticateWithStrongBiometric(spec: KeyGenParameterSpec.Builder, seconds: Int) {
        spec.setUserAuthenticationParameters(seconds, KeyProperties.AUTH_BIOMETRIC_STRONG)
    }
}
