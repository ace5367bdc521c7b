//! Reading UDF arguments as plain Arrow arrays, whatever type DataFusion
//! hands over (Utf8, LargeUtf8 or Utf8View text; any numeric type).

use std::sync::{Arc, Mutex};

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Float64Array, Int64Array, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type, Int64Type};
use datafusion::error::Result;
use datafusion::logical_expr::ColumnarValue;
use serde::de::DeserializeOwned;

use crate::error::Error;

/// Returns argument `i` as an array of `rows` rows cast to `to`.
fn array_of(
    function: &'static str,
    args: &[ColumnarValue],
    i: usize,
    rows: usize,
    to: &DataType,
) -> Result<ArrayRef> {
    let arg = args.get(i).ok_or_else(|| Error::Argument {
        function,
        detail: format!("argument {} is missing", i + 1),
    })?;
    let array = arg.to_array(rows)?;
    if array.data_type() == to {
        return Ok(array);
    }
    cast(&array, to).map_err(|e| {
        Error::Argument {
            function,
            detail: format!(
                "argument {} of type {} cannot be read as {to}: {e}",
                i + 1,
                array.data_type()
            ),
        }
        .into()
    })
}

/// A text argument: one value for every row (a literal, such as a model's
/// JSON, which is never copied per row), or a value per row.
#[derive(Debug)]
pub(crate) enum TextArg {
    /// The same value (or NULL) for every row.
    One(Option<String>),
    /// A value per row.
    Many(StringArray),
}

impl TextArg {
    /// Returns row `i`'s value, or `None` when it is NULL.
    pub(crate) fn get(&self, i: usize) -> Option<&str> {
        match self {
            TextArg::One(v) => v.as_deref(),
            TextArg::Many(a) => a.is_valid(i).then(|| a.value(i)),
        }
    }
}

/// Returns argument `i` as text.
pub(crate) fn text(
    function: &'static str,
    args: &[ColumnarValue],
    i: usize,
    rows: usize,
) -> Result<TextArg> {
    if let Some(ColumnarValue::Scalar(s)) = args.get(i) {
        let s = s.cast_to(&DataType::Utf8).map_err(|e| Error::Argument {
            function,
            detail: format!("argument {} cannot be read as text: {e}", i + 1),
        })?;
        return match s {
            datafusion::scalar::ScalarValue::Utf8(v) => Ok(TextArg::One(v)),
            other => Err(Error::Argument {
                function,
                detail: format!("argument {} is not text: {other}", i + 1),
            }
            .into()),
        };
    }
    Ok(TextArg::Many(
        array_of(function, args, i, rows, &DataType::Utf8)?
            .as_string::<i32>()
            .clone(),
    ))
}

/// Returns argument `i` as 64-bit floats.
pub(crate) fn float(
    function: &'static str,
    args: &[ColumnarValue],
    i: usize,
    rows: usize,
) -> Result<Float64Array> {
    Ok(array_of(function, args, i, rows, &DataType::Float64)?
        .as_primitive::<Float64Type>()
        .clone())
}

/// Returns argument `i` as 64-bit integers.
pub(crate) fn int(
    function: &'static str,
    args: &[ColumnarValue],
    i: usize,
    rows: usize,
) -> Result<Int64Array> {
    Ok(array_of(function, args, i, rows, &DataType::Int64)?
        .as_primitive::<Int64Type>()
        .clone())
}

/// The last JSON text read and what it parsed to: a model passed as a
/// literal is read once, not once per batch or row.
#[derive(Debug)]
pub(crate) struct JsonCache<T> {
    last: Mutex<Option<(String, Arc<T>)>>,
}

impl<T> Default for JsonCache<T> {
    fn default() -> JsonCache<T> {
        JsonCache {
            last: Mutex::new(None),
        }
    }
}

impl<T: DeserializeOwned> JsonCache<T> {
    /// Returns `json` parsed, reusing the last result when the text is the same.
    pub(crate) fn get(
        &self,
        function: &'static str,
        what: &'static str,
        json: &str,
    ) -> Result<Arc<T>> {
        // A poisoned lock only means another thread panicked mid-parse; the
        // cache then starts afresh.
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((text, value)) = last.as_ref() {
            if text == json {
                return Ok(Arc::clone(value));
            }
        }
        let value: Arc<T> = Arc::new(serde_json::from_str(json).map_err(|e| Error::Json {
            function,
            what,
            detail: e.to_string(),
        })?);
        *last = Some((json.to_owned(), Arc::clone(&value)));
        Ok(value)
    }
}

/// Reads the JSON texts of one argument during one call: a text at the
/// same address as the last one is the same text (the argument owns its
/// texts for the whole call), so a literal model is found without reading
/// its bytes again on every row.
pub(crate) struct JsonRows<'a, T> {
    cache: &'a JsonCache<T>,
    function: &'static str,
    what: &'static str,
    last: std::cell::RefCell<Option<(usize, usize, Arc<T>)>>,
}

impl<'a, T: DeserializeOwned> JsonRows<'a, T> {
    /// Returns a reader through `cache`.
    pub(crate) fn new(
        cache: &'a JsonCache<T>,
        function: &'static str,
        what: &'static str,
    ) -> JsonRows<'a, T> {
        JsonRows {
            cache,
            function,
            what,
            last: std::cell::RefCell::new(None),
        }
    }

    /// Returns `json` parsed; `json` must borrow from an argument that
    /// lives as long as this reader.
    pub(crate) fn get(&self, json: &'a str) -> Result<Arc<T>> {
        let key = (json.as_ptr() as usize, json.len());
        if let Some((p, n, v)) = self.last.borrow().as_ref() {
            if (*p, *n) == key {
                return Ok(Arc::clone(v));
            }
        }
        let v = self.cache.get(self.function, self.what, json)?;
        *self.last.borrow_mut() = Some((key.0, key.1, Arc::clone(&v)));
        Ok(v)
    }
}
