"""Writes a TUF repository with python-tuf's metadata API, with one target
file, so that Waymark's client can be checked against a second
implementation. Used by core/tests/python_tuf_repo.rs.

usage: tuf_repo.py REPO_DIR TARGET_PATH TARGET_FILE
Writes REPO_DIR/metadata/{1.root.json,timestamp.json,1.snapshot.json,1.targets.json}.
"""
import os
import sys
from datetime import datetime, timedelta, timezone

from securesystemslib.signer import CryptoSigner
from tuf.api.metadata import (
    Metadata,
    MetaFile,
    Root,
    Snapshot,
    TargetFile,
    Targets,
    Timestamp,
)
from tuf.api.serialization.json import JSONSerializer


def main() -> int:
    repo_dir, target_path, target_file = sys.argv[1:4]
    meta_dir = os.path.join(repo_dir, "metadata")
    os.makedirs(meta_dir, exist_ok=True)
    expires = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=7)
    signers = {role: CryptoSigner.generate_ed25519() for role in ("root", "targets", "snapshot", "timestamp")}

    root = Metadata(Root(expires=expires, consistent_snapshot=True))
    for role, signer in signers.items():
        root.signed.add_key(signer.public_key, role)

    targets = Metadata(Targets(expires=expires))
    targets.signed.targets[target_path] = TargetFile.from_file(target_path, target_file, ["sha256"])

    snapshot = Metadata(Snapshot(expires=expires))
    timestamp = Metadata(Timestamp(expires=expires))

    serializer = JSONSerializer(compact=False)
    root.sign(signers["root"])
    targets.sign(signers["targets"])
    targets_bytes = targets.to_bytes(serializer)
    snapshot.signed.meta["targets.json"] = MetaFile(version=targets.signed.version)
    snapshot.sign(signers["snapshot"])
    snapshot_bytes = snapshot.to_bytes(serializer)
    timestamp.signed.snapshot_meta = MetaFile(version=snapshot.signed.version)
    timestamp.sign(signers["timestamp"])

    files = {
        "1.root.json": root.to_bytes(serializer),
        "1.targets.json": targets_bytes,
        "1.snapshot.json": snapshot_bytes,
        "timestamp.json": timestamp.to_bytes(serializer),
    }
    for name, data in files.items():
        with open(os.path.join(meta_dir, name), "wb") as f:
            f.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
