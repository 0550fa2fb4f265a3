//! Pure detection engine for Indonesian text: no IO, no HTTP, no SQL. Text in, values out.
