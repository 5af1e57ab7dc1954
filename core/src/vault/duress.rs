//! The duress passphrase: setting and removing it, keeping the two
//! passphrases apart, and what a duress unlock destroys when destruction is
//! set. The design and its limits are in the module documentation of
//! [`crate::vault`].

use rusqlite::TransactionBehavior;

use super::Vault;
use super::crypto::{SecretKey, SlotPayload, random_slot};
use super::document::DocumentId;
use super::keys::{Header, MasterKeys, Session, passphrase_slot_key, put_slot};
use super::lifecycle::check_new_passphrase;
use super::schema::{SLOT_KEYSTORE, SLOT_PASSPHRASE, SLOT_RECOVERY};
use crate::error::{Error, Result};
use crate::storage::checkpoint_truncate;

impl Vault {
    /// Sets (or replaces) the duress passphrase. It opens an empty decoy
    /// vault that looks and behaves like the real one; the person can put
    /// harmless documents in it. With `destroy_real`, unlocking with the
    /// duress passphrase also silently destroys the real vault's keys and
    /// documents. Replacing a duress passphrase deletes the old decoy's
    /// documents.
    ///
    /// In a decoy session this succeeds and changes nothing.
    pub fn set_duress_passphrase(&self, duress: &str, destroy_real: bool) -> Result<()> {
        check_new_passphrase(duress)?;
        let (is_decoy, home) = self.with_session(|_, s| Ok((s.is_decoy, s.home_slot & 1)))?;
        if is_decoy {
            return Ok(());
        }
        let header = self.with_session(|_, s| self.wrapping_header(s))?;
        let masters = header.master_keys(duress)?;
        let other = home ^ 1;
        let name = SLOT_PASSPHRASE[other as usize];
        let decoy = SlotPayload {
            data_key: SecretKey::random()?,
            destroy_other: destroy_real,
            is_decoy: true,
            home_slot: other,
        };
        let blob = header.wrap(&passphrase_slot_key(&masters.nfc, other), name, &decoy)?;
        self.with_session(|conn, session| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            if masters.open(&header, &tx, home)? {
                return Err(Error::invalid(
                    "the duress passphrase must differ from the passphrase",
                ));
            }
            put_slot(&tx, name, &blob)?;
            delete_foreign_documents(&tx, session)?;
            tx.commit()?;
            self.sweep_blobs(conn)?;
            checkpoint_truncate(conn)
        })
    }

    /// Removes the duress passphrase and its decoy's documents. In a decoy
    /// session this succeeds and changes nothing.
    pub fn remove_duress_passphrase(&self) -> Result<()> {
        self.with_session(|conn, session| {
            if session.is_decoy {
                return Ok(());
            }
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            put_slot(
                &tx,
                SLOT_PASSPHRASE[((session.home_slot & 1) ^ 1) as usize],
                &random_slot()?,
            )?;
            delete_foreign_documents(&tx, session)?;
            tx.commit()?;
            self.sweep_blobs(conn)?;
            checkpoint_truncate(conn)
        })
    }

    /// Refuses a new passphrase that would open the other passphrase slot
    /// (in either of its forms, see `Header::master_keys`).
    pub(super) fn refuse_if_opens_other_slot(
        &self,
        conn: &rusqlite::Connection,
        header: &Header,
        masters: &MasterKeys,
        home: u8,
    ) -> Result<()> {
        if masters.open(header, conn, home ^ 1)? {
            return Err(Error::invalid(
                "choose a passphrase different from the duress passphrase",
            ));
        }
        Ok(())
    }

    /// Duress: make the other vault's keys unrecoverable and delete its rows,
    /// then rewrap our own slot without the duress flags, so the decoy lives
    /// on as a plain vault. Random bytes take the destroyed slots' places, so
    /// the file keeps its shape.
    pub(super) fn destroy_other_vault(
        &self,
        tx: &rusqlite::Transaction<'_>,
        session: &Session,
        slot_key: &SecretKey,
    ) -> Result<()> {
        let home = session.home_slot & 1;
        put_slot(tx, SLOT_PASSPHRASE[(home ^ 1) as usize], &random_slot()?)?;
        put_slot(tx, SLOT_RECOVERY, &random_slot()?)?;
        tx.execute("DELETE FROM key_slots WHERE name = ?1", [SLOT_KEYSTORE])?;
        let name = SLOT_PASSPHRASE[home as usize];
        let plain = SlotPayload {
            is_decoy: false,
            ..session.payload(false)
        };
        put_slot(tx, name, &self.header().wrap(slot_key, name, &plain)?)?;
        delete_foreign_documents(tx, session)
    }
}

/// Deletes the rows of every document whose owner tag is not this session's
/// (the other vault's).
pub(super) fn delete_foreign_documents(
    tx: &rusqlite::Transaction<'_>,
    session: &Session,
) -> Result<()> {
    let ids: Vec<Vec<u8>> = {
        let mut stmt = tx.prepare("SELECT id, owner FROM documents")?;
        let rows = stmt.query_map([], |r| {
            Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, Vec<u8>>(1)?))
        })?;
        let mut foreign = Vec::new();
        for row in rows {
            let (id, owner) = row?;
            let mine = <[u8; 16]>::try_from(id.as_slice())
                .map(|b| session.owner_tag(&DocumentId(b)) == owner.as_slice())
                .unwrap_or(false);
            if !mine {
                foreign.push(id);
            }
        }
        foreign
    };
    // Their content files go at the next sweep, after the commit.
    for id in ids {
        tx.execute("DELETE FROM documents WHERE id = ?1", [&id])?;
    }
    Ok(())
}
