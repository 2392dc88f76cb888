//! dbt macros as global callables. minijinja macros belong to the template state that defined them,
//! so each call evaluates the macro's file in a fresh state that sees the caller's node context,
//! then calls the macro there. `return(x)` ends a macro with a value (dbt's idiom); errors are
//! wrapped with the macro's name so the final message carries the macro call stack.

use std::sync::{Arc, Mutex};

use minijinja::value::{from_args, Kwargs, Object, ObjectRepr};
use minijinja::{Error, ErrorKind, State, Value};

/// The marker error `return()` raises; the enclosing `MacroCaller` turns it into the value.
const RETURN_MARKER: &str = "__transform_return__";

#[derive(Debug, Clone)]
pub struct MacroCaller {
    pub name: String,
    /// The package that defines it (`dbt` for transform's built-in macros).
    pub package: String,
    pub file: String,
    /// When the body reads `kwargs`/`varargs`: its parameters (arguments beyond them land there, as in Jinja).
    pub catch_all: Option<Arc<Vec<String>>>,
}

/// The context a macro body sees: the caller's node context, its own return slot, and the extra
/// arguments of a catch-all macro (`kwargs`, `varargs`).
#[derive(Debug)]
struct MacroScope {
    base: Value,
    slot: Arc<Mutex<Option<Value>>>,
    extra: (Value, Value),
}

#[derive(Debug, Default)]
struct ReturnSlot(Arc<Mutex<Option<Value>>>);
impl Object for ReturnSlot {}

impl Object for MacroScope {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        match key.as_str()? {
            "__return_slot" => Some(Value::from_object(ReturnSlot(self.slot.clone()))),
            "__ctx" => Some(self.base.clone()),
            "kwargs" => Some(self.extra.0.clone()),
            "varargs" => Some(self.extra.1.clone()),
            k => self.base.get_attr(k).ok().filter(|v| !v.is_undefined()),
        }
    }
}

/// Each macro call runs in a fresh state, so minijinja's own recursion limit does not see the
/// chain; this bound turns runaway recursion into an error instead of a stack overflow.
const MAX_DEPTH: usize = 100;

thread_local! {
    static DEPTH: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// The macros a node's own template calls, by unique id, once each in call order (dbt's
/// `depends_on.macros`). Shared between a render's captures and the macro calls it makes.
#[derive(Debug, Default)]
pub struct CallLog(Mutex<Vec<String>>);

impl Object for CallLog {}

impl CallLog {
    pub fn record(&self, unique_id: String) {
        if let Ok(mut calls) = self.0.lock() {
            if !calls.contains(&unique_id) {
                calls.push(unique_id);
            }
        }
    }

    pub fn take(&self) -> Vec<String> {
        self.0.lock().map(|mut c| std::mem::take(&mut *c)).unwrap_or_default()
    }
}

/// True outside any macro body: a call made now comes from the node's own template.
pub fn at_top_level() -> bool {
    DEPTH.with(|d| d.get()) == 0
}

/// Runs `f` as if inside a macro body: the calls it makes are not the node's own.
pub fn nested<T>(f: impl FnOnce() -> T) -> T {
    let depth = DEPTH.with(|d| d.get());
    DEPTH.with(|d| d.set(depth + 1));
    let out = f();
    DEPTH.with(|d| d.set(depth));
    out
}

impl MacroCaller {
    /// `macro.<package>.<name>`.
    pub fn unique_id(&self) -> String {
        format!("macro.{}.{}", self.package, self.name)
    }

    /// Calls the macro with `ctx` (the node context) and `args` (positional and kwargs).
    pub fn invoke(&self, env: &minijinja::Environment<'_>, ctx: Value, args: &[Value]) -> Result<Value, Error> {
        let depth = DEPTH.with(|d| d.get());
        if depth == 0 {
            if let Some(log) = ctx.get_attr("__calls").ok().and_then(|v| v.downcast_object::<CallLog>()) {
                log.record(self.unique_id());
            }
        }
        if depth >= MAX_DEPTH {
            return Err(Error::new(ErrorKind::InvalidOperation, format!("macro `{}` nested more than {MAX_DEPTH} calls deep (infinite recursion?)", self.name)));
        }
        DEPTH.with(|d| d.set(depth + 1));
        let out = self.invoke_inner(env, ctx, args);
        DEPTH.with(|d| d.set(depth));
        out
    }

    fn invoke_inner(&self, env: &minijinja::Environment<'_>, ctx: Value, args: &[Value]) -> Result<Value, Error> {
        let slot = Arc::new(Mutex::new(None));
        // Split before the file renders: a macro captures the names it reads when it is defined.
        let (args, extra) = match &self.catch_all {
            Some(params) => split_extra(params, args)?,
            None => (args.to_vec(), (super::mutable::map(Vec::<(String, Value)>::new()), Value::from(Vec::<Value>::new()))),
        };
        let scope = MacroScope { base: ctx, slot: slot.clone(), extra };
        let tmpl = env.get_template(&self.file)?;
        let mut captured = tmpl.render_captured(Value::from_object(scope))?;
        let result = captured.with_state_mut(|st| st.call_macro(&format!("__m_{}", self.name), &args));
        let returned = slot.lock().ok().and_then(|mut s| s.take());
        match (result, returned) {
            (_, Some(v)) => Ok(v),
            (Ok(s), None) => Ok(Value::from_safe_string(s)),
            (Err(e), None) => {
                Err(Error::new(e.kind(), format!("in macro `{}` ({})", self.name, self.file)).with_source(e))
            }
        }
    }
}

/// Keeps the arguments the macro declares; the rest become its (`kwargs`, `varargs`).
fn split_extra(declared: &[String], args: &[Value]) -> Result<(Vec<Value>, (Value, Value)), Error> {
    let (positional, kwargs): (&[Value], Kwargs) = from_args(args)?;
    let keep = positional.len().min(declared.len());
    let mut own: Vec<(String, Value)> = vec![];
    let mut extra: Vec<(String, Value)> = vec![];
    for key in kwargs.args() {
        let v: Value = kwargs.get(key)?;
        if declared.iter().any(|d| d == key) || key == "caller" {
            own.push((key.to_string(), v));
        } else {
            extra.push((key.to_string(), v));
        }
    }
    let mut out = positional[..keep].to_vec();
    if !own.is_empty() {
        out.push(Value::from(Kwargs::from_iter(own)));
    }
    Ok((out, (super::mutable::map(extra), Value::from(positional[keep..].to_vec()))))
}

impl Object for MacroCaller {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }
    fn call(self: &Arc<Self>, state: &mut State<'_, '_>, args: &[Value]) -> Result<Value, Error> {
        let ctx = state.lookup("__ctx").unwrap_or_default();
        self.invoke(state.env(), ctx, args)
    }
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        match key.as_str()? {
            "name" => Some(Value::from(self.name.clone())),
            _ => None,
        }
    }
}

/// `return(value)`: stores the value in the enclosing macro's slot and unwinds the macro.
pub fn return_fn(state: &State, value: Value) -> Result<Value, Error> {
    let slot = state
        .lookup("__return_slot")
        .ok_or_else(|| Error::new(ErrorKind::InvalidOperation, "return() can only be used inside a macro"))?;
    if let Some(s) = slot.downcast_object_ref::<ReturnSlot>() {
        if let Ok(mut g) = s.0.lock() {
            *g = Some(value);
        }
    }
    Err(Error::new(ErrorKind::InvalidOperation, RETURN_MARKER))
}

/// True for the unwinding marker of `return()` (never shown to users).
pub fn is_return_marker(e: &Error) -> bool {
    e.detail() == Some(RETURN_MARKER)
}
