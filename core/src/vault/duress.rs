//! The duress passphrase: setting and removing it, keeping the passphrases
//! apart, and what an unlock destroys when destruction was set. The design
//! and its limits are in the module documentation of [`crate::vault`].
//!
//! Every vault, real or decoy, does this the same way: its duress
//! passphrase opens its child, in a free cell (one that is not its own, nor
//! an ancestor's); replacing or removing it clears the child and the
//! child's own descendants, cells and documents, which the vault finds
//! through their records.

use rusqlite::{Connection, Transaction, TransactionBehavior};

use super::Vault;
use super::crypto::random_record;
use super::crypto::{SecretKey, SlotPayload, random_bytes, random_slot};
use super::document::DocumentId;
use super::keys::{
    Header, MasterKeys, Session, check_new_passphrase, get_slot, index_key, owner_tag,
    passphrase_slot_key, put_slot,
};
use super::record::{Child, Destroy, Keystore, KeystoreKey, Record, bit};
use super::schema::{CELLS, passphrase_row, record_row, recovery_row};
use crate::error::{Error, Result};
use crate::storage::checkpoint_truncate;

/// A vault below the session's: its cell and, when known, its data key and
/// record.
pub(super) struct Descendant {
    pub(super) cell: u8,
    pub(super) data_key: Option<SecretKey>,
    pub(super) record: Option<Record>,
}

impl Vault {
    /// Sets (or replaces) the duress passphrase. It opens an empty decoy
    /// vault that looks and behaves like this one; the person can put
    /// harmless documents in it. With `destroy_real`, unlocking the decoy
    /// (with the duress passphrase, or later with its recovery code or the
    /// keystore) also silently destroys this vault's keys and documents.
    /// Replacing a duress passphrase deletes the old decoy and its
    /// documents.
    ///
    /// A decoy does exactly the same: its duress passphrase opens a decoy
    /// of its own, and the vault above it is left alone. Refused only when
    /// no cell is free: decoys nested eight deep.
    pub fn set_duress_passphrase(&self, duress: &str, destroy_real: bool) -> Result<()> {
        check_new_passphrase(duress)?;
        let header = self.with_session(|_, s| self.wrapping_header(s))?;
        let masters = header.master_keys(duress)?;
        let data_key = SecretKey::random()?;
        let pick = u32::from_be_bytes(random_bytes()?);
        self.with_session_mut(|conn, session| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            reload_record(&tx, &header, session)?;
            let below = self.subtree(&tx, &header, session)?;
            let replaced = below.iter().fold(0u16, |m, d| m | bit(d.cell));
            for cell in 0..CELLS {
                if replaced & bit(cell) == 0 && masters.open(&header, &tx, cell)? {
                    return Err(Error::invalid(
                        "the duress passphrase must differ from the passphrase",
                    ));
                }
            }
            clear_descendants(&tx, session, &below)?;
            let free: Vec<u8> = (0..CELLS)
                .filter(|&c| c != session.cell && session.record.protected & bit(c) == 0)
                .collect();
            if free.is_empty() {
                return Err(Error::invalid(
                    "no room for another duress passphrase: too many decoys inside one another",
                ));
            }
            let cell = free[pick as usize % free.len()];
            let child = Record {
                parent: Some(session.cell),
                protected: session.record.protected | bit(session.cell),
                destroy_parent: destroy_real.then(|| Destroy {
                    parent_index_key: Some(session.index_key.clone()),
                }),
                child: Child::None,
                keystore: match &session.record.keystore {
                    Keystore::On(keys) => Keystore::On(KeystoreKey::for_child(keys)?),
                    Keystore::Off | Keystore::Legacy => Keystore::Off,
                },
            };
            clear_cell(&tx, cell)?;
            put_slot(
                &tx,
                &passphrase_row(cell),
                &header.wrap(
                    &passphrase_slot_key(&masters.nfc, cell),
                    &passphrase_row(cell),
                    &SlotPayload::new(data_key.clone(), cell),
                )?,
            )?;
            put_slot(
                &tx,
                &record_row(cell),
                &header.seal_record(&child, cell, &data_key)?,
            )?;
            let mut record = session.record.clone();
            record.child = Child::Known {
                cell,
                data_key: data_key.clone(),
            };
            put_slot(
                &tx,
                &record_row(session.cell),
                &header.seal_record(&record, session.cell, &session.data_key)?,
            )?;
            tx.commit()?;
            session.record = record;
            self.sweep_blobs(conn)?;
            checkpoint_truncate(conn)
        })
    }

    /// Removes the duress passphrase, its decoy and the decoy's documents
    /// (and any decoy below it).
    pub fn remove_duress_passphrase(&self) -> Result<()> {
        let header = self.with_session(|_, s| self.wrapping_header(s))?;
        self.with_session_mut(|conn, session| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            reload_record(&tx, &header, session)?;
            let below = self.subtree(&tx, &header, session)?;
            clear_descendants(&tx, session, &below)?;
            let mut record = session.record.clone();
            record.child = Child::None;
            put_slot(
                &tx,
                &record_row(session.cell),
                &header.seal_record(&record, session.cell, &session.data_key)?,
            )?;
            tx.commit()?;
            session.record = record;
            self.sweep_blobs(conn)?;
            checkpoint_truncate(conn)
        })
    }

    /// Refuses a new passphrase that would open another vault's passphrase
    /// slot (in either of its forms, see `Header::master_keys`).
    pub(super) fn refuse_if_opens_other_slot(
        &self,
        conn: &Connection,
        header: &Header,
        masters: &MasterKeys,
        cell: u8,
    ) -> Result<()> {
        for other in (0..CELLS).filter(|&c| c != cell) {
            if masters.open(header, conn, other)? {
                return Err(Error::invalid(
                    "choose a passphrase different from the duress passphrase",
                ));
            }
        }
        Ok(())
    }

    /// The session's descendants, child first, found through their records
    /// (a descendant whose record no longer opens ends the chain, its cell
    /// still counted: it is free or was the session's to use).
    pub(super) fn subtree(
        &self,
        conn: &Connection,
        header: &Header,
        session: &Session,
    ) -> Result<Vec<Descendant>> {
        let mut out = Vec::new();
        let mut seen = bit(session.cell) | session.record.protected;
        let mut next = session.record.child.clone();
        loop {
            match next {
                Child::None => break,
                Child::Legacy { cell } => {
                    if seen & bit(cell) == 0 {
                        out.push(Descendant {
                            cell,
                            data_key: None,
                            record: None,
                        });
                    }
                    break;
                }
                Child::Known { cell, data_key } => {
                    if seen & bit(cell) != 0 {
                        break;
                    }
                    seen |= bit(cell);
                    let record = get_slot(conn, &record_row(cell))?
                        .and_then(|blob| header.open_record(cell, &data_key, &blob));
                    next = record.as_ref().map_or(Child::None, |r| r.child.clone());
                    out.push(Descendant {
                        cell,
                        data_key: Some(data_key),
                        record,
                    });
                }
            }
        }
        Ok(out)
    }

    /// Carries out the destruction set in the session's record: the parent's
    /// cell becomes random bytes and its documents are deleted; the record
    /// forgets its parent. Returns true if something was destroyed.
    pub(super) fn destroy_parent(
        &self,
        tx: &Transaction<'_>,
        header: &Header,
        session: &mut Session,
    ) -> Result<bool> {
        let Some(destroy) = session.record.destroy_parent.take() else {
            return Ok(false);
        };
        if let Some(parent) = session.record.parent.take() {
            clear_cell(tx, parent)?;
            session.record.protected &= !bit(parent);
        }
        match &destroy.parent_index_key {
            Some(key) => delete_documents(tx, |id, owner| owner == owner_tag(key, id))?,
            // Written before records: the parent is the real vault, and its
            // documents are all but this vault's and its descendants'.
            None => {
                let below = self.subtree(tx, header, session)?;
                let keep = subtree_index_keys(session, &below);
                delete_documents(tx, |id, owner| {
                    !keep.iter().any(|k| owner == owner_tag(k, id))
                })?;
            }
        }
        Ok(true)
    }
}

/// Reads the session's record again inside a write transaction: another
/// handle on the same vault may have changed it since the unlock.
pub(super) fn reload_record(
    conn: &Connection,
    header: &Header,
    session: &mut Session,
) -> Result<()> {
    if let Some(record) = get_slot(conn, &record_row(session.cell))?
        .and_then(|blob| header.open_record(session.cell, &session.data_key, &blob))
    {
        session.record = record;
    }
    Ok(())
}

/// Makes a cell free: its three rows become random bytes.
pub(super) fn clear_cell(tx: &Connection, cell: u8) -> Result<()> {
    put_slot(tx, &passphrase_row(cell), &random_slot()?)?;
    put_slot(tx, &recovery_row(cell), &random_slot()?)?;
    put_slot(tx, &record_row(cell), &random_record()?)
}

/// Writes the session's record.
pub(super) fn put_record(conn: &Connection, header: &Header, session: &Session) -> Result<()> {
    put_slot(
        conn,
        &record_row(session.cell),
        &header.seal_record(&session.record, session.cell, &session.data_key)?,
    )
}

/// The index keys of the session's vault and of its known descendants.
fn subtree_index_keys(session: &Session, below: &[Descendant]) -> Vec<SecretKey> {
    std::iter::once(session.index_key.clone())
        .chain(
            below
                .iter()
                .filter_map(|d| d.data_key.as_ref().map(index_key)),
        )
        .collect()
}

/// Clears the cells of the session's descendants and deletes their
/// documents. A child written before records (key unknown) belongs to the
/// real vault written then, whose foreign documents are all its decoy's.
fn clear_descendants(tx: &Transaction<'_>, session: &Session, below: &[Descendant]) -> Result<()> {
    for d in below {
        clear_cell(tx, d.cell)?;
    }
    if below.iter().any(|d| d.data_key.is_none()) {
        return delete_foreign_documents(tx, session);
    }
    let keys: Vec<SecretKey> = below
        .iter()
        .filter_map(|d| d.data_key.as_ref().map(index_key))
        .collect();
    delete_documents(tx, |id, owner| {
        keys.iter().any(|k| owner == owner_tag(k, id))
    })
}

/// Deletes the rows of every document whose owner tag is not the session's.
pub(super) fn delete_foreign_documents(tx: &Transaction<'_>, session: &Session) -> Result<()> {
    delete_documents(tx, |id, owner| owner != owner_tag(&session.index_key, id))
}

/// Deletes the rows of the documents `doomed(id, owner tag)` picks, and
/// the private records (`carried.rs`) it picks. Their content files go at
/// the next sweep, after the commit.
fn delete_documents(tx: &Transaction<'_>, doomed: impl Fn(&[u8], &[u8]) -> bool) -> Result<()> {
    delete_owned(tx, "documents", &doomed)?;
    delete_owned(tx, "private_records", &doomed)
}

/// Deletes the rows of `table` (`documents` or `private_records`) that
/// `doomed(id, owner tag)` picks.
fn delete_owned(
    tx: &Transaction<'_>,
    table: &str,
    doomed: &dyn Fn(&[u8], &[u8]) -> bool,
) -> Result<()> {
    let ids: Vec<Vec<u8>> = {
        let mut stmt = tx.prepare(&format!("SELECT id, owner FROM {table}"))?;
        let rows = stmt.query_map([], |r| {
            Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, Vec<u8>>(1)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, owner) = row?;
            let valid = <[u8; 16]>::try_from(id.as_slice()).map(DocumentId).is_ok();
            if !valid || doomed(&id, &owner) {
                out.push(id);
            }
        }
        out
    };
    for id in ids {
        tx.execute(&format!("DELETE FROM {table} WHERE id = ?1"), [&id])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::crypto::wrap_slot;
    use super::super::labels;
    use super::super::{DocumentKind, DocumentMetadata, VaultOptions};
    use super::*;

    #[test]
    fn a_duress_slot_written_before_records_still_destroys_the_real_vault() {
        let dir = tempfile::tempdir().unwrap();
        let (vault, code) =
            Vault::create(dir.path(), "real passphrase", VaultOptions::for_tests()).unwrap();
        vault
            .add_document_bytes(DocumentMetadata::new(DocumentKind::Passport, "P"), b"real")
            .unwrap();
        let real_cell = vault.with_session(|_, s| Ok(s.cell)).unwrap();
        let header = vault.header();
        // A duress slot as the code before records wrote it: the flags in
        // its payload, the associated data of then, and no record.
        let decoy_cell = real_cell ^ 1;
        let row = passphrase_row(decoy_cell);
        let master = header.master_key("duress passphrase").unwrap();
        let legacy_aad = [labels::SLOT_AAD_PREFIX, row.as_bytes(), &header.vault_id].concat();
        let payload = SlotPayload {
            data_key: SecretKey::random().unwrap(),
            destroy_other: true,
            is_decoy: true,
            home_slot: decoy_cell,
            has_record: false,
        };
        let blob = wrap_slot(
            &passphrase_slot_key(&master, decoy_cell),
            &legacy_aad,
            &payload,
        )
        .unwrap();
        vault.with_conn(|conn| put_slot(conn, &row, &blob)).unwrap();
        vault.lock();

        vault.unlock("duress passphrase").unwrap();
        assert!(vault.list_documents().unwrap().is_empty());
        let rows: i64 = vault
            .with_conn(|c| Ok(c.query_row("SELECT count(*) FROM documents", [], |r| r.get(0))?))
            .unwrap();
        assert_eq!(rows, 0, "the real vault's documents are gone");
        vault.lock();
        assert!(vault.unlock("real passphrase").is_err());
        assert!(
            vault
                .unlock_with_recovery_code(&code, "another one")
                .is_err()
        );
        // The decoy lives on as a plain vault, with a record of its own.
        vault.unlock("duress passphrase").unwrap();
        let has_record = vault
            .with_session(|conn, s| {
                Ok(get_slot(conn, &record_row(s.cell))?
                    .and_then(|b| header.open_record(s.cell, &s.data_key, &b))
                    .is_some_and(|r| r.parent.is_none() && r.destroy_parent.is_none()))
            })
            .unwrap();
        assert!(has_record);
    }
}
