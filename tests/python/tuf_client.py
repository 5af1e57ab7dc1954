"""python-tuf's client against a Waymark repository: refresh, then download
one target. Used by content/tests/python_tuf.rs.

usage: tuf_client.py TRUSTED_ROOT METADATA_DIR BASE_URL TARGET OUT_DIR
"""
import os
import sys

from tuf.ngclient import Updater


def main() -> int:
    trusted_root, metadata_dir, base_url, target, out_dir = sys.argv[1:6]
    os.makedirs(metadata_dir, exist_ok=True)
    os.makedirs(out_dir, exist_ok=True)
    with open(trusted_root, "rb") as f:
        root_bytes = f.read()
    updater = Updater(
        bootstrap=root_bytes,
        metadata_dir=metadata_dir,
        metadata_base_url=base_url + "/metadata/",
        target_base_url=base_url + "/targets/",
        target_dir=out_dir,
    )
    updater.refresh()
    info = updater.get_targetinfo(target)
    if info is None:
        print(f"target {target} not found", file=sys.stderr)
        return 2
    path = updater.download_target(info)
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
