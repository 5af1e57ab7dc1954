package org.waymark.demo.ui

import android.content.Intent
import org.waymark.demo.platform.Graph

/** Home: five big doors and the lock button. */
public class HomeActivity : Screen() {
    override fun build() {
        header(texts.appName, back = false)
        fun door(label: String, tag: String, target: Class<*>) {
            content.add(button(label, tag = tag) { startActivity(Intent(this, target)) }, 12)
        }
        door(texts.myDocuments, "documents", DocumentsActivity::class.java)
        door(texts.information, "information", SearchActivity::class.java)
        door(texts.packs, "packs", PacksActivity::class.java)
        door(texts.update, "sync", SyncActivity::class.java)
        door(texts.settings, "settings", SettingsActivity::class.java)
        content.add(
            button(texts.lock, tag = "lock", filled = false) {
                Graph.sessionOrNull()?.lock()
                startActivity(Intent(this, UnlockActivity::class.java))
                finish()
            },
            28,
        )
    }
}
