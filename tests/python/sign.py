"""A signing command for `waymark-pack --sign-command`, for machines without
OpenSSL's command line: signs its standard input with a PEM private key as
securesystemslib's CryptoSigner does (ECDSA P-256 with SHA-256, DER; RSA
RSASSA-PSS with SHA-256, 32-byte salt; ed25519) and prints the signature as
hex. Used by content/tests/keys.rs.

usage: sign.py PRIVATE_KEY_PEM < DATA
"""
import sys

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa


def main() -> int:
    with open(sys.argv[1], "rb") as f:
        key = serialization.load_pem_private_key(f.read(), password=None)
    data = sys.stdin.buffer.read()
    if isinstance(key, ec.EllipticCurvePrivateKey):
        sig = key.sign(data, ec.ECDSA(hashes.SHA256()))
    elif isinstance(key, rsa.RSAPrivateKey):
        pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
        sig = key.sign(data, pss, hashes.SHA256())
    elif isinstance(key, ed25519.Ed25519PrivateKey):
        sig = key.sign(data)
    else:
        print(f"unsupported key {type(key)}", file=sys.stderr)
        return 2
    print(sig.hex())
    return 0


if __name__ == "__main__":
    sys.exit(main())
