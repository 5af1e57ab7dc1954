package org.waymark.demo.i18n

/**
 * The languages the app ships, with their texts. [tag] is BCP 47, as the
 * content packs name languages; [rtl] mirrors every screen.
 */
public enum class Language(public val tag: String, public val nativeName: String, public val rtl: Boolean, public val texts: Texts) {
    ENGLISH("en", "English", false, En),
    ARABIC("ar", "العربية", true, Ar),
    FARSI("fa", "فارسی", true, Fa),
    TIGRINYA("ti", "ትግርኛ", false, Ti),
    FRENCH("fr", "Français", false, Fr),
    ;

    public companion object {
        /** The language for a BCP 47 tag (`ar-EG` finds Arabic), or null. */
        public fun forTag(tag: String?): Language? {
            val primary = tag?.substringBefore('-')?.substringBefore('_')?.lowercase() ?: return null
            return entries.firstOrNull { it.tag == primary }
        }

        /** A language tag's name in its own language when it is one of ours, else the tag. */
        public fun displayName(tag: String): String = forTag(tag)?.nativeName ?: tag
    }
}
