//! The age format implementation (`waymark_core::backup::age`) against the
//! age project's published test vectors (C2SP CCTV; see
//! `tests/data/age-cctv/README.md`): every vector decrypts to the expected
//! payload, or fails at the expected stage having released only the
//! expected prefix.

use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};
use waymark_core::backup::age::{AgeError, Decryptor, Identity, X25519Identity};
use zeroize::Zeroizing;

struct Vector {
    expect: String,
    payload: Option<String>,
    identities: Vec<Identity>,
    file: Vec<u8>,
}

fn parse(bytes: &[u8]) -> Vector {
    let split = bytes
        .windows(2)
        .position(|w| w == b"\n\n")
        .expect("a blank line after the vector's header");
    let head = std::str::from_utf8(&bytes[..split]).unwrap();
    let mut file = bytes[split + 2..].to_vec();
    let mut v = Vector {
        expect: String::new(),
        payload: None,
        identities: Vec::new(),
        file: Vec::new(),
    };
    for line in head.lines() {
        let (key, value) = line.split_once(": ").expect("key: value");
        match key {
            "expect" => v.expect = value.to_owned(),
            "payload" => v.payload = Some(value.to_owned()),
            "identity" => v
                .identities
                .push(Identity::X25519(X25519Identity::parse(value).unwrap())),
            "passphrase" => v
                .identities
                .push(Identity::Passphrase(Zeroizing::new(value.to_owned()))),
            "compressed" => {
                assert_eq!(value, "zstd");
                let mut out = Vec::new();
                ruzstd::decoding::StreamingDecoder::new(&file[..])
                    .unwrap()
                    .read_to_end(&mut out)
                    .unwrap();
                file = out;
            }
            "file key" | "comment" => {}
            other => panic!("unknown vector key {other}"),
        }
    }
    v.file = file;
    v
}

/// What happened: the outcome class, and the plaintext released before it.
fn run(v: &Vector) -> (String, Vec<u8>) {
    let mut released = Vec::new();
    let mut d = match Decryptor::new(&v.file[..], &v.identities) {
        Ok(d) => d,
        Err(e) => {
            let class = match e {
                AgeError::Header(_) | AgeError::Unsupported(_) => "header failure",
                AgeError::NoMatch => "no match",
                AgeError::HeaderMac => "HMAC failure",
                other => panic!("unexpected error before the payload: {other}"),
            };
            return (class.into(), released);
        }
    };
    let mut buf = [0u8; 1000];
    loop {
        match d.read(&mut buf) {
            Ok(0) => return ("success".into(), released),
            Ok(n) => released.extend_from_slice(&buf[..n]),
            Err(e) => {
                let inner = e.get_ref().and_then(|i| i.downcast_ref::<AgeError>());
                assert!(
                    matches!(inner, Some(AgeError::Payload(_))),
                    "a payload error, got {e}"
                );
                return ("payload failure".into(), released);
            }
        }
    }
}

#[test]
fn every_cctv_vector_gives_its_expected_result() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/age-cctv");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n != "README.md")
        .collect();
    names.sort();
    let mut failures = Vec::new();
    for name in &names {
        let v = parse(&std::fs::read(dir.join(name)).unwrap());
        let (got, released) = run(&v);
        let hash = hex::encode(Sha256::digest(&released));
        if got != v.expect {
            failures.push(format!("{name}: expected {}, got {got}", v.expect));
        } else if let Some(want) = &v.payload {
            if &hash != want {
                failures.push(format!(
                    "{name}: released plaintext differs from the vector's hash"
                ));
            }
        } else if !released.is_empty() {
            failures.push(format!(
                "{name}: released plaintext where none was expected"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} vectors failed:\n{}",
        failures.len(),
        names.len(),
        failures.join("\n")
    );
    assert_eq!(names.len(), 92, "every vector kept was run");
}
