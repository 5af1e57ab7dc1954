"""Writes a TUF repository with python-tuf's metadata API, with delegations
and consistent snapshots, so that Waymark's client (waymark-tuf-client) can
be checked against a second implementation. Used by tests/tests/tuf_client.rs.

usage: tuf_repo_delegated.py REPO_DIR TARGET_FILE

Top-level targets delegate, in this order:
  "alerts" (terminating, paths alerts/*): lists nothing;
  "packs"  (paths packs/*, alerts/*): lists packs/interop.wmpack (TARGET_FILE)
           and alerts/hidden.txt.
So packs/interop.wmpack is found through "packs", and alerts/hidden.txt must
NOT be found: the terminating "alerts" delegation ends the search.
Writes REPO_DIR/metadata/{1.root.json,timestamp.json,1.snapshot.json,
1.targets.json,1.alerts.json,1.packs.json} and REPO_DIR/targets/ with
hash-prefixed file names.
"""
import hashlib
import os
import sys
from datetime import datetime, timedelta, timezone

from securesystemslib.signer import CryptoSigner
from tuf.api.metadata import (
    DelegatedRole,
    Delegations,
    Metadata,
    MetaFile,
    Root,
    Snapshot,
    TargetFile,
    Targets,
    Timestamp,
)
from tuf.api.serialization.json import JSONSerializer


def write(path: str, data: bytes) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def main() -> int:
    repo_dir, target_file = sys.argv[1:3]
    meta_dir = os.path.join(repo_dir, "metadata")
    expires = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=7)
    roles = ("root", "targets", "snapshot", "timestamp", "alerts", "packs")
    signers = {role: CryptoSigner.generate_ed25519() for role in roles}

    root = Metadata(Root(expires=expires, consistent_snapshot=True))
    for role in ("root", "targets", "snapshot", "timestamp"):
        root.signed.add_key(signers[role].public_key, role)

    top = Metadata(Targets(expires=expires))
    top.signed.delegations = Delegations(keys={}, roles={})
    for name, paths, terminating in (
        ("alerts", ["alerts/*"], True),
        ("packs", ["packs/*", "alerts/*"], False),
    ):
        role = DelegatedRole(
            name=name, keyids=[], threshold=1, terminating=terminating, paths=paths
        )
        top.signed.delegations.roles[name] = role
        top.signed.add_key(signers[name].public_key, name)

    files = {
        "packs/interop.wmpack": open(target_file, "rb").read(),
        "alerts/hidden.txt": b"must not be found: a terminating delegation hides it\n",
    }
    alerts = Metadata(Targets(expires=expires))
    packs = Metadata(Targets(expires=expires))
    for path, data in files.items():
        info = TargetFile.from_data(path, data, ["sha256"])
        packs.signed.targets[path] = info
        directory, name = path.rsplit("/", 1)
        digest = hashlib.sha256(data).hexdigest()
        write(os.path.join(repo_dir, "targets", directory, f"{digest}.{name}"), data)

    serializer = JSONSerializer(compact=False)
    root.sign(signers["root"])
    top.sign(signers["targets"])
    alerts.sign(signers["alerts"])
    packs.sign(signers["packs"])
    snapshot = Metadata(Snapshot(expires=expires))
    for name, md in (("targets", top), ("alerts", alerts), ("packs", packs)):
        snapshot.signed.meta[f"{name}.json"] = MetaFile(version=md.signed.version)
    snapshot.sign(signers["snapshot"])
    timestamp = Metadata(Timestamp(expires=expires))
    timestamp.signed.snapshot_meta = MetaFile(version=snapshot.signed.version)
    timestamp.sign(signers["timestamp"])

    out = {
        "1.root.json": root,
        "1.targets.json": top,
        "1.alerts.json": alerts,
        "1.packs.json": packs,
        "1.snapshot.json": snapshot,
        "timestamp.json": timestamp,
    }
    for name, md in out.items():
        write(os.path.join(meta_dir, name), md.to_bytes(serializer))
    return 0


if __name__ == "__main__":
    sys.exit(main())
