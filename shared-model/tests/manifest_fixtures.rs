//! The shared manifest fixtures: every valid one validates, every invalid one
//! reports exactly the problems listed in its `.expected` file, in order.

use std::fs;
use std::path::PathBuf;

use shared_model::manifest::{Manifest, SealedSecret};
use shared_model::secret::Keyring;

fn fixtures(kind: &str) -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/manifests").join(kind);
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

fn load(path: &PathBuf) -> Manifest {
    Manifest::from_json(&fs::read_to_string(path).unwrap()).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn shop() -> Manifest {
    load(&fixtures("valid").into_iter().find(|p| p.ends_with("shop.json")).unwrap())
}

#[test]
fn every_valid_fixture_validates() {
    let files = fixtures("valid");
    assert!(files.len() >= 2);
    for path in files {
        if let Err(problems) = load(&path).validate() {
            panic!("{}: {problems}", path.display());
        }
    }
}

#[test]
fn an_invalid_manifest_reports_every_problem_with_its_path() {
    for path in fixtures("invalid") {
        let expected_file = path.with_extension("expected");
        let Ok(expected) = fs::read_to_string(&expected_file) else { continue };
        let problems = load(&path).validate().unwrap_err();
        let paths: Vec<&str> = problems.0.iter().map(|p| p.path.as_str()).collect();
        let want: Vec<&str> = expected.lines().filter(|l| !l.is_empty()).collect();
        assert_eq!(paths, want, "{}:\n{problems}", path.display());
    }
}

#[test]
fn unknown_fields_are_refused_at_parse_time() {
    let path = fixtures("invalid").into_iter().find(|p| p.ends_with("unknown-field.json")).unwrap();
    let err = Manifest::from_json(&fs::read_to_string(path).unwrap()).unwrap_err();
    assert!(err.to_string().contains("colour"), "{err}");
}

#[test]
fn the_content_hash_covers_everything_but_itself() {
    let mut m = shop();
    m.seal_hash();
    assert!(m.content_hash.starts_with("sha256:") && m.content_hash.len() == 71);
    assert_eq!(m.validate(), Ok(()));
    let reparsed = Manifest::from_json(&serde_json::to_string_pretty(&m).unwrap()).unwrap();
    assert_eq!(reparsed.compute_hash(), m.content_hash, "formatting does not change the hash");
    m.tools[0].sql.push(' ');
    assert_eq!(m.validate().unwrap_err().0[0].path, "content_hash");
}

#[test]
fn passwords_are_sealed_for_the_runtime_and_checked_at_load() {
    let key = Keyring::generate_key();
    let ring = Keyring::from_base64_list(&key).unwrap();
    let mut m = shop();
    m.connections[0].password = Some(SealedSecret::seal(&ring, "hunter2"));
    let json = serde_json::to_string(&m).unwrap();
    assert!(!json.contains("hunter2"));
    assert!(!format!("{m:?}").contains("hunter2"));
    assert_eq!(m.connections[0].password.as_ref().unwrap().open(&ring).unwrap(), "hunter2");
    let other = Keyring::from_base64_list(&Keyring::generate_key()).unwrap();
    let problems = m.check_secrets(&other).unwrap_err();
    assert_eq!(problems.0[0].path, "connections[0].password");
}

#[test]
fn the_json_schema_documents_every_field() {
    let schema = serde_json::to_value(Manifest::json_schema()).unwrap();
    let defs = schema["$defs"].as_object().unwrap();
    let mut undocumented = Vec::new();
    for (name, def) in defs.iter().chain([(&"Manifest".to_string(), &schema)]) {
        for (field, prop) in def["properties"].as_object().into_iter().flatten() {
            let doc = prop.get("description").or_else(|| prop.pointer("/allOf/0/description"));
            if doc.is_none() {
                undocumented.push(format!("{name}.{field}"));
            }
        }
    }
    assert!(undocumented.is_empty(), "fields without a doc comment: {undocumented:?}");
}

#[test]
fn return_types_and_vars_are_carried_and_left_out_when_default_so_old_hashes_hold() {
    use shared_model::manifest::ReturnType;
    let m = shop();
    assert_eq!(m.tools[0].return_type, ReturnType::Rows);
    assert_eq!(m.tools[1].return_type, ReturnType::Scalar);
    assert_eq!(m.vars["currency"], "EUR");
    let again = Manifest::from_json(&serde_json::to_string(&m).unwrap()).unwrap();
    assert_eq!(again, m);
    // A manifest written before the fields existed serializes (and so hashes)
    // exactly as before: the defaults are left out.
    let mut old = m.clone();
    old.vars.clear();
    old.tools[1].return_type = ReturnType::Rows;
    let text = serde_json::to_string(&old).unwrap();
    assert!(!text.contains("return_type") && !text.contains("\"vars\""), "{text}");
    assert_eq!("row".parse::<ReturnType>(), Ok(ReturnType::Row));
    assert!("list[dict]".parse::<ReturnType>().is_err());
}

#[test]
fn the_json_schema_bounds_vars_and_names_the_return_types() {
    let schema = serde_json::to_value(Manifest::json_schema()).unwrap();
    let vars = &schema["properties"]["vars"];
    assert_eq!(vars["maxProperties"], 100, "{vars}");
    assert_eq!(vars["propertyNames"]["pattern"], "^[a-zA-Z_][a-zA-Z0-9_]{0,63}$");
    let text = schema["$defs"]["ReturnType"].to_string();
    assert!(["rows", "row", "scalar"].iter().all(|r| text.contains(&format!("\"{r}\""))), "{text}");
}
