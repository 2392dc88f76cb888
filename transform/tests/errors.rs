//! Every kind of bad project gets exit code 2 and an error naming the file, line and culprit,
//! with a did-you-mean where one is close. Messages are snapshotted (insta).

mod common;

use common::Fixture;

/// Applies `edit` to a fresh fixture, runs `args`, and returns stderr (exit code 2 asserted).
fn error_of(edit: impl FnOnce(&Fixture), args: &[&str]) -> String {
    let f = Fixture::new();
    edit(&f);
    let o = f.run(args);
    assert_eq!(o.code, 2, "expected a project error for {args:?}\n{}", o.all());
    o.stderr.replace(&f.dir.path().display().to_string(), "<project>").trim().to_string()
}

#[test]
fn bad_projects_name_the_culprit() {
    type Case<'a> = (&'a str, Box<dyn FnOnce(&Fixture)>, &'a [&'a str]);
    let cases: Vec<Case> = vec![
        ("unknown_function", Box::new(|f: &Fixture| f.write("models/bad.sql", "select {{ refs('stg_orders') }}")), &["parse"]),
        ("missing_ref", Box::new(|f: &Fixture| f.write("models/bad.sql", "select * from {{ ref('stg_order') }}")), &["parse"]),
        ("missing_source", Box::new(|f: &Fixture| f.write("models/bad.sql", "select * from {{ source('raw', 'order') }}")), &["parse"]),
        ("config_typo_in_model", Box::new(|f: &Fixture| f.write("models/bad.sql", "{{ config(materialized='incremental', uniqe_key='id') }}\nselect 1")), &["parse"]),
        ("unsupported_materialization", Box::new(|f: &Fixture| f.write("models/bad.sql", "{{ config(materialized='snapshot') }} select 1")), &["parse"]),
        ("unsupported_strategy", Box::new(|f: &Fixture| f.write("models/bad.sql", "{{ config(materialized='incremental', incremental_strategy='mrege') }} select 1")), &["parse"]),
        ("missing_var", Box::new(|f: &Fixture| f.write("models/bad.sql", "select {{ var('nope') }}")), &["parse"]),
        ("jinja_syntax", Box::new(|f: &Fixture| f.write("models/bad.sql", "select 1\n{% if %}")), &["parse"]),
        // Templates compile as they first render, on all cores: a syntax error still comes before an
        // earlier file's render error, as when every template was compiled before any render.
        (
            "jinja_syntax_before_render_errors",
            Box::new(|f: &Fixture| {
                f.write("models/a_bad.sql", "select {{ refs('stg_orders') }}");
                f.write("models/z_bad.sql", "select 1\n{% if %}");
            }),
            &["parse"],
        ),
        ("raise_compiler_error", Box::new(|f: &Fixture| f.write("models/bad.sql", "select 1\n  {{ exceptions.raise_compiler_error('bad input') }}")), &["parse"]),
        (
            "macro_stack",
            Box::new(|f: &Fixture| {
                f.write("macros/bad.sql", "{% macro outer_m(x) %}\n  {{ inner_m(x) }}\n{% endmacro %}\n{% macro inner_m(x) %}\n  select {{ x.nope() }}\n{% endmacro %}\n");
                f.write("models/bad.sql", "select 1 -- {{ outer_m(1) }}");
            }),
            &["parse"],
        ),
        ("project_config_typo", Box::new(|f: &Fixture| f.replace("dbt_project.yml", "+materialized: table", "+materialised: table")), &["parse"]),
        ("project_path_typo", Box::new(|f: &Fixture| f.replace("dbt_project.yml", "    staging:", "    stagin:")), &["parse"]),
        ("project_top_level_typo", Box::new(|f: &Fixture| f.replace("dbt_project.yml", "model-paths:", "model-path:")), &["parse"]),
        ("yaml_syntax", Box::new(|f: &Fixture| f.write("models/bad.yml", "version: 2\nmodels:\n  - name: orders\n   columns: [")), &["parse"]),
        ("property_typo", Box::new(|f: &Fixture| f.replace("models/marts/schema.yml", "    description: Orders", "    descripton: Orders")), &["parse"]),
        ("property_for_missing_model", Box::new(|f: &Fixture| f.replace("models/marts/schema.yml", "  - name: customers\n", "  - name: customer\n")), &["parse"]),
        ("unknown_generic_test", Box::new(|f: &Fixture| f.replace("models/marts/schema.yml", "[unique]", "[uniqe]")), &["compile"]),
        ("test_config_typo", Box::new(|f: &Fixture| f.replace("models/marts/schema.yml", "severity: warn", "severty: warn")), &["parse"]),
        ("cycle", Box::new(|f: &Fixture| f.write("models/staging/stg_customers.sql", "select * from {{ ref('customers') }}")), &["parse"]),
        ("duplicate_model", Box::new(|f: &Fixture| f.write("models/marts/more/orders.sql", "select 1")), &["parse"]),
        ("missing_target", Box::new(|_: &Fixture| {}), &["parse", "--target", "prod"]),
        ("missing_profile", Box::new(|f: &Fixture| f.replace("dbt_project.yml", "profile: jaffle", "profile: jaffel")), &["parse"]),
        ("bad_selector", Box::new(|_: &Fixture| {}), &["ls", "-s", "tagg:x"]),
        ("bad_vars", Box::new(|_: &Fixture| {}), &["parse", "--vars", "[1, 2]"]),
        ("materialization_argument", Box::new(|f: &Fixture| f.write("macros/mat.sql", "\n{% materialization foo, flavour='x' %}{% endmaterialization %}")), &["parse"]),
    ];
    let mut all = String::new();
    for (name, edit, args) in cases {
        all.push_str(&format!("## {name}\n{}\n\n", error_of(edit, args)));
    }
    insta::assert_snapshot!("bad_projects", all);
}

#[test]
fn usage_errors_exit_2() {
    let f = Fixture::new();
    assert_eq!(f.run(&["bogus"]).code, 2);
    assert_eq!(f.run(&["run", "--threads", "many"]).code, 2);
    let o = f.run(&["--project-dir", "/nonexistent", "parse"]);
    assert_eq!(o.code, 2);
}
