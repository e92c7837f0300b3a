//! A fake Odoo for the tests: a real HTTP server on a port of its own speaking
//! Odoo's external JSON-RPC protocol (`POST /jsonrpc`, `common.authenticate`,
//! `object.execute_kw` with `search_read`) over in-memory records shaped as
//! Odoo documents them (many2one fields as `[id, "name"]`, datetimes as UTC
//! `YYYY-MM-DD HH:MM:SS` text). `search_read` honours the domain (prefix
//! notation with `&`, `|`, `!`, leaves with `=`, `!=`, `>`, `>=`, `<`, `<=`,
//! `in`, `not in`), `fields`, `order`, `offset` and `limit`, as Odoo does.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::Json;
use serde_json::{json, Map, Value};

pub const DB: &str = "atelier-test";
pub const USER: &str = "sync@example.test";
pub const API_KEY: &str = "odoo-test-api-key";
const UID: i64 = 2;

#[derive(Default)]
struct Store {
    models: BTreeMap<String, Vec<Map<String, Value>>>,
    next_id: i64,
    /// Seconds past 2026-12-01 00:00:00 of the next write.
    clock: i64,
    search_reads: BTreeMap<String, usize>,
}

#[derive(Clone)]
pub struct FakeOdoo {
    pub url: String,
    store: Arc<Mutex<Store>>,
}

fn stamp(seconds: i64) -> String {
    let base = chrono::NaiveDate::from_ymd_opt(2026, 12, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .expect("a date");
    (base + chrono::Duration::seconds(seconds))
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

impl FakeOdoo {
    pub async fn start() -> Self {
        let store = Arc::new(Mutex::new(Store {
            next_id: 1,
            ..Store::default()
        }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let address = listener.local_addr().expect("address");
        let router = axum::Router::new()
            .route("/jsonrpc", axum::routing::post(jsonrpc))
            .with_state(store.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Self {
            url: format!("http://{address}"),
            store,
        }
    }

    /// The settings that point Atelier at this fake.
    pub fn vars(&self) -> Vec<(&'static str, String)> {
        vec![
            ("ODOO_URL", self.url.clone()),
            ("ODOO_DB", DB.into()),
            ("ODOO_USER", USER.into()),
            ("ODOO_API_KEY", API_KEY.into()),
        ]
    }

    /// Creates a record (Odoo sets `id` and `write_date`); returns its id.
    pub fn create(&self, model: &str, fields: Value) -> i64 {
        self.create_many(model, vec![fields])[0]
    }

    /// Creates records in one transaction: they share one `write_date`, as
    /// records written by one Odoo request do.
    pub fn create_many(&self, model: &str, records: Vec<Value>) -> Vec<i64> {
        let mut store = self.store.lock().expect("store");
        store.clock += 1;
        let write_date = stamp(store.clock);
        let mut ids = Vec::new();
        for fields in records {
            let id = store.next_id;
            store.next_id += 1;
            let mut record = fields.as_object().cloned().unwrap_or_default();
            record.insert("id".into(), json!(id));
            record.insert("write_date".into(), json!(write_date));
            store.models.entry(model.into()).or_default().push(record);
            ids.push(id);
        }
        ids
    }

    /// Changes fields of a record; `write_date` moves on.
    pub fn write(&self, model: &str, id: i64, fields: Value) {
        let mut store = self.store.lock().expect("store");
        store.clock += 1;
        let write_date = stamp(store.clock);
        let record = store
            .models
            .get_mut(model)
            .and_then(|records| records.iter_mut().find(|r| r["id"] == json!(id)))
            .expect("a record to write");
        for (k, v) in fields.as_object().cloned().unwrap_or_default() {
            record.insert(k, v);
        }
        record.insert("write_date".into(), json!(write_date));
    }

    /// How many `search_read` calls a model has answered.
    pub fn search_reads(&self, model: &str) -> usize {
        let store = self.store.lock().expect("store");
        store.search_reads.get(model).copied().unwrap_or(0)
    }
}

fn fault(message: &str) -> Value {
    json!({"code": 200, "message": "Odoo Server Error",
           "data": {"name": "odoo.exceptions.AccessDenied", "message": message}})
}

async fn jsonrpc(
    State(store): State<Arc<Mutex<Store>>>,
    Json(request): Json<Value>,
) -> Json<Value> {
    let id = request.get("id").cloned().unwrap_or(Value::Null);
    let params = &request["params"];
    let args = params["args"].as_array().cloned().unwrap_or_default();
    let outcome = match (params["service"].as_str(), params["method"].as_str()) {
        (Some("common"), Some("authenticate")) => {
            let ok = args.first() == Some(&json!(DB))
                && args.get(1) == Some(&json!(USER))
                && args.get(2) == Some(&json!(API_KEY));
            Ok(if ok { json!(UID) } else { json!(false) })
        }
        (Some("object"), Some("execute_kw")) => execute_kw(&store, &args),
        _ => Err(fault("unknown service or method")),
    };
    Json(match outcome {
        Ok(result) => json!({"jsonrpc": "2.0", "id": id, "result": result}),
        Err(error) => json!({"jsonrpc": "2.0", "id": id, "error": error}),
    })
}

fn execute_kw(store: &Mutex<Store>, args: &[Value]) -> Result<Value, Value> {
    if args.first() != Some(&json!(DB))
        || args.get(1) != Some(&json!(UID))
        || args.get(2) != Some(&json!(API_KEY))
    {
        return Err(fault("Access Denied"));
    }
    let model = args
        .get(3)
        .and_then(Value::as_str)
        .ok_or_else(|| fault("no model"))?;
    if args.get(4).and_then(Value::as_str) != Some("search_read") {
        return Err(fault("only search_read is faked"));
    }
    let domain = args
        .get(5)
        .and_then(|a| a.get(0))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let kwargs = args.get(6).cloned().unwrap_or_else(|| json!({}));
    let mut store = store.lock().map_err(|_| fault("poisoned"))?;
    *store.search_reads.entry(model.into()).or_default() += 1;
    let records = store.models.get(model).cloned().unwrap_or_default();
    let mut matching = Vec::new();
    for record in records {
        let mut terms = domain.iter();
        let mut all = true;
        // A domain is an implicit AND of its top-level expressions.
        while terms.len() > 0 {
            all &= eval(&mut terms, &record)?;
        }
        if all {
            matching.push(record);
        }
    }
    let order = kwargs["order"].as_str().unwrap_or("id asc");
    let keys: Vec<(String, bool)> = order
        .split(',')
        .map(|part| {
            let mut words = part.split_whitespace();
            let field = words.next().unwrap_or("id").to_string();
            let desc = words.next().is_some_and(|d| d.eq_ignore_ascii_case("desc"));
            (field, desc)
        })
        .collect();
    matching.sort_by(|a, b| {
        for (field, desc) in &keys {
            let o = compare(
                a.get(field).unwrap_or(&Value::Null),
                b.get(field).unwrap_or(&Value::Null),
            );
            let o = if *desc { o.reverse() } else { o };
            if o != Ordering::Equal {
                return o;
            }
        }
        Ordering::Equal
    });
    let offset = kwargs["offset"].as_u64().unwrap_or(0) as usize;
    let limit = kwargs["limit"].as_u64().map_or(usize::MAX, |l| l as usize);
    let fields: Option<Vec<String>> = kwargs["fields"].as_array().map(|f| {
        f.iter()
            .filter_map(Value::as_str)
            .map(String::from)
            .collect()
    });
    let page: Vec<Value> = matching
        .into_iter()
        .skip(offset)
        .take(limit)
        .map(|record| {
            let Some(fields) = &fields else {
                return Value::Object(record);
            };
            let mut out = Map::new();
            out.insert("id".into(), record["id"].clone());
            for field in fields {
                // Odoo answers `false` for an empty field.
                out.insert(
                    field.clone(),
                    record.get(field).cloned().unwrap_or(json!(false)),
                );
            }
            Value::Object(out)
        })
        .collect();
    Ok(Value::Array(page))
}

fn eval(
    terms: &mut std::slice::Iter<'_, Value>,
    record: &Map<String, Value>,
) -> Result<bool, Value> {
    let term = terms.next().ok_or_else(|| fault("domain ends early"))?;
    match term.as_str() {
        Some("&") => {
            let a = eval(terms, record)?;
            let b = eval(terms, record)?;
            Ok(a && b)
        }
        Some("|") => {
            let a = eval(terms, record)?;
            let b = eval(terms, record)?;
            Ok(a || b)
        }
        Some("!") => Ok(!eval(terms, record)?),
        Some(other) => Err(fault(&format!("unknown domain operator {other}"))),
        None => {
            let leaf = term
                .as_array()
                .filter(|l| l.len() == 3)
                .ok_or_else(|| fault("bad domain leaf"))?;
            let field = leaf[0].as_str().ok_or_else(|| fault("bad field"))?;
            let mut value = record.get(field).cloned().unwrap_or(json!(false));
            // A many2one compares by its id.
            if let Some(id) = value.as_array().and_then(|v| v.first()).cloned() {
                value = id;
            }
            let operand = &leaf[2];
            let o = compare(&value, operand);
            Ok(match leaf[1].as_str() {
                Some("=") => value == *operand,
                Some("!=") => value != *operand,
                Some(">") => o == Ordering::Greater,
                Some(">=") => o != Ordering::Less,
                Some("<") => o == Ordering::Less,
                Some("<=") => o != Ordering::Greater,
                Some("in") => operand.as_array().is_some_and(|list| list.contains(&value)),
                Some("not in") => !operand.as_array().is_some_and(|list| list.contains(&value)),
                other => return Err(fault(&format!("operator {other:?} is not faked"))),
            })
        }
    }
}

fn compare(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x
            .as_f64()
            .partial_cmp(&y.as_f64())
            .unwrap_or(Ordering::Equal),
        (Value::String(x), Value::String(y)) => x.cmp(y),
        _ => a.to_string().cmp(&b.to_string()),
    }
}
