//! Model contracts on a real DuckDB: an enforced contract is checked against the model's columns
//! (dbt's error and mismatch table), the table is created with the declared types and constraints
//! (so a row breaking one fails the build), views are checked only, incrementals keep checking each
//! batch, and the manifest carries `contract`/`constraints`. On the BigQuery emulator: dbt-bigquery's
//! DDL (not_null enforced, keys `not enforced`, check left out with its warning) and its grants.

mod bigquery_emulator;
mod common;

use bigquery_emulator::Emulator;
use common::Fixture;

fn manifest(f: &Fixture) -> serde_json::Value {
    serde_json::from_str(&f.read("target/manifest.json")).expect("manifest.json parses")
}

#[test]
fn contracted_tables_have_the_declared_types_and_constraints() {
    let f = Fixture::copy("contracts", "");
    let out = f.expect(&["build"], 1);
    let all = out.all();
    assert!(all.contains("Compilation Error in model wrong_types (models/wrong_types.sql)"), "{all}");
    assert!(all.contains("This model has an enforced contract that failed."), "{all}");
    assert!(all.contains("| id          | VARCHAR         | INTEGER       | data type mismatch    |"), "{all}");
    assert!(all.contains("| missing     |                 | VARCHAR       | missing in definition |"), "{all}");
    // varchar(2) is VARCHAR in DuckDB; `string` is aliased to TEXT (VARCHAR); int is INTEGER.
    let types = f.query("select column_name, data_type from information_schema.columns where table_name = 'customers' order by ordinal_position");
    let types: Vec<String> = types.iter().map(|r| format!("{}={}", r[0], r[1])).collect();
    assert_eq!(types.join(","), r#"Text("customer_id")=Text("INTEGER"),Text("country")=Text("VARCHAR"),Text("name")=Text("VARCHAR"),Text("amount")=Text("DOUBLE")"#);
    // The constraints are DuckDB's now: each of these statements breaks one.
    let conn = duckdb::Connection::open(f.path("target/dev.duckdb")).expect("open");
    for (sql, why) in [
        ("insert into customers values (1, 'FR', 'Dup', 1)", "primary key"),
        ("insert into customers values (9, 'FR', null, 1)", "not null"),
        ("insert into customers values (9, 'FR', '', 1)", "check"),
        ("insert into customers values (9, 'FR', 'Neg', -1)", "named check"),
        ("insert into customers values (9, 'XX', 'Far', 1)", "column foreign key `to: ref('countries')`"),
        ("insert into orders values (2, 99, 'FR')", "model foreign key `to: ref('customers')`"),
        ("insert into orders values (2, 1, 'XX')", "column foreign key `expression:`"),
        ("insert into countries values ('IT', 'France')", "unique"),
    ] {
        assert!(conn.execute(sql, []).is_err(), "{why} was not enforced: {sql}");
    }
    conn.execute("insert into customers (customer_id, country, name) values (9, 'DE', 'Dee')", []).expect("default applies");
    // As in dbt, a model compiled in the run has its foreign keys' `to` compiled to the relation.
    let m = manifest(&f);
    assert_eq!(m["nodes"]["model.contracts.customers"]["columns"]["country"]["constraints"][0]["to"], r#""dev"."main"."countries""#);
    let amount = f.query("select amount from customers where customer_id = 9");
    assert_eq!(amount[0][0], "Double(0.0)");
}

#[test]
fn a_view_is_checked_and_an_incremental_checks_each_batch() {
    let f = Fixture::copy("contracts", "");
    f.write("models/wrong_types.sql", "select 1 as id, current_date as day, 'a' as missing\n");
    let out = f.expect(&["build"], 0);
    assert!(out.all().contains("Constraint types are not supported for view materializations"), "{}", out.all());
    f.expect(&["run", "-s", "customer_totals"], 0);
    // A renamed column in the next batch breaks the incremental's contract; the table is untouched.
    f.replace("models/customer_totals.sql", "as total", "as grand_total");
    let out = f.expect(&["run", "-s", "customer_totals"], 1);
    assert!(out.all().contains("| grand_total | DOUBLE          |               | missing in contract   |"), "{}", out.all());
    assert_eq!(f.count("select count(*) from customer_totals"), 2);
    f.replace("models/customer_names.sql", "customer_id, name", "customer_id, name, country");
    let out = f.expect(&["run", "-s", "customer_names"], 1);
    assert!(out.all().contains("| country     | VARCHAR         |               | missing in contract |"), "{}", out.all());
}

#[test]
fn contract_mistakes_are_parse_errors() {
    let f = Fixture::copy("contracts", "");
    f.replace("models/customer_totals.sql", ", on_schema_change='append_new_columns'", "");
    let out = f.expect(&["parse"], 2);
    assert!(out.all().contains("Invalid value for on_schema_change: ignore. Models materialized as incremental with contracts enabled must set on_schema_change to 'append_new_columns' or 'fail'"), "{}", out.all());
    let f = Fixture::copy("contracts", "");
    f.replace("models/schema.yml", "type: custom", "type: default");
    let out = f.expect(&["parse"], 2);
    assert!(out.all().contains("models/schema.yml") && out.all().contains("Invalid constraint type `default`"), "{}", out.all());
    let f = Fixture::copy("contracts", "");
    f.replace("models/schema.yml", "      - name: code\n        data_type: varchar(2)", "      - name: code\n        data_type: varchar(2)\n        constraints: [{type: primary_key}]");
    let out = f.expect(&["parse"], 2);
    assert!(out.all().contains("Primary key constraints defined at the model level and the columns level"), "{}", out.all());
    for (to, expected) in [
        ("to: countries", "Invalid 'ref' or 'source' syntax on foreign key constraint 'to' on model customers: countries."),
        ("to: ref('nowhere')", "customers depends on model `nowhere` which was not found"),
        ("to: source('raw', 'countries')", "source `raw.countries` which was not found"),
    ] {
        let f = Fixture::copy("contracts", "");
        f.replace("models/schema.yml", "to: ref('countries')", to);
        let out = f.expect(&["parse"], 2);
        assert!(out.all().contains("models/schema.yml") || out.all().contains("models/customers.sql"), "{}", out.all());
        assert!(out.all().contains(expected), "{to}: {}", out.all());
    }
    let f = Fixture::copy("contracts", "");
    f.replace("models/schema.yml", "      - name: day\n        data_type: date", "      - name: day");
    let out = f.expect(&["run", "-s", "wrong_types"], 1);
    assert!(out.all().contains("Contracted models require data_type to be defined for each column. Please ensure that the column name and data_type are defined within the YAML configuration for the ['day'] column(s)."), "{}", out.all());
}

#[test]
fn the_manifest_carries_the_contract() {
    let f = Fixture::copy("contracts", "");
    f.expect(&["parse"], 0);
    let m = manifest(&f);
    let n = &m["nodes"]["model.contracts.countries"];
    assert_eq!(n["config"]["contract"], serde_json::json!({"enforced": true, "alias_types": true}));
    assert_eq!(n["contract"]["enforced"], true);
    assert_eq!(n["contract"]["checksum"].as_str().map(str::len), Some(64));
    assert_eq!(n["constraints"][0]["type"], "primary_key");
    assert_eq!(n["constraints"][0]["columns"], serde_json::json!(["code"]));
    assert_eq!(n["columns"]["name"]["constraints"][1]["type"], "unique");
    assert!(n["columns"]["name"]["constraints"][1].get("columns").is_none());
    assert_eq!(m["nodes"]["model.contracts.wrong_types"]["contract"]["enforced"], true);
    // dbt 1.9's foreign keys: `to` as written, and the referenced model is a parent (a ref after the SQL's).
    let customers = &m["nodes"]["model.contracts.customers"];
    let fk = &customers["columns"]["country"]["constraints"][0];
    assert_eq!((&fk["to"], &fk["to_columns"], &fk["expression"]), (&serde_json::json!("ref('countries')"), &serde_json::json!(["code"]), &serde_json::Value::Null));
    assert_eq!(customers["refs"][1]["name"], "countries");
    assert!(customers["depends_on"]["nodes"].as_array().unwrap().contains(&serde_json::json!("model.contracts.countries")));
    let orders = &m["nodes"]["model.contracts.orders"];
    assert_eq!(orders["constraints"][0]["to"], "ref('customers')");
    assert_eq!(orders["depends_on"]["nodes"], serde_json::json!(["model.contracts.customers"]));
    assert_eq!(m["parent_map"]["model.contracts.orders"], serde_json::json!(["model.contracts.customers"]));
    let listed = f.expect(&["ls", "-q", "-s", "+orders", "--resource-type", "model"], 0);
    assert_eq!(listed.stdout.lines().collect::<Vec<_>>(), ["contracts.countries", "contracts.customers", "contracts.orders"]);
    let plain = &Fixture::new();
    plain.expect(&["parse"], 0);
    let m = manifest(plain);
    assert_eq!(m["nodes"]["model.jaffle.orders"]["contract"], serde_json::json!({"enforced": false, "alias_types": true, "checksum": null}));
}

#[test]
fn a_latest_version_without_versions_is_dbts_error() {
    let f = Fixture::copy("contracts", "");
    f.replace("models/schema.yml", "  - name: countries\n", "  - name: countries\n    latest_version: 1\n");
    let out = f.expect(&["parse"], 2);
    assert!(out.all().contains("models/schema.yml: latest_version: 1 is not one of model 'countries' versions: [] "), "{}", out.all());
}

/// A contracted table and a broken contract on the BigQuery emulator, with grants.
fn bigquery_project(emu: &Emulator) -> Fixture {
    let f = Fixture::copy("contracts", "");
    f.write("profiles.yml", &emu.profile("contracts", "main"));
    for m in ["countries", "customers", "customer_names", "customer_totals", "orders", "wrong_types"] {
        let _ = std::fs::remove_file(f.path(&format!("models/{m}.sql")));
    }
    let _ = std::fs::remove_file(f.path("seeds/raw_customers.csv"));
    f.write("models/c.sql", "select 1 as id, 'a' as name\n");
    f.write("models/bad.sql", "select 'x' as id\n");
    // The emulator has no GRANT: the project's grants would fail every model (g below tries one).
    f.replace("dbt_project.yml", "    +grants:\n      select: ['alice']\n", "");
    f.write("models/o.sql", "select 1 as c_id\n");
    f.write(
        "models/schema.yml",
        "models:\n  - name: c\n    config:\n      contract: {enforced: true}\n    constraints:\n      - type: primary_key\n        columns: [id]\n    columns:\n      - name: id\n        data_type: int64\n        constraints: [{type: not_null}]\n      - name: name\n        data_type: string\n        constraints: [{type: check, expression: \"name != ''\"}]\n  - name: bad\n    config:\n      contract: {enforced: true}\n    columns:\n      - name: id\n        data_type: integer\n  - name: o\n    config:\n      contract: {enforced: true}\n    columns:\n      - name: c_id\n        data_type: int64\n        constraints: [{type: foreign_key, to: \"ref('c')\", to_columns: [id]}]\n",
    );
    f
}

#[test]
fn contracts_and_grants_on_the_bigquery_emulator() {
    let Some(emu) = Emulator::start() else { return };
    let f = bigquery_project(&emu);
    let out = f.expect(&["run"], 1);
    let all = out.all();
    // dbt-bigquery's support table: check is left out (E049), the primary key is written `not enforced` (E048).
    assert!(all.contains("The constraint type check is not supported by bigquery, and will be"), "{all}");
    assert!(all.contains("The constraint type primary_key is not enforced by bigquery."), "{all}");
    // A foreign key `to: ref('c')`: `references `project`.`main`.`c` (id) not enforced`, after c is built
    // (the emulator checks that c's primary key is the referenced column, as BigQuery does).
    assert!(all.contains("The constraint type foreign_key is not enforced by bigquery."), "{all}");
    assert!(all.contains("OK created sql table model main.o"), "{all}");
    // `integer` is aliased to INT64; the query's STRING does not match it.
    assert!(all.contains("| id          | STRING          | INTEGER       | data type mismatch |"), "{all}");
    let bq = emu.connect("main");
    let rel = transform::project::RelationName { database: bigquery_emulator::PROJECT.into(), schema: "main".into(), identifier: "c".into() };
    let t = bq.table(&rel).expect("tables.get").expect("c was created");
    let fields = t.schema.fields.unwrap_or_default();
    let modes: Vec<(String, Option<String>)> = fields.into_iter().map(|c| (c.name, c.mode)).collect();
    assert_eq!(modes, [("id".to_string(), Some("REQUIRED".to_string())), ("name".to_string(), Some("NULLABLE".to_string()))]);
    // Grants are dbt-bigquery's statements (checked in warehouse::bigquery::grants); the emulator has
    // neither GRANT nor OBJECT_PRIVILEGES and says so. A new relation is granted directly; one that
    // existed has its current grants read first.
    f.write("models/g.sql", "{{ config(grants={'roles/bigquery.dataViewer': ['user:a@example.com']}) }}\nselect 1 as id\n");
    let out = f.expect(&["run", "-s", "g"], 1);
    assert!(out.all().contains("model.contracts.g: BigQuery: Syntax error: Unexpected GRANT"), "{}", out.all());
    let out = f.expect(&["run", "-s", "g"], 1);
    assert!(out.all().contains("region-US.INFORMATION_SCHEMA.OBJECT_PRIVILEGES"), "{}", out.all());
}
